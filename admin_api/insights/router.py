"""What people ask (administrators only): JSON API under ``/api/admin/insights`` and two
server-rendered pages under ``/inbox/insights`` (charts as inline SVG with data tables beside them).

Clusters are computed on request (cached per range while the question log is unchanged); the
question log is read in a short transaction that is committed before the clustering runs, so no
database lock is held while it works.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_api.audit.service import audit
from admin_api.dependencies import AdminOnly, CurrentUser, admin_page_user
from admin_api.insights import charts
from admin_api.insights.schemas import (
    AnswerOut,
    ClusterOut,
    ClustersOut,
    ClusterTextOut,
    DashboardOut,
    KeyCountOut,
    NearestOut,
    ReasonOut,
    ReviewIn,
    StagedOut,
    StageIn,
)
from admin_api.staff.models import StaffUser
from bot.analytics.models import QuestionLog
from bot.config import Settings
from bot.insights import dashboard as dash
from bot.insights.clusters import (
    Cluster,
    ClusterResult,
    NearestAnswer,
    Translator,
    cluster_questions,
    content_texts,
    low_confidence_questions,
)
from bot.insights.models import StagedExample, StagedStatus
from bot.insights.staging import StagingError, listing, review, stage
from bot.web.dependencies import SessionDep, SettingsDep
from bot.web.errors import ADMIN_ONLY, errors

_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=[_HERE / "templates", _HERE.parent / "inbox" / "templates"])
router = APIRouter(prefix="/insights", tags=["insights"], dependencies=[AdminOnly], responses=ADMIN_ONLY)
pages = APIRouter(prefix="/inbox/insights", include_in_schema=False)

MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
_Day = Annotated[date | None, Query(description="First day (UTC), default 27 days before the end")]
_End = Annotated[date | None, Query(description="Last day (UTC, included), default today")]
_MinSize = Annotated[int, Query(ge=2, le=1000)]


def date_range(start: date | None, end: date | None) -> tuple[date, date]:
    """The requested range, defaulting to the last 28 days; 400 if it is upside down or too long."""
    default_start, default_end = dash.default_range()
    if any(d is not None and not EARLIEST <= d <= LATEST for d in (start, end)):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"dates from {EARLIEST} to {LATEST} only")
    end = end or default_end
    start = start or end - (default_end - default_start)
    if start > end or (end - start).days >= MAX_DAYS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"start must be on or before end, at most {MAX_DAYS} days"
        )
    return start, end


# ---------------------------------------------------------------------- computing


def dashboard_out(figures: dash.Dashboard) -> DashboardOut:
    return DashboardOut(
        start=figures.start,
        end=figures.end,
        messages_total=figures.messages_total,
        messages_by_language=figures.messages_by_language,
        messages_per_day=figures.messages,
        outcomes=figures.outcomes,
        outcomes_by_language=figures.outcomes_by_language,
        handovers_total=figures.handovers_total,
        handovers=[ReasonOut(**vars(r)) for r in figures.handovers],
        wait_median_s=figures.wait_median_s,
        wait_p90_s=figures.wait_p90_s,
        top_answers=[AnswerOut(content_key=k, topic=t, count=n) for k, t, n in figures.top_answers],
        topics=[KeyCountOut(key=t, count=n) for t, n in figures.topics],
        districts=[KeyCountOut(key=d, count=n) for d, n in figures.districts],
        unanswered_questions=figures.unanswered_questions,
    )


def german_translator(settings: Settings) -> Translator | None:
    """Machine translation into German where the app's translation service has a model, else None."""
    from bot.translation.service import get_translation_service

    try:
        service = get_translation_service(settings)
    except Exception:  # a misconfigured backend must not break the page
        return None
    usable: dict[str, bool] = {}

    def translate(text: str, language: str) -> str | None:
        if language not in usable:
            usable[language] = service.available(language, "de")
        if not usable[language]:
            return None
        try:
            return service.translate(text, source=language, target="de").text
        except Exception:
            usable[language] = False
            return None

    return translate


_cache: OrderedDict[tuple[Any, ...], ClusterResult] = OrderedDict()
_cache_lock = threading.Lock()


