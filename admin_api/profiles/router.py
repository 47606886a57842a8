"""Reports on the education profiles: anonymous counts for planning (caseworkers and administrators)."""

from __future__ import annotations

from fastapi import APIRouter

from admin_api.audit.service import audit
from admin_api.dependencies import CurrentUser, StaffOnly
from admin_api.profiles import service
from admin_api.profiles.schemas import EducationReportOut
from bot.web.dependencies import SessionDep
from bot.web.errors import LOGIN_REQUIRED

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[StaffOnly], responses=LOGIN_REQUIRED)


@router.get("/education")
def education_report(session: SessionDep, user: CurrentUser) -> EducationReportOut:
    """People with an education profile by school years, German level, field and goal (and district):
    counts only, cells under 3 people suppressed (audited)."""
    audit(session, user=user, action="report_education")
    return service.report(session)
