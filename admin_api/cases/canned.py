"""Canned replies: standard caseworker answers kept in the content store (keys ``canned_*``).

Each has a German text (what the caseworker reads and picks) and curated texts in the people's
languages, edited like any content. Sent as a reply, the person gets the curated text in their
language instead of a machine translation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.models import ContentItem
from bot.content.service import resolve

CANNED_PREFIX = "canned_"


class CannedState(enum.StrEnum):
    """What the person would receive in their language."""

    REVIEWED = "reviewed"
    """A reviewed text in the person's language."""
    MACHINE_DRAFT = "machine_draft"
    """Only a machine draft in the person's language (sent, and marked as machine-translated)."""
    MISSING = "missing"
    """No text in the person's language: the German is machine-translated like a free reply."""


@dataclass(frozen=True, slots=True)
class CannedReply:
    key: str
    german: str
    language: str
    text: str | None
    """The curated text in ``language``; None when ``state`` is ``missing``."""
    state: CannedState

    def as_german(self) -> CannedReply:
        """The same reply, to be sent in German as written."""
        return CannedReply(self.key, self.german, "de", self.german, CannedState.REVIEWED)


def canned_reply(session: Session, *, key: str, language: str) -> CannedReply | None:
    """One canned reply for a person writing ``language``, or None if there is no such key."""
    if not key.startswith(CANNED_PREFIX):
        return None
    german = resolve(session, key=key, language="de")
    if german is None:
        return None
    if language == "de":
        return CannedReply(key, german.text, language, german.text, CannedState.REVIEWED)
    own = resolve(session, key=key, language=language)
    if own is None or own.fallback:
        return CannedReply(key, german.text, language, None, CannedState.MISSING)
    state = CannedState.REVIEWED if own.reviewed else CannedState.MACHINE_DRAFT
    return CannedReply(key, german.text, language, own.text, state)


def canned_replies(session: Session, *, language: str) -> list[CannedReply]:
    """Every canned reply in catalogue order (the order they were seeded in)."""
    keys = session.scalars(
        select(ContentItem.key)
        .where(ContentItem.key.startswith(CANNED_PREFIX, autoescape=True))
        .order_by(ContentItem.id)
    ).all()
    found = (canned_reply(session, key=key, language=language) for key in keys)
    return [reply for reply in found if reply is not None]
