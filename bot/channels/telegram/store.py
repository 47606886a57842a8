"""Database work of the Telegram channel (blocking; callers run it in a worker thread).

Outgoing messages are claimed with a conditional UPDATE before they are sent, so the message
handler and the delivery loop (and several app processes) never send the same reply twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.content.render import render, with_machine_translation_note
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.conversations.service import erase_conversation
from bot.db import utcnow
from bot.guided.counselling import NAME, TOWN_STEP
from bot.guided.models import GuidedFlow
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.office_hours import OfficeHours
from bot.pipeline import outgoing_message

from .messages import HASHED_PREFIX, callback_data

NON_TEXT_PREFIX = "non-text:"
"""External id of a noted voice message/photo/file: its update id, apart from text messages' ids."""

CHANNEL = "telegram"
CLAIM_LEASE_S = 120.0
"""A claimed reply not marked delivered or failed after this long is sent again (its sender died)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A stored reply waiting to be sent."""

    id: int
    chat_id: int
    text: str
    buttons: list[dict[str, str]]


def conversation_language(sessions: sessionmaker[Session], pseudonym: str) -> str | None:
    """The stored conversation's language, or None when the person has none (yet)."""
    with sessions() as session:
        return session.scalar(select(Conversation.language).where(Conversation.pseudonym == pseudonym))


def hand_over_non_text(
    sessions: sessionmaker[Session], pseudonym: str, kind: str, update_id: int, office: OfficeHours | None
) -> bool:
    """A voice message, photo or file: note its kind (never its content) and hand the conversation
    to a caseworker, who answers in writing; the person is told so (a pending reply).

    Once per Telegram update (a redelivered update changes nothing); False for a repeat.
    """
    with sessions.begin() as session:
        conv = session.scalars(select(Conversation).where(Conversation.pseudonym == pseudonym)).one()
        external_id = f"{NON_TEXT_PREFIX}{update_id}"
        seen = session.scalar(
            select(Message.id).where(
                Message.conversation_id == conv.id,
                Message.direction == Direction.IN,
                Message.external_id == external_id,
            )
        )
        if seen is not None:
            return False
        handover = create_handover(session, conversation=conv, reason=HandoverReason.ATTACHMENT, topic=None)
        told = session.scalar(
            select(Message.id).where(
                Message.conversation_id == conv.id,
                Message.direction == Direction.IN,
                Message.external_id.startswith(NON_TEXT_PREFIX),
                Message.created_at >= handover.created_at,
            )
        )
        note = Message(
            conversation_id=conv.id,
            direction=Direction.IN,
            external_id=external_id,
            text="",
            language=conv.language,
            status=MessageStatus.HUMAN,
            payload={"non_text": kind},
        )
        session.add(note)
        session.flush()
        if told is not None:
            return True  # told once per case; the caseworker sees every further one
        reply = render(session, key="utter_handover_attachment", language=conv.language, office=office)
        session.add(outgoing_message(conv.id, reply, reply_to=note.id))
        return True


def pending_conversations(sessions: sessionmaker[Session]) -> list[str]:
    """Telegram conversations with replies still to send."""
    with sessions() as session:
        return list(
            session.scalars(
                select(Conversation.pseudonym)
                .join(Message)
                .where(
                    Conversation.channel == CHANNEL,
                    Message.direction == Direction.OUT,
                    Message.status == MessageStatus.PENDING,
                )
                .distinct()
                .limit(500)
            )
        )


def pending_replies(sessions: sessionmaker[Session], pseudonym: str) -> list[Outgoing]:
    """Replies of one conversation still to send, oldest first (empty without a chat to send to)."""
    with sessions() as session:
        conv = session.scalar(select(Conversation).where(Conversation.pseudonym == pseudonym))
        if conv is None or conv.channel != CHANNEL or not conv.channel_address:
            return []
        rows = session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conv.id,
                Message.direction == Direction.OUT,
                Message.status == MessageStatus.PENDING,
            )
            .order_by(Message.id)
        ).all()
        try:
            chat_id = int(conv.channel_address)
        except ValueError:
            return []
        return [
            Outgoing(
                id=row.id,
                chat_id=chat_id,
                text=_text(session, row, conv.language),
                buttons=list((row.payload or {}).get("buttons") or []),
            )
            for row in rows
        ]


def _text(session: Session, row: Message, language: str) -> str:
    """The text as sent: a machine translation always carries a note saying so."""
    payload = row.payload or {}
    text = str(payload.get("text") or row.text)
    if payload.get("machine_translated"):
        return with_machine_translation_note(session, text=text, language=row.language or language)
    return text


def claim(sessions: sessionmaker[Session], message_id: int) -> bool:
    """Take a pending reply for sending; False when someone else is sending it or it was sent."""
    now = utcnow()
    with sessions.begin() as session:
        result = session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status == MessageStatus.PENDING,
                (Message.attempts == 0) | (Message.updated_at < now - timedelta(seconds=CLAIM_LEASE_S)),
            )
            .values(attempts=Message.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))


def mark(sessions: sessionmaker[Session], message_id: int, status: MessageStatus) -> None:
    """Record that a reply was delivered or failed for good."""
    with sessions.begin() as session:
        session.execute(
            update(Message).where(Message.id == message_id).values(status=status, updated_at=utcnow())
        )


def mark_unreachable(sessions: sessionmaker[Session], pseudonym: str) -> None:
    """The person blocked the bot: forget where to send, fail what waits (a new message restores it)."""
    with sessions.begin() as session:
        conv = session.scalar(select(Conversation).where(Conversation.pseudonym == pseudonym))
        if conv is None:
            return
        conv.channel_address = None
        session.execute(
            update(Message)
            .where(
                Message.conversation_id == conv.id,
                Message.direction == Direction.OUT,
                Message.status == MessageStatus.PENDING,
            )
            .values(status=MessageStatus.FAILED, updated_at=utcnow())
        )


def resolve_callback(sessions: sessionmaker[Session], pseudonym: str, data: str) -> str | None:
    """The payload behind a button's callback data (hashed data is looked up in the stored replies)."""
    if not data.startswith(HASHED_PREFIX):
        return data
    with sessions() as session:
        payloads = session.scalars(
            select(Message.payload)
            .join(Conversation)
            .where(Conversation.pseudonym == pseudonym, Message.direction == Direction.OUT)
            .order_by(Message.id.desc())
            .limit(50)
        ).all()
    for payload in payloads:
        for button in (payload or {}).get("buttons") or []:
            if callback_data(str(button.get("payload", ""))) == data:
                return str(button["payload"])
    return None


def erase(sessions: sessionmaker[Session], tracker_url: str, pseudonym: str) -> bool:
    """Delete a person's conversation and everything linked to it (see ``erase_conversation``)."""
    with sessions.begin() as session:
        return erase_conversation(session, pseudonym=pseudonym, tracker_url=tracker_url)


def attempts_of(sessions: sessionmaker[Session], message_id: int) -> int:
    """How often a reply was claimed for sending."""
    with sessions() as session:
        return int(session.scalar(select(Message.attempts).where(Message.id == message_id)) or 0)


def waiting_for_place(sessions: sessionmaker[Session], pseudonym: str) -> bool:
    """Whether the conversation's counselling flow is asking where the person lives."""
    with sessions() as session:
        found = session.scalar(
            select(GuidedFlow.id)
            .join(Conversation, Conversation.id == GuidedFlow.conversation_id)
            .where(Conversation.pseudonym == pseudonym, GuidedFlow.flow == NAME, GuidedFlow.step == TOWN_STEP)
        )
        return found is not None
