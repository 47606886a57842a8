"""Pages of the content console (``/inbox/console``), for administrators only.

The pages are rendered on the server from the content store (filters are query parameters and work
without JavaScript); changes go through the JSON content API (``/api/admin/content``) with the
browser session and its CSRF token, so they are checked and audited in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from admin_api.content.service import STATES, item_view, overview
from admin_api.dependencies import admin_page_user
from admin_api.inbox.router import TEMPLATES_DIR
from bot.content.models import ContentItem
from bot.content.render import ANSWER_TOPICS
from bot.content.review import SOURCE_LANGUAGE
from bot.db import utcnow
from bot.language.languages import LANGUAGES
from bot.web.dependencies import SessionDep

templates = Jinja2Templates(directory=[str(Path(__file__).parent / "templates"), str(TEMPLATES_DIR)])
pages = APIRouter(prefix="/inbox/console", include_in_schema=False)
STATE_LABELS = {
    "reviewed": "geprüft / reviewed",
    "machine draft": "maschineller Entwurf / machine draft",
    "outdated": "veraltet / outdated",
    "missing": "fehlt / missing",
    "overdue": "überfällig / overdue",
}


def _guard(request: Request, session: SessionDep) -> Response | str:
    """The admin's username, or the answer for anyone else: login page, or 403."""
    found = admin_page_user(request, session)
    return found if isinstance(found, Response) else found.username


def _clean(value: str | None, allowed: object) -> str | None:
    return value if value and value in allowed else None  # type: ignore[operator]


@pages.get("", response_class=HTMLResponse)
def list_page(
    request: Request,
    session: SessionDep,
    topic: Annotated[str | None, Query(max_length=32)] = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    state: Annotated[str | None, Query(alias="status", max_length=16)] = None,
) -> Response:
    """Every item with its state per language, overdue first; filters by topic, language and status."""
    user = _guard(request, session)
    if isinstance(user, Response):
        return user
    topic = _clean(topic, {*ANSWER_TOPICS, "other"} | _topics(session))
    language = _clean(language, LANGUAGES)
    state = _clean(state, STATE_LABELS)
    rows = overview(session, today=utcnow().date(), topic=topic, language=language, state=state)
    return templates.TemplateResponse(
        request,
        "console_list.html",
        {
            "rows": rows,
            "topics": sorted(_topics(session)),
            "languages": LANGUAGES,
            "states": STATE_LABELS,
            "filters": {"topic": topic, "language": language, "status": state},
            "is_admin": True,
        },
    )


def _topics(session: SessionDep) -> set[str]:
    return set(session.scalars(select(ContentItem.topic).distinct()))


@pages.get("/new", response_class=HTMLResponse)
def new_page(request: Request, session: SessionDep) -> Response:
    """Form for a new factual (FAQ) item."""
    user = _guard(request, session)
    if isinstance(user, Response):
        return user
    return templates.TemplateResponse(
        request, "console_new.html", {"topics": ANSWER_TOPICS, "is_admin": True, "today": utcnow().date()}
    )


@pages.get("/items/{key:path}", response_class=HTMLResponse)
def item_page(
    request: Request,
    session: SessionDep,
    key: str,
    lang: Annotated[str, Query(max_length=8)] = "ar",
) -> Response:
    """One item: facts, the texts beside the German, editor with live preview, history with diffs."""
    user = _guard(request, session)
    if isinstance(user, Response):
        return user
    language = lang if lang in LANGUAGES else "ar"
    view = item_view(session, key=key, language=language, today=utcnow().date())
    if view is None:
        return HTMLResponse(
            "<!doctype html><title>404</title><p>Unbekannt / Unknown item</p>", status_code=404
        )
    return templates.TemplateResponse(
        request,
        "console_item.html",
        {
            "v": view,
            "language": language,
            "languages": LANGUAGES,
            "german": view.texts.get(SOURCE_LANGUAGE),
            "current": view.texts.get(language),
            "states": STATE_LABELS,
            "all_states": STATES,
            "is_admin": True,
        },
    )
