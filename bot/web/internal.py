"""Endpoints Rasa and the action server call: handovers, language changes, the active model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy import select

from bot.conversations.models import Conversation, LanguageSource
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.language.languages import LANGUAGES, normalise_code
from bot.ops.metrics import MODEL_DOWNLOADS
from bot.training.model_server import served_model
from bot.web.dependencies import InternalAuth, SessionDep, SettingsDep
from bot.web.errors import INTERNAL_AUTH, errors

router = APIRouter(
    prefix="/internal", tags=["internal"], dependencies=[InternalAuth], responses=INTERNAL_AUTH
)


class HandoverIn(BaseModel):
    sender_id: str
    reason: HandoverReason
    topic: str | None = None
    intent: str | None = None


class HandoverOut(BaseModel):
    id: int
    urgency: int
    language: str


class LanguageIn(BaseModel):
    language: str


class LanguageOut(BaseModel):
    language: str


def _conversation(session: SessionDep, sender_id: str) -> Conversation:
    conv = session.scalar(select(Conversation).where(Conversation.pseudonym == sender_id))
    if conv is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown conversation")
    return conv


@router.post(
    "/handovers", status_code=status.HTTP_201_CREATED, responses=errors(400, 404, e404="Unknown conversation")
)
def post_handover(body: HandoverIn, session: SessionDep) -> HandoverOut:
    """Store a handover and mark the conversation as handed over (Rasa pauses it itself)."""
    conv = _conversation(session, body.sender_id)
    handover = create_handover(
        session,
        conversation=conv,
        reason=body.reason,
        topic=body.topic,
        facts={"last_intent": body.intent} if body.intent else None,
    )
    return HandoverOut(id=handover.id, urgency=handover.urgency, language=handover.language)


@router.put(
    "/conversations/{sender_id}/language",
    responses=errors(
        400,
        404,
        e400="Unsupported language, or a body that could not be decoded",
        e404="Unknown conversation",
    ),
)
def put_language(sender_id: str, body: LanguageIn, session: SessionDep) -> LanguageOut:
    """The person chose a language: it wins over detection from now on."""
    code = normalise_code(body.language)
    if code is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"unsupported language; one of {', '.join(LANGUAGES)}"
        )
    conv = _conversation(session, sender_id)
    conv.language, conv.language_source = code, LanguageSource.EXPLICIT
    return LanguageOut(language=code)


@router.get(
    "/rasa-model",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/gzip": {}}, "description": "The active model (a new one)"},
        304: {"description": "The Rasa process already runs the active model"},
        **errors(404, e404="No trained model"),
    },
)
def get_rasa_model(settings: SettingsDep, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """Rasa's model server (``models`` in its endpoints.yml): every Rasa process asks with the
    fingerprint of the model it runs and gets 304, or the active model to load."""
    served = served_model(settings)
    if served is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no trained model")
    if if_none_match == served.etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": served.etag})
    MODEL_DOWNLOADS.labels(served.filename).inc()
    return FileResponse(
        served.path,
        media_type="application/gzip",
        headers={"ETag": served.etag, "filename": served.filename},
    )
