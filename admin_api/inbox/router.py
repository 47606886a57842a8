"""The caseworker web inbox: server-rendered pages plus a server-sent-events stream.

The pages call the JSON admin API with the browser session (cookie + CSRF token). The event stream
polls the database, so it works the same with several app instances.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_api.dependencies import SESSION_COOKIE
from admin_api.staff.models import Role
from admin_api.staff.service import session_user, user_for_token
from bot.conversations.models import Direction, Message
from bot.handover.models import Handover, HandoverReason
from bot.web.dependencies import IdPath, SessionDep, SettingsDep
from bot.web.errors import LOGIN_REQUIRED

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
pages = APIRouter(prefix="/inbox", include_in_schema=False)
events = APIRouter(prefix="/api/admin", tags=["inbox"])
POLL_S = 0.5


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """Login form."""
    return templates.TemplateResponse(request, "login.html", {})


def staff_of(session: Session, request: Request) -> tuple[str, Role] | None:
    """Username and role of the browser's login (session cookie), or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    found = session_user(session, cookie) if cookie else None
    return (found[0].username, found[0].role) if found else None


def _is_admin(session: Session, request: Request) -> bool:
    """Admin links (the content console) are shown to administrators only."""
    staff = staff_of(session, request)
    return staff is not None and staff[1] == Role.ADMIN


@pages.get("", response_class=HTMLResponse)
def queue_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The queue (the page loads its data from the API; unauthenticated visitors are sent to login)."""
    return templates.TemplateResponse(
        request, "queue.html", {"reasons": REASONS, "is_admin": _is_admin(session, request)}
    )


REASONS = [
    (HandoverReason.REQUESTED.value, "Wunsch nach einem Menschen / Asked for a person"),
    (HandoverReason.INDIVIDUAL.value, "Eigener Fall / Individual case"),
    (HandoverReason.LOW_CONFIDENCE.value, "Nicht verstanden / Not understood"),
    (HandoverReason.CRISIS.value, "Krise / Crisis"),
    (HandoverReason.UNAVAILABLE.value, "Assistent nicht erreichbar / Assistant unavailable"),
    (HandoverReason.ATTACHMENT.value, "Anhang / Attachment"),
    (HandoverReason.APPEAL_DEADLINE.value, "Klagefrist / Appeal deadline"),
    (HandoverReason.FAMILY_DEADLINE.value, "Familiennachzug-Frist / Family deadline"),
    (HandoverReason.HOUSING_HELP.value, "Wohnungssuche / Housing help"),
]
"""The queue's filter by kind of handover (every reason; a test checks none is missing)."""


@pages.get("/interpreters", response_class=HTMLResponse)
def interpreters_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Interpreter requests with a status filter and buttons to change the status."""
    return templates.TemplateResponse(request, "interpreters.html", {"is_admin": _is_admin(session, request)})


@pages.get("/content", response_class=HTMLResponse)
def content_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Content that needs a check: outdated or missing translations, items past their review date."""
    return templates.TemplateResponse(request, "content.html", {"is_admin": _is_admin(session, request)})


@pages.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: IdPath, session: SessionDep) -> HTMLResponse:
    """One case with the live conversation."""
    return templates.TemplateResponse(
        request, "case.html", {"case_id": case_id, "is_admin": _is_admin(session, request)}
    )


def _marks(request: Request) -> tuple[int, int] | None:
    """The newest case and incoming message ids, or None when the caller's login no longer holds
    (logged out, token revoked or expired, account deactivated): checked with every poll."""
    with request.app.state.assistant.sessions() as session:
        if not _authenticated(session, request):
            return None
        cases = session.scalar(select(func.max(Handover.id))) or 0
        messages = session.scalar(select(func.max(Message.id)).where(Message.direction == Direction.IN)) or 0
        session.commit()  # keeps a token's last use
        return int(cases), int(messages)


MAX_EVENT_CASES = 200
"""More cases than this in one ``message`` event: ``cases`` is null and every case page reloads."""


def _cases_with_messages(request: Request, after: int, upto: int) -> list[int] | None:
    """Ids of the cases whose person wrote the incoming messages ``after < id <= upto``."""
    with request.app.state.assistant.sessions() as session:
        ids = session.scalars(
            select(Handover.id)
            .join(Message, Message.conversation_id == Handover.conversation_id)
            .where(Message.direction == Direction.IN, Message.id > after, Message.id <= upto)
            .distinct()
            .order_by(Handover.id)
            .limit(MAX_EVENT_CASES + 1)
        ).all()
    return None if len(ids) > MAX_EVENT_CASES else [int(i) for i in ids]


def _authenticated(session: Session, request: Request) -> bool:
    """The session cookie or bearer token still belongs to an active account."""
    cookie = request.cookies.get(SESSION_COOKIE)
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return user_for_token(session, bearer[7:].strip()) is not None
    return bool(cookie) and session_user(session, cookie or "") is not None


def _resume_marks(last_event_id: str | None) -> tuple[int, int] | None:
    """The marks a reconnecting browser saw last (``Last-Event-ID: <case>:<message>``), if valid."""
    parts = (last_event_id or "").split(":")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


@events.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        **LOGIN_REQUIRED,
        200: {
            "description": "An event stream; it ends after a while and the browser reconnects",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def stream(request: Request, settings: SettingsDep) -> StreamingResponse:
    """Server-sent events: ``case`` when a new handover arrives, ``message`` when a person writes.

    A ``message`` event names the cases the new messages belong to (``{"id": 12, "cases": [3, 5]}``),
    so an open case page reloads only for its own case.

    The login is checked again with every poll (every event batch): after logout, token revocation
    or expiry, or deactivation of the account the stream sends ``logout`` and ends. It also ends
    after ``inbox_stream_s``; the browser's EventSource reconnects by itself and sends the last
    event id, so nothing that happened in between is missed. Each poll is a short transaction of
    its own (a stream never holds one open).
    """
    current = await anyio.to_thread.run_sync(_marks, request)
    if current is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "login required")
    resume = _resume_marks(request.headers.get("last-event-id"))

    async def produce(current: tuple[int, int] | None) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.inbox_stream_s
        last_case, last_message = resume or current or (0, 0)
        yield "retry: 2000\n\n"
        while True:
            if current is None:
                yield "event: logout\ndata: {}\n\n"
                return
            case, message = current
            mark = f"id: {case}:{message}\n"
            if case > last_case:
                yield f"{mark}event: case\ndata: {json.dumps({'id': case})}\n\n"
            if message > last_message:
                cases = await anyio.to_thread.run_sync(_cases_with_messages, request, last_message, message)
                yield f"{mark}event: message\ndata: {json.dumps({'id': message, 'cases': cases})}\n\n"
            if case == last_case and message == last_message:
                yield ": keep-alive\n\n"
            last_case, last_message = case, message
            if loop.time() >= deadline or await request.is_disconnected():
                return
            await asyncio.sleep(POLL_S)
            current = await anyio.to_thread.run_sync(_marks, request)

    return StreamingResponse(
        produce(current), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )
