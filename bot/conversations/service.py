"""Erasing a person's data: every row linked to a conversation, and Rasa's tracker for it."""

from __future__ import annotations

from sqlalchemy import delete, make_url, text
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation
from bot.db import engine_for


def tracker_engine_url(url: str) -> str:
    """Rasa's tracker URL as the app's SQLAlchemy 2 can open it (psycopg 3 instead of psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def erase_conversation(session: Session, *, pseudonym: str, tracker_url: str) -> bool:
    """Delete the conversation with its messages and handovers (ON DELETE CASCADE) and its Rasa
    tracker events. ``question_log`` rows are redacted and unlinked, so nothing that identifies the
    person remains. Returns False when the app database had no such conversation.
    """
    found = session.execute(delete(Conversation).where(Conversation.pseudonym == pseudonym))
    with engine_for(tracker_engine_url(tracker_url)).begin() as tracker:
        if tracker.dialect.has_table(tracker, "events"):
            tracker.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": pseudonym})
    return bool(getattr(found, "rowcount", 0))
