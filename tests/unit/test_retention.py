"""Retention: conversations idle past the limit are erased as by /delete (Rasa's tracker included),
kept while a case or a reminder needs them; the question log has its own maximum age; one instance
at a time (PostgreSQL advisory lock); ``lotse retention --dry-run`` lists and erases nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.models import QuestionLog
from bot.analytics.service import record_question
from bot.cli import main
from bot.config import Settings, get_settings
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import engine_for, make_engine, utcnow
from bot.guided.models import Reminder, ReminderStatus
from bot.handover.models import Handover, HandoverReason, HandoverStatus
from bot.ops import retention
from bot.pipeline import Assistant
from tests.conftest import BACKENDS, make_settings, own_database
from tests.unit.telegram.conftest import FakeRasa

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=utcnow().tzinfo)


@pytest.fixture(scope="module", params=BACKENDS)
def keep_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of its own (the job erases whatever is due in the whole database)."""
    return own_database("retention", request.param, tmp_path_factory)


@pytest.fixture
def world(keep_db: str, tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session], Engine]]:
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker = make_engine(tracker_url)
    with tracker.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"))
    settings = make_settings(database_url=keep_db, rasa_tracker_url=tracker_url)
    engine = make_engine(keep_db)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions.begin() as session:
        for table in (Conversation, QuestionLog):
            session.query(table).delete()
    yield settings, sessions, tracker
    engine.dispose()
    tracker.dispose()


def _conversation(
    sessions: sessionmaker[Session], tracker: Engine, name: str, idle_days: int
) -> Conversation:
    with sessions.begin() as session:
        conv = Conversation(
            pseudonym=name, channel="web", language="ar", last_activity_at=NOW - timedelta(days=idle_days)
        )
        session.add(conv)
        session.flush()
        session.add(
            Message(
                conversation_id=conv.id, direction=Direction.IN, text="سؤال", status=MessageStatus.ANSWERED
            )
        )
    with tracker.begin() as conn:
        conn.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, '{}')"), {"s": name})
    return conv


def _case(sessions: sessionmaker[Session], conv: Conversation, closed_days_ago: int | None) -> None:
    with sessions.begin() as session:
        closed = closed_days_ago is not None
        session.add(
            Handover(
                conversation_id=conv.id,
                reason=HandoverReason.REQUESTED,
                language="ar",
                status=HandoverStatus.CLOSED if closed else HandoverStatus.OPEN,
                closed_at=NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None,
            )
        )


def _left(sessions: sessionmaker[Session], tracker: Engine) -> tuple[set[str], set[str]]:
    with sessions() as session:
        app = set(session.scalars(select(Conversation.pseudonym)))
    with tracker.connect() as conn:
        rasa = {row[0] for row in conn.execute(text("SELECT DISTINCT sender_id FROM events"))}
    return app, rasa


def test_what_is_due_goes_everything_else_stays(
    world: tuple[Settings, sessionmaker[Session], Engine],
) -> None:
    settings, sessions, tracker = world
    assert (settings.retention_days, settings.case_retention_days, settings.question_log_days) == (
        30,
        180,
        365,
    )
    _conversation(sessions, tracker, "idle-45", 45)
    _conversation(sessions, tracker, "recent-5", 5)
    _conversation(sessions, tracker, "idle-29", 29)
    _case(sessions, _conversation(sessions, tracker, "open-case", 90), None)
    _case(sessions, _conversation(sessions, tracker, "closed-recently", 90), 10)
    _case(sessions, _conversation(sessions, tracker, "closed-long-ago", 400), 200)
    waiting = _conversation(sessions, tracker, "reminder-pending", 60)
    with sessions.begin() as session:
        session.add(
            Reminder(
                conversation_id=waiting.id,
                flow="appeal",
                key="utter_reminder",
                deadline="2027-03-10",
                language="ar",
                due_at=NOW + timedelta(days=3),
                status=ReminderStatus.PENDING,
            )
        )
        for day, question in ((date(2025, 12, 1), "alt"), (date(2026, 6, 1), "neu")):
            record_question(
                session,
                text=question,
                language="de",
                intent=None,
                confidence=None,
                topic="other",
                content_key=None,
                day=day,
            )
    with sessions() as session:
        found = retention.due(session, settings, NOW)
    assert found.conversations == ["closed-long-ago", "idle-45"]  # oldest activity first
    assert found.question_log_rows == 1

    assistant = Assistant(settings=settings, sessions=sessions, rasa=FakeRasa())  # type: ignore[arg-type]
    report = asyncio.run(retention.run_once(assistant, NOW))
    assert (report.ran, report.conversations, report.question_log_rows) == (True, 2, 1)
    app, rasa = _left(sessions, tracker)
    kept = {"recent-5", "idle-29", "open-case", "closed-recently", "reminder-pending"}
    assert app == kept and rasa == kept, "erased in the app and in Rasa's tracker store, nothing else"
    with sessions() as session:
        assert session.scalars(select(QuestionLog.text_redacted)).all() == ["neu"]
        orphans = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id.not_in(select(Conversation.id)))
        )
        assert orphans == 0, "the messages went with their conversations"
    again = asyncio.run(retention.run_once(assistant, NOW))
    assert (again.conversations, again.question_log_rows) == (0, 0)


def test_a_person_who_writes_again_is_not_erased(
    world: tuple[Settings, sessionmaker[Session], Engine],
) -> None:
    settings, sessions, tracker = world
    _conversation(sessions, tracker, "came-back", 45)
    with sessions() as session:
        assert retention.due(session, settings, NOW).conversations == ["came-back"]
    with sessions.begin() as session:  # a new message between the selection and the erasure
        conv = session.scalars(select(Conversation).where(Conversation.pseudonym == "came-back")).one()
        conv.last_activity_at = NOW
    assert not retention.still_due(sessions, settings, NOW, "came-back")


def test_only_one_instance_runs_the_job(world: tuple[Settings, sessionmaker[Session], Engine]) -> None:
    settings, sessions, tracker = world
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's; SQLite runs one instance")
    _conversation(sessions, tracker, "idle-45", 45)
    assistant = Assistant(settings=settings, sessions=sessions, rasa=FakeRasa())  # type: ignore[arg-type]
    with sessions.kw["bind"].connect() as other:
        assert other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": retention.LOCK_KEY}).scalar()
        busy = asyncio.run(retention.run_once(assistant, NOW))
        assert busy.ran is False and _left(sessions, tracker)[0] == {"idle-45"}
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": retention.LOCK_KEY})
    done = asyncio.run(retention.run_once(assistant, NOW))
    assert done.ran is True and _left(sessions, tracker)[0] == set()


def test_dry_run_lists_and_erases_nothing(
    world: tuple[Settings, sessionmaker[Session], Engine],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, sessions, tracker = world
    _conversation(sessions, tracker, "long-idle", (utcnow() - NOW).days + 400)
    monkeypatch.setenv("LOTSE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOTSE_RASA_TRACKER_URL", settings.rasa_tracker_url)
    get_settings.cache_clear()
    try:
        assert main(["retention", "--dry-run"]) == 0
    finally:
        get_settings.cache_clear()
        # the CLI opened the database through the process-wide engine cache: close its pooled
        # connections now (an engine evicted from that cache later would be collected with them open)
        engine_for(settings.database_url).dispose()
    out = capsys.readouterr().out
    assert "long-idle" in out and "dry run: nothing erased" in out
    assert _left(sessions, tracker)[0] == {"long-idle"}
