"""Retention: what is erased when, by a background job that one instance at a time executes.

* Conversations: ``LOTSE_RETENTION_DAYS`` after the person's last message, erased exactly as by
  /delete (app rows with everything that cascades, Rasa's tracker rows, cached translations) —
  never while a case is open or claimed, a closed case is younger than ``LOTSE_CASE_RETENTION_DAYS``,
  or a reminder is still pending.
* The redacted question log: rows older than ``LOTSE_QUESTION_LOG_DAYS``.

Defaults (30 days, 180 days, 365 days) follow the public chat of Integreat (conversations are kept a
month after the last message); the authority sets its own in its deletion concept.

With several instances, a PostgreSQL advisory lock lets exactly one run the job at a time (the others
skip that round); SQLite is single-instance by nature.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, Select, and_, delete, exists, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.models import QuestionLog
from bot.config import Settings
from bot.conversations.models import Conversation
from bot.guided.models import Reminder, ReminderStatus
from bot.handover.models import Handover, HandoverStatus
from bot.threads import in_thread

if TYPE_CHECKING:
    from bot.pipeline import Assistant

log = logging.getLogger(__name__)

LOCK_KEY = 0x4C6F747365  # "Lotse": the advisory lock of the retention job


@dataclass(slots=True)
class Due:
    """What the retention rules select at one moment."""

    conversations: list[str] = field(default_factory=list)
    """Pseudonyms, oldest activity first."""
    question_log_rows: int = 0
    question_log_before: datetime | None = None


def _conversations_due(settings: Settings, now: datetime) -> Select[str]:
    idle_before = now - timedelta(days=settings.retention_days)
    case_kept_after = now - timedelta(days=settings.case_retention_days)
    case_keeps_it = exists().where(
        Handover.conversation_id == Conversation.id,
        (Handover.status != HandoverStatus.CLOSED) | (Handover.closed_at >= case_kept_after),
    )
    reminder_pending = exists().where(
        Reminder.conversation_id == Conversation.id, Reminder.status == ReminderStatus.PENDING
    )
    return select(Conversation.pseudonym).where(
        and_(Conversation.last_activity_at < idle_before, ~case_keeps_it, ~reminder_pending)
    )


def due(session: Session, settings: Settings, now: datetime) -> Due:
    """Everything the rules select at ``now`` (``lotse retention --dry-run`` prints it)."""
    query = _conversations_due(settings, now).order_by(Conversation.last_activity_at)
    pseudonyms = session.scalars(query).all()
    log_before = (now - timedelta(days=settings.question_log_days)).date()
    rows = session.scalar(select(func.count()).select_from(QuestionLog).where(QuestionLog.day < log_before))
    return Due(list(pseudonyms), int(rows or 0), datetime.combine(log_before, datetime.min.time()))


def still_due(sessions: sessionmaker[Session], settings: Settings, now: datetime, pseudonym: str) -> bool:
    """Checked again right before each erasure: the person may have written since the selection."""
    with sessions() as session:
        query = _conversations_due(settings, now).where(Conversation.pseudonym == pseudonym)
        return session.scalar(query) is not None


def _delete_question_log(sessions: sessionmaker[Session], before: datetime) -> int:
    with sessions.begin() as session:
        result = session.execute(delete(QuestionLog).where(QuestionLog.day < before.date()))
        return int(getattr(result, "rowcount", 0) or 0)


def _lock(engine: Engine) -> Connection | None:
    """A connection that holds the job's advisory lock (PostgreSQL; SQLite has one instance), or None
    when another instance holds it."""
    connection = engine.connect()
    if connection.dialect.name != "postgresql":
        return connection
    if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
        return connection
    connection.close()
    return None


def _unlock(connection: Connection) -> None:
    try:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    finally:
        connection.close()


def _due_now(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> Due:
    with sessions() as session:
        return due(session, settings, now)


@dataclass(slots=True)
class Report:
    ran: bool
    conversations: int = 0
    question_log_rows: int = 0


async def run_once(assistant: Assistant, now: datetime) -> Report:
    """Erase what is due, if no other instance is doing it right now."""
    connection = await in_thread(_lock, assistant.sessions.kw["bind"])
    if connection is None:
        return Report(ran=False)
    try:
        settings = assistant.settings
        found = await in_thread(_due_now, assistant.sessions, settings, now)
        erased = 0
        for pseudonym in found.conversations:
            if not await in_thread(still_due, assistant.sessions, settings, now, pseudonym):
                continue
            if await assistant.erase(pseudonym):
                erased += 1
        rows = 0
        if found.question_log_rows and found.question_log_before is not None:
            rows = await in_thread(_delete_question_log, assistant.sessions, found.question_log_before)
        return Report(ran=True, conversations=erased, question_log_rows=rows)
    finally:
        # synchronous and quick: nothing is awaited here, so a cancellation (shutdown) cannot leave
        # the lock or the connection behind or wait on a worker thread
        _unlock(connection)
