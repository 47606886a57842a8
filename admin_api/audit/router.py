"""Audit log, for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from admin_api.audit.models import AuditEntry
from admin_api.cases.schemas import AuditOut
from admin_api.dependencies import AdminOnly
from bot.web.dependencies import MAX_ID, SessionDep
from bot.web.errors import ADMIN_ONLY

router = APIRouter(prefix="/audit", tags=["audit"], dependencies=[AdminOnly], responses=ADMIN_ONLY)


@router.get("")
def read_audit(
    session: SessionDep,
    handover_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    """Newest audit entries first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if handover_id is not None:
        query = query.where(AuditEntry.handover_id == handover_id)
    return [
        AuditOut(
            id=e.id,
            staff_user_id=e.staff_user_id,
            action=e.action,
            handover_id=e.handover_id,
            detail=e.detail,
            at=e.at,
        )
        for e in session.scalars(query)
    ]
