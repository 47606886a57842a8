"""Erasing a person's data: every row linked to a conversation, and Rasa's tracker for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, make_url, select, text
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Message
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
    delete_tracker_events(tracker_url, pseudonym)
    return bool(getattr(found, "rowcount", 0))


def delete_tracker_events(tracker_url: str, pseudonym: str) -> None:
    """Delete the conversation's rows from Rasa's SQL tracker store (its ``events`` table)."""
    with engine_for(tracker_engine_url(tracker_url)).begin() as tracker:
        if tracker.dialect.has_table(tracker, "events"):
            tracker.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": pseudonym})


def tracker_event_count(tracker_url: str, pseudonym: str) -> int:
    """How many rows of the conversation Rasa's SQL tracker store holds (0 after a complete erasure)."""
    with engine_for(tracker_engine_url(tracker_url)).connect() as tracker:
        if not tracker.dialect.has_table(tracker, "events"):
            return 0
        count = tracker.execute(
            text("SELECT COUNT(*) FROM events WHERE sender_id = :sender"), {"sender": pseudonym}
        ).scalar_one()
        return int(count)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def conversation_texts(session: Session, pseudonym: str) -> set[str]:
    """Every text stored with the conversation's messages (the text itself and the strings of its
    payload, e.g. the English pivot translation): what a translation cache may hold about it."""
    rows = session.execute(
        select(Message.text, Message.payload).join(Conversation).where(Conversation.pseudonym == pseudonym)
    ).all()
    texts: set[str] = set()
    for body, payload in rows:
        if body:
            texts.add(body)
        texts.update(s for s in _strings(payload) if len(s) > 1)
    return texts