def compute_clusters(
    session: Session, settings: Settings, *, start: date, end: date, min_size: int
) -> ClusterResult:
    """Clusters of the range's unanswered and low-confidence questions (cached while the log is unchanged).

    Commits the session's transaction before clustering."""
    mark = session.execute(select(func.max(QuestionLog.id), func.count()).select_from(QuestionLog)).one()
    key = (start, end, min_size, tuple(mark))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    questions = low_confidence_questions(session, start=start, end=end)
    content = content_texts(session, sorted({q.language for q in questions}))
    session.commit()
    result = cluster_questions(
        questions,
        today=end,
        content=content,
        translate=german_translator(settings),
        min_size=min_size,
        max_translate=300,
    )
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > 8:
            _cache.popitem(last=False)
    return result


def _nearest(n: NearestAnswer | None) -> NearestOut | None:
    return None if n is None else NearestOut(key=n.key, intent=n.intent, similarity=n.similarity, how=n.how)


def _cluster_out(i: int, c: Cluster) -> ClusterOut:
    return ClusterOut(
        id=i,
        size=c.size,
        languages=c.languages,
        this_week=c.this_week,
        last_week=c.last_week,
        trend=c.trend,
        examples=[ClusterTextOut(language=lang, text=t, count=n) for lang, t, n in c.examples],
        texts=[ClusterTextOut(language=lang, text=t, count=n) for lang, t, n in c.texts],
        nearest=_nearest(c.nearest),
        logged_answer=_nearest(c.logged_answer),
        cohesion=c.cohesion,
    )


def clusters_out(start: date, end: date, result: ClusterResult) -> ClustersOut:
    return ClustersOut(
        start=start,
        end=end,
        questions=result.questions,
        distinct=result.distinct,
        translated=result.translated,
        seconds=round(result.seconds, 3),
        clusters=[_cluster_out(i, c) for i, c in enumerate(result.clusters, start=1)],
    )


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.username).where(StaffUser.id.in_(wanted)))
    return {int(i): str(name) for i, name in rows}


def staged_out(session: Session, rows: list[StagedExample]) -> list[StagedOut]:
    names = _names(session, {r.staged_by_id for r in rows} | {r.reviewed_by_id for r in rows})
    return [
        StagedOut(
            id=r.id,
            language=r.language,
            text=r.text,
            target_intent=r.target_intent,
            note=r.note,
            status=r.status.value,
            staged_by=names.get(r.staged_by_id or 0),
            staged_at=r.staged_at,
            reviewed_by=names.get(r.reviewed_by_id or 0),
            reviewed_at=r.reviewed_at,
        )
        for r in rows
    ]


# ---------------------------------------------------------------------- JSON API


@router.get("/dashboard", responses=errors(400))
def dashboard_api(
    session: SessionDep, user: CurrentUser, start: _Day = None, end: _End = None
) -> DashboardOut:
    """Messages per day and language, how they were answered, handovers by reason with their waiting
    time (median and 90th percentile from the handover to a caseworker taking it), the most given
    answers, questions per topic and district. Default range: the last 28 days."""
    first, last = date_range(start, end)
    out = dashboard_out(dash.compute(session, start=first, end=last))
    audit(session, user=user, action="insights_dashboard", detail={"start": str(first), "end": str(last)})
    return out


@router.get("/clusters", responses=errors(400))
def clusters_api(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    start: _Day = None,
    end: _End = None,
    min_size: _MinSize = 3,
) -> ClustersOut:
    """Recurring unanswered and low-confidence questions grouped across languages (redacted texts),
    each with size, languages, this week against last week, examples and the nearest existing answer."""
    first, last = date_range(start, end)
    result = compute_clusters(session, settings, start=first, end=last, min_size=min_size)
    audit(session, user=user, action="insights_clusters", detail={"start": str(first), "end": str(last)})
    return clusters_out(first, last, result)


@router.post("/staged", responses=errors(400), status_code=status.HTTP_201_CREATED)
def stage_examples(session: SessionDep, user: CurrentUser, body: StageIn) -> list[StagedOut]:
    """Stage question texts of the log as NLU examples of an intent, or as a needed new answer (with
    a note). They wait for review; nothing reaches the training data before approval and an export."""
    try:
        rows = stage(
            session,
            examples=[(e.language, e.text) for e in body.examples],
            target_intent=body.target_intent,
            note=body.note,
            staged_by_id=user.id,
        )
    except StagingError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    audit(
        session,
        user=user,
        action="examples_staged",
        detail={
            "ids": [r.id for r in rows],
            "target_intent": body.target_intent,
            "new_answer": body.target_intent is None,
        },
    )
    return staged_out(session, rows)


@router.get("/staged")
def staged_list(
    session: SessionDep, status_: Annotated[StagedStatus | None, Query(alias="status")] = None
) -> list[StagedOut]:
    """Staged examples, newest first (optionally of one status)."""
    return staged_out(session, listing(session, status=status_))


