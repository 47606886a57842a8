"""Erasing a person's data: every row linked to a conversation, and Rasa's tracker for it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation
from bot.db import engine_for


@dataclass(frozen=True, slots=True)
class Erased:
    conversation: bool
    tracker_events: int


def app_url_for_tracker(url: str) -> str:
    """The tracker store URL as the app's SQLAlchemy (psycopg 3) can open it."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def erase_conversation(session: Session, *, pseudonym: str, tracker_url: str) -> Erased:
    """Delete the conversation with its messages and handovers (cascade) and its Rasa tracker events.

    The question log keeps only redacted texts without any link to the conversation, so nothing
    that identifies the person remains.
    """
    conv_id = session.scalar(select(Conversation.id).where(Conversation.pseudonym == pseudonym))
    if conv_id is not None:
        session.execute(delete(Conversation).where(Conversation.id == conv_id))
    with engine_for(app_url_for_tracker(tracker_url)).begin() as tracker:
        has_events = tracker.execute(
            text("SELECT 1 FROM information_schema.tables WHERE table_name = 'events'")
            if tracker.dialect.name == "postgresql"
            else text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
        ).first()
        removed = (
            tracker.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": pseudonym}
            ).rowcount
            if has_events
            else 0
        )
    return Erased(conversation=conv_id is not None, tracker_events=int(removed or 0))
