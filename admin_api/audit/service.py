"""Writing the audit log."""

from __future__ import annotations

from typing import Any

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
    """Record who did what on which case; committed with the action itself."""
    entry = AuditEntry(
        staff_user_id=user.id if user else None, action=action, handover_id=handover_id, detail=detail or {}
    )
    session.add(entry)
    return entry
