"""Questions report API (admins): the same figures as ``lotse questions top``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from admin_api.audit.service import audit
from admin_api.dependencies import AdminOnly, CurrentUser
from admin_api.questions.schemas import (
    AnswerCountOut,
    DistrictCountOut,
    QuestionCountOut,
    QuestionsReportOut,
)
from bot.analytics.service import district_counts, top_items, top_questions
from bot.web.dependencies import SessionDep
from bot.web.errors import ADMIN_ONLY

router = APIRouter(prefix="/questions", tags=["questions"], dependencies=[AdminOnly], responses=ADMIN_ONLY)

_Filter = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("")
def questions_report(
    session: SessionDep,
    user: CurrentUser,
    language: _Filter = None,
    topic: _Filter = None,
    district: _Filter = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> QuestionsReportOut:
    """Most given answers, most frequent and most frequent unanswered questions (redacted), optionally
    of one language, topic or district; and the number of questions per district."""
    where = {"language": language, "topic": topic, "district": district}
    answers = top_items(session, **where, limit=limit)
    asked = top_questions(session, language=language, topic=topic, district=district, limit=limit)
    unanswered = top_questions(
        session, unanswered=True, language=language, topic=topic, district=district, limit=limit
    )
    districts = district_counts(session, language=language, topic=topic)
    report = QuestionsReportOut(
        answers=[AnswerCountOut(**asdict(a)) for a in answers],
        questions=[QuestionCountOut(**asdict(q)) for q in asked],
        unanswered=[QuestionCountOut(**asdict(q)) for q in unanswered],
        districts=[DistrictCountOut(**asdict(d)) for d in districts],
    )
    audit(session, user=user, action="questions_report", detail={k: v for k, v in where.items() if v})
    return report
