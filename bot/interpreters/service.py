"""Creating, listing and deciding interpreter requests; telling the person about a decision."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content.render import Reply, render
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.interpreters.models import NOTE_LIMIT, TEXT_LIMIT, InterpreterRequest, InterpreterStatus
from bot.translation.service import Bilingual

NOTIFY_KEYS = {
    InterpreterStatus.ARRANGED: "utter_flow_interpreter_arranged",
    InterpreterStatus.DECLINED: "utter_flow_interpreter_declined",
}
"""What the person is told when a caseworker decides (content keys)."""
MAX_PAGE = 200


def create_request(
    session: Session,
    *,
    conversation_id: int,
    language: str,
    dialect: str,
    appointment_type: str,
    wishes: str,
    mode: str,
) -> InterpreterRequest:
    row = InterpreterRequest(
        conversation_id=conversation_id,
        language=language.strip()[:TEXT_LIMIT],
        dialect=dialect,
        appointment_type=appointment_type,
        wishes=wishes.strip()[:TEXT_LIMIT],
        mode=mode,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class RequestPage:
    items: list[InterpreterRequest]
    total: int


def page(
    session: Session,
    *,
    status: InterpreterStatus | None,
    limit: int = 50,
    offset: int = 0,
    languages: Collection[str] | None = None,
) -> RequestPage:
    """Oldest first (the longest waiting), optionally only one status, only of people writing in
    ``languages`` if given (as cases are restricted)."""
    query = select(InterpreterRequest)
    count = select(func.count(InterpreterRequest.id))
    if status is not None:
        query = query.where(InterpreterRequest.status == status)
        count = count.where(InterpreterRequest.status == status)
    if languages is not None:
        mine = select(Conversation.id).where(Conversation.language.in_(list(languages)))
        query = query.where(InterpreterRequest.conversation_id.in_(mine))
        count = count.where(InterpreterRequest.conversation_id.in_(mine))
    items = session.scalars(
        query.order_by(InterpreterRequest.created_at, InterpreterRequest.id)
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
    )
    return RequestPage(list(items), int(session.scalar(count) or 0))


def tells_the_person(row: InterpreterRequest, status: InterpreterStatus | None) -> bool:
    """Whether setting ``status`` is a decision the person hears about (a change to arranged/declined)."""
    return status is not None and status != row.status and status in NOTIFY_KEYS


def decide(
    session: Session,
    row: InterpreterRequest,
    *,
    staff_id: int,
    status: InterpreterStatus | None,
    note: str | None,
    translated_note: Bilingual | None = None,
) -> list[Message]:
    """Set the status and/or the note for the person; returns the messages queued for the person
    (the decision in their language and the note, machine-translated as caseworker replies are):
    only when the status changes to arranged or declined, so a person is told once per decision."""
    notify = tells_the_person(row, status)
    if note is not None:
        row.note_for_person = note.strip()[:NOTE_LIMIT] or None
    if status is not None:
        row.status = status
    row.updated_by_id = staff_id
    if not notify or status is None:
        return []
    conv = session.get_one(Conversation, row.conversation_id)
    notice = render(session, key=NOTIFY_KEYS[status], language=conv.language)
    notice.topic = "other"
    messages = [_message(conv.id, notice)]
    if row.note_for_person:
        messages.append(_note_message(conv, row.note_for_person, translated_note))
    session.add_all(messages)
    session.flush()
    return messages


def _message(conversation_id: int, reply: Reply) -> Message:
    return Message(
        conversation_id=conversation_id,
        direction=Direction.OUT,
        text=reply.text,
        language=reply.language,
        status=MessageStatus.PENDING,
        content_key=reply.key,
        topic=reply.topic,
        payload=reply.as_payload(),
    )


def _note_message(conv: Conversation, note: str, translated: Bilingual | None) -> Message:
    """The caseworker's German note, in the person's language when a machine translation exists
    (marked, with the German original), as ``admin_api.cases.service.reply`` sends replies."""
    sent, language, engine = note, "de", None
    if translated is not None and translated.available and translated.translation is not None:
        sent, language, engine = translated.translation, translated.translation_language, translated.engine
    return Message(
        conversation_id=conv.id,
        direction=Direction.OUT,
        text=sent,
        language=language,
        status=MessageStatus.PENDING,
        payload={
            "key": "caseworker",
            "text": sent,
            "language": language,
            "topic": "other",
            "buttons": [],
            "machine_translated": engine is not None,
            "engine": engine,
            "original": note if engine is not None else None,
            "from_caseworker": True,
            "canned_key": None,
        },
    )
