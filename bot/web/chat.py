"""The local chat channel: a minimal web page and the JSON API that `lotse chat`, `lotse eval` and
`lotse bench` use. It goes through exactly the same path as any other channel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.content.render import machine_translation_note
from bot.conversations.models import Conversation, Direction, Message
from bot.conversations.pseudonym import pseudonymize
from bot.language.languages import LANGUAGES
from bot.ops.admission import Busy
from bot.pipeline import ConversationErased, Incoming
from bot.threads import in_thread
from bot.web.dependencies import MAX_ID, AssistantDep, SessionDep, SettingsDep
from bot.web.errors import errors
from bot.web.ratelimit import RateLimits, rate_limits
from bot.web.session_token import new_token, valid_token

CHANNEL = "web"
MAX_TEXT_CHARS = 20_000

router = APIRouter(tags=["chat"])
LimitsDep = Annotated[RateLimits, Depends(rate_limits)]
SESSION_ERRORS = errors(
    401, 429, e401="Unknown session: start one with POST /api/chat/sessions, send it in X-Lotse-Session"
)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class SessionIn(BaseModel):
    language_hint: str | None = Field(default=None, max_length=16)


class SessionOut(BaseModel):
    session: str
    conversation: str


class MessageIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT_CHARS)
    client_id: str | None = Field(default=None, max_length=128, description="Makes a resend idempotent.")
    language_hint: str | None = Field(default=None, max_length=16)


class ReplyOut(BaseModel):
    id: int
    text: str
    buttons: list[dict[str, str]]
    key: str | None
    topic: str | None
    language: str | None
    machine_translated: bool
    offered: list[str] = Field(
        default_factory=list,
        description='Topics offered as buttons when the assistant asks back ("Do you mean ...").',
    )


class MessageOut(BaseModel):
    conversation: str
    message_id: int
    status: str
    duplicate: bool
    replies: list[ReplyOut]


def _reply_out(row_id: int, payload: dict[str, Any]) -> ReplyOut:
    return ReplyOut(
        id=row_id,
        text=str(payload.get("text", "")),
        buttons=list(payload.get("buttons") or []),
        key=payload.get("key"),
        topic=payload.get("topic"),
        language=payload.get("language"),
        machine_translated=bool(payload.get("machine_translated")),
        offered=[str(t) for t in payload.get("offered") or []],
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request, db: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The web chat page."""
    notes = {code: machine_translation_note(db, code) for code in LANGUAGES}
    return templates.TemplateResponse(
        request,
        "chat.html",
        {"languages": LANGUAGES, "mt_notes": notes, "max_chars": settings.max_message_chars},
    )


SESSION_HEADER = "X-Lotse-Session"


def web_session(
    settings: SettingsDep,
    token: Annotated[str | None, Header(alias=SESSION_HEADER, max_length=128)] = None,
) -> str:
    """The session token from the ``X-Lotse-Session`` header if ``POST /api/chat/sessions`` made it.

    A header, never the URL: query strings and paths end up in proxy and server logs.
    """
    if not token or not valid_token(settings.secret("pseudonym_key"), token):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Unknown session: start a conversation with POST /api/chat/sessions and send its token "
            f"in the {SESSION_HEADER} header.",
        )
    return token


WebSession = Annotated[str, Depends(web_session)]


@router.post("/api/chat/sessions", responses=errors(400, 429))
def create_session(
    body: SessionIn,
    request: Request,
    assistant: AssistantDep,
    settings: SettingsDep,
    limits: LimitsDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> SessionOut:
    """Start a conversation; the returned (signed) token is the only key to it."""
    limits.check("session_per_address", limits.address_key(request), "from this address")
    token = new_token(settings.secret("pseudonym_key"))
    hint = body.language_hint or (accept_language.split(",")[0] if accept_language else None)
    pseudonym = assistant.conversation_for(channel=CHANNEL, user_id=token, language_hint=hint)
    return SessionOut(session=token, conversation=pseudonym)


def too_long(limit: int) -> str:
    """The answer to a message over the limit (German and English, like the page's own texts)."""
    return (
        f"Ihre Nachricht ist zu lang (höchstens {limit} Zeichen). Bitte kürzen Sie sie oder senden Sie "
        f"sie in mehreren Teilen. / Your message is too long (at most {limit} characters). Please "
        "shorten it or send it in several parts."
    )


def _limit_session(limits: RateLimits, request: Request, session: str, kind: str) -> None:
    limits.check(f"{kind}_per_address", limits.address_key(request), "from this address")
    limits.check(f"{kind}_per_session", limits.session_key(CHANNEL, session), "in this conversation")


@router.post(
    "/api/chat/messages",
    responses={**errors(400, 410, 413, 503), **SESSION_ERRORS},
)
async def post_message(
    session: WebSession,
    body: MessageIn,
    request: Request,
    assistant: AssistantDep,
    limits: LimitsDep,
    settings: SettingsDep,
) -> MessageOut:
    """Store, process and answer one message of the session in the ``X-Lotse-Session`` header
    (at most ``LOTSE_MAX_MESSAGE_CHARS`` characters)."""
    await in_thread(_limit_session, limits, request, session, "message")
    if len(body.text) > settings.max_message_chars:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, too_long(settings.max_message_chars))
    try:
        async with request.app.state.admission.slot(CHANNEL):
            outcome = await assistant.handle(
                Incoming(
                    channel=CHANNEL,
                    user_id=session,
                    text=body.text,
                    external_id=body.client_id,
                    language_hint=body.language_hint,
                )
            )
    except Busy as busy:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "Lotse is busy right now; the message was not stored. Send it again (the same client_id) "
            "after Retry-After seconds.",
            headers={"Retry-After": str(busy.retry_after_s)},
        ) from None
    except ConversationErased:
        raise HTTPException(410, "the conversation was deleted while this message was sent") from None
    return MessageOut(
        conversation=outcome.conversation,
        message_id=outcome.message_id,
        status=outcome.status.value,
        duplicate=outcome.duplicate,
        replies=[
            _reply_out(i, r.as_payload()) for i, r in zip(outcome.reply_ids, outcome.replies, strict=True)
        ],
    )


class ErasedOut(BaseModel):
    erased: bool


@router.delete("/api/chat/session", responses=SESSION_ERRORS)
async def delete_session(
    session: WebSession, request: Request, assistant: AssistantDep, settings: SettingsDep, limits: LimitsDep
) -> ErasedOut:
    """Erase everything Lotse stored about the header's conversation (messages, cases, Rasa tracker,
    cached translations); a message being answered right now is finished first, then erased too."""
    await in_thread(_limit_session, limits, request, session, "read")
    pseudonym = pseudonymize(settings.secret("pseudonym_key"), CHANNEL, session)
    return ErasedOut(erased=await assistant.erase(pseudonym))


@router.get("/api/chat/messages", responses=SESSION_ERRORS)
def list_replies(
    session: WebSession,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    limits: LimitsDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[ReplyOut]:
    """Replies after ``after`` (answers that arrived later, e.g. once the assistant was back)."""
    _limit_session(limits, request, session, "read")
    pseudonym = pseudonymize(settings.secret("pseudonym_key"), CHANNEL, session)
    rows = db.scalars(
        select(Message)
        .join(Conversation)
        .where(Conversation.pseudonym == pseudonym, Message.direction == Direction.OUT, Message.id > after)
        .order_by(Message.id)
        .limit(100)
    ).all()
    return [_reply_out(r.id, r.payload or {"text": r.text}) for r in rows]
