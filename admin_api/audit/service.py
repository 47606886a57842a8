"""Writing the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from admin_api.audit.models import AuditEntry
from admin_api.staff.models import StaffUser


def audit(
    session: Session,
    *,
    user: StaffUser | None,
    action: str,
    handover_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record who did what on which case; committed with the action itself. Values under secret-looking
    keys (:data:`SECRET_KEYS`) are never stored."""
    entry = AuditEntry(
        staff_user_id=user.id if user else None,
        action=action,
        handover_id=handover_id,
        detail=redact(detail or {}),
    )
    session.add(entry)
    return entry


SECRET_KEYS = frozenset(
    {"password", "password_hash", "token", "token_hash", "secret", "csrf_token", "cookie", "session"}
)
REDACTED = "[entfernt / redacted]"


def redact(detail: object) -> Any:
    """The detail with every value under a secret-looking key replaced (at any depth): the log never
    stores, and never shows, passwords, their hashes, tokens or session cookies."""
    if isinstance(detail, dict):
        return {k: REDACTED if str(k).lower() in SECRET_KEYS else redact(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [redact(v) for v in detail]
    return detail


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to look for; every field left at None matches everything."""

    user: str | None = None
    """A username: entries by this account, or about it (a ``username`` in the detail)."""
    action: str | None = None
    start: date | None = None
    end: date | None = None
    """First and last day (UTC), both included."""
    text: str | None = None
    """Case-insensitive text anywhere in the detail."""
    handover_id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditRow:
    entry: AuditEntry
    username: str | None
    detail: dict[str, Any]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(session: Session, where: AuditFilter, *, limit: int, offset: int = 0) -> list[AuditRow]:
    """Entries matching the filter, newest first, with the acting account's username and the detail
    redacted."""
    query = (
        select(AuditEntry, StaffUser.username)
        .outerjoin(StaffUser, StaffUser.id == AuditEntry.staff_user_id)
        .order_by(AuditEntry.id.desc())
    )
    if where.handover_id is not None:
        query = query.where(AuditEntry.handover_id == where.handover_id)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.start is not None:
        query = query.where(AuditEntry.at >= datetime.combine(where.start, time.min, UTC))
    if where.end is not None:
        query = query.where(AuditEntry.at < datetime.combine(where.end + timedelta(days=1), time.min, UTC))
    if where.user:
        query = query.where(
            or_(StaffUser.username == where.user, AuditEntry.detail["username"].as_string() == where.user)
        )
    if where.text:
        # JSON may store non-ASCII characters escaped ("\u00fc"): look for both spellings
        detail = cast(AuditEntry.detail, String)
        spellings = {where.text, json.dumps(where.text)[1:-1]}
        query = query.where(or_(*(detail.ilike(_like(s), escape="\\") for s in spellings)))
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return [AuditRow(entry=e, username=name, detail=redact(e.detail or {})) for e, name in rows]


def actions(session: Session) -> list[str]:
    """Every action the log holds, for a filter list."""
    return sorted(session.scalars(select(AuditEntry.action).distinct()))