@router.post("/staged/review", responses=errors(400))
def review_examples(session: SessionDep, user: CurrentUser, body: ReviewIn) -> list[StagedOut]:
    """Approve or reject staged examples (only those still staged change; audited)."""
    rows = review(session, ids=body.ids, status=StagedStatus(body.status), reviewed_by_id=user.id)
    audit(session, user=user, action=f"examples_{body.status}", detail={"ids": [r.id for r in rows]})
    return staged_out(session, rows)


# ---------------------------------------------------------------------- pages


def _page_range(start: str | None, end: str | None) -> tuple[date, date, str | None]:
    try:
        return (
            *date_range(
                date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None
            ),
            None,
        )
    except (ValueError, HTTPException):
        first, last = dash.default_range()
        return first, last, "Ungültiger Zeitraum, letzte 28 Tage / Invalid range, last 28 days shown"


OUTCOME_LABELS = {
    "answered": "Beantwortet / Answered",
    "asked_back": "Rückfrage / Asked back",
    "not_answered": "Nicht beantwortet / Not answered",
    "caseworker": "Bei Sachbearbeitung / With a caseworker",
    "pending": "Offen / Pending",
}


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} min"


@pages.get("", response_class=HTMLResponse)
def dashboard_page(
    request: Request, session: SessionDep, start: str | None = None, end: str | None = None
) -> Response:
    """The dashboard: charts (inline SVG) with the same figures in tables."""
    from admin_api.inbox.router import REASONS

    user = admin_page_user(request, session)
    if isinstance(user, Response):
        return user
    first, last, problem = _page_range(start, end)
    figures = dash.compute(session, start=first, end=last)
    reasons = dict(REASONS)
    day_keys = [d.isoformat() for d in figures.days]
    context = {
        "f": figures,
        "problem": problem,
        "days": day_keys,
        "outcome_labels": OUTCOME_LABELS,
        "reason_labels": reasons,
        "minutes": _minutes,
        "messages_chart": charts.stacked_columns(
            "Nachrichten pro Tag und Sprache / Messages per day and language",
            day_keys,
            [(lang, [figures.messages[lang][d] for d in day_keys]) for lang in figures.languages],
            ident="messages",
        ),
        "outcomes_chart": charts.bars(
            "Wie beantwortet / How answered",
            [(OUTCOME_LABELS[o], figures.outcomes[o]) for o in dash.OUTCOMES],
            ident="outcomes",
        ),
        "handover_chart": charts.bars(
            "Übergaben nach Grund / Handovers by reason",
            [(reasons.get(r.reason, r.reason), r.count) for r in figures.handovers],
            ident="handovers",
        ),
        "wait_chart": charts.bars(
            "Wartezeit bis zur Übernahme, Median in Minuten / Waiting time until taken, median in minutes",
            [
                (reasons.get(r.reason, r.reason), round(r.median_wait_s / 60, 1))
                for r in figures.handovers
                if r.median_wait_s is not None
            ],
            ident="waits",
            unit=" min",
        ),
        "answers_chart": charts.bars(
            "Häufigste Antworten / Top answers", [(k, n) for k, _, n in figures.top_answers], ident="answers"
        ),
        "topics_chart": charts.bars("Fragen nach Thema / Questions by topic", figures.topics, ident="topics"),
        "districts_chart": charts.bars(
            "Fragen nach Landkreis / Questions by district",
            [(d or "(keiner / none)", n) for d, n in figures.districts],
            ident="districts",
        ),
    }
    audit(session, user=user, action="insights_dashboard", detail={"start": str(first), "end": str(last)})
    return templates.TemplateResponse(request, "insights.html", {**context, "is_admin": True})


@pages.get("/questions", response_class=HTMLResponse)
def questions_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    """Clusters of unanswered and low-confidence questions with staging; staged examples for review."""
    user = admin_page_user(request, session)
    if isinstance(user, Response):
        return user
    first, last, problem = _page_range(start, end)
    result = compute_clusters(session, settings, start=first, end=last, min_size=3)
    out = clusters_out(first, last, result)
    staged = staged_out(session, listing(session, limit=300))
    audit(session, user=user, action="insights_clusters", detail={"start": str(first), "end": str(last)})
    return templates.TemplateResponse(
        request,
        "insights_questions.html",
        {
            "is_admin": True,
            "r": out,
            "staged": staged,
            "problem": problem,
            "start": first,
            "end": last,
        },
    )
