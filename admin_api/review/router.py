"""Content review API: what is outdated, overdue or missing, and marking a text as checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from admin_api.audit.service import audit
from admin_api.dependencies import AdminOnly, CurrentUser, StaffOnly
from admin_api.review.schemas import MarkedOut, ReviewItemOut, ReviewReportOut
from admin_api.review.service import mark_served_reviewed, store_report
from bot.db import utcnow
from bot.language.languages import LANGUAGES
from bot.web.dependencies import SessionDep
from bot.web.errors import LOGIN_REQUIRED, errors

router = APIRouter(prefix="/content-review", tags=["content"], responses=LOGIN_REQUIRED)


@router.get("", dependencies=[StaffOnly], responses=errors(403))
def review_list(session: SessionDep, every: Annotated[bool, Query(alias="all")] = False) -> ReviewReportOut:
    """Counts of outdated, overdue and missing texts, and the items that need attention."""
    report = store_report(session, today=utcnow().date())
    data = report.as_json(everything=every)
    return ReviewReportOut(
        **{k: v for k, v in data.items() if k != "items"},
        items=[ReviewItemOut.model_validate(i) for i in data["items"]],
    )


@router.post(
    "/{key:path}/{language}/reviewed",
    dependencies=[AdminOnly],
    responses=errors(400, 403, 404, e400="German or unsupported language", e404="Unknown key or no text"),
)
def mark_reviewed(key: str, language: str, session: SessionDep, user: CurrentUser) -> MarkedOut:
    """Record that an admin checked the served text in ``language`` against the current German text."""
    if language not in LANGUAGES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unsupported language")
    try:
        row = mark_served_reviewed(session, key=key, language=language)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key or no text") from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    audit(session, user=user, action="content_reviewed", detail={"key": key, "language": language})
    return MarkedOut(key=key, language=language, version=row.version, source_hash=row.source_hash or "")
