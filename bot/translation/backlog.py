"""Incoming messages are translated into German once, in the background, and kept with the message.

The case page reads the stored German text instead of translating every message on every open (which
held the database's write lock for as long as the translations took). The work runs outside any
database transaction: read a batch in a short read, translate with no session open, write each result
in a short transaction of its own. A message erased in the meantime is simply not updated.

Picked up are incoming messages that are not German, were handled (answered, deferred or kept for a
caseworker, so never in the person's request path) and belong to a conversation with a case, and
whose translation was not tried yet (``german_at`` is NULL). The app's background loop calls
:func:`translate_pending` (``bot/web/app.py``), so messages left over by a restart are picked up too.
"""

from __future__ import annotations

import logging

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Direction, Message, MessageStatus
from bot.db import utcnow
from bot.handover.models import Handover
from bot.translation.service import GERMAN, TranslationService, translate_for_caseworker

log = logging.getLogger(__name__)

BATCH = 20
"""Messages translated per pass of the background loop."""

_HANDLED = (MessageStatus.ANSWERED, MessageStatus.DEFERRED, MessageStatus.HUMAN)


def pending(sessions: sessionmaker[Session], limit: int = BATCH) -> list[tuple[int, str, str]]:
    """(id, text, language) of messages waiting for their German translation, oldest first."""
    with sessions() as session:
        rows = session.execute(
            select(Message.id, Message.text, Message.language)
            .where(
                Message.direction == Direction.IN,
                Message.german_at.is_(None),
                Message.language.is_not(None),
                Message.language != GERMAN,
                Message.status.in_(_HANDLED),
                exists().where(Handover.conversation_id == Message.conversation_id),
            )
            .order_by(Message.id)
            .limit(limit)
        ).all()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _store(sessions: sessionmaker[Session], message_id: int, german: str | None, engine: str | None) -> None:
    with sessions.begin() as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.german_at.is_(None))
            .values(german_text=german, german_engine=engine, german_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def translate_pending(
    sessions: sessionmaker[Session], service: TranslationService, limit: int = BATCH
) -> int:
    """Translate up to ``limit`` waiting messages and store the German; returns how many were handled.

    Where no model translates a language the message is marked as tried (``german_text`` stays NULL);
    the case page then shows the original only.
    """
    rows = pending(sessions, limit)
    for message_id, text, language in rows:
        german = engine = None
        if text.strip() and not text.startswith("/"):  # button payloads are not the person's words
            try:
                both = translate_for_caseworker(text, language, service=service)
            except Exception:
                log.exception("translating message %s failed; it is shown untranslated", message_id)
            else:
                german, engine = both.translation, both.engine
        _store(sessions, message_id, german, engine)
    return len(rows)
