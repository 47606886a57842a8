"""Audit log, for administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from admin_api.audit.service import AuditFilter, search
from admin_api.cases.schemas import AuditOut
from admin_api.dependencies import AdminOnly
from bot.web.dependencies import MAX_ID, SessionDep
from bot.web.errors import ADMIN_ONLY, errors

router = APIRouter(prefix="/audit", tags=["audit"], dependencies=[AdminOnly], responses=ADMIN_ONLY)
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
MAX_OFFSET = 1_000_000


def audit_filter(
    *,
    handover_id: int | None = None,
    user: str | None = None,
    action: str | None = None,
    start: date | None = None,
    end: date | None = None,
    q: str | None = None,
) -> AuditFilter:
    """The filter of a request (blank values match everything); 400 for dates out of range or upside
    down."""
    if any(d is not None and not EARLIEST <= d <= LATEST for d in (start, end)):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"dates from {EARLIEST} to {LATEST} only")
    if start is not None and end is not None and start > end:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "start must be on or before end")
    return AuditFilter(
        user=(user or "").strip() or None,
        action=(action or "").strip() or None,
        start=start,
        end=end,
        text=(q or "").strip() or None,
        handover_id=handover_id,
    )


@router.get("", responses=errors(400, e400="A date out of range, or start after end"))
def read_audit(
    session: SessionDep,
    handover_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    user: Annotated[
        str | None, Query(max_length=64, description="Username: entries by this account or about it")
    ] = None,
    action: Annotated[str | None, Query(max_length=32, description="e.g. login, staff_change")] = None,
    start: Annotated[date | None, Query(description="First day (UTC)")] = None,
    end: Annotated[date | None, Query(description="Last day (UTC, included)")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the detail (case-insensitive)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[AuditOut]:
    """Newest audit entries first, filtered by case, user, action, days and text in the detail.

    Values under secret-looking keys (passwords, hashes, tokens) are shown as redacted."""
    where = audit_filter(handover_id=handover_id, user=user, action=action, start=start, end=end, q=q)
    return [
        AuditOut(
            id=r.entry.id,
            staff_user_id=r.entry.staff_user_id,
            username=r.username,
            action=r.entry.action,
            handover_id=r.entry.handover_id,
            detail=r.detail,
            at=r.entry.at,
        )
        for r in search(session, where, limit=limit, offset=offset)
    ]
