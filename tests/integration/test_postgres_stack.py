"""The stack on PostgreSQL: app database and Rasa's tracker store, and a Rasa restart in between.

Runs when ``LOTSE_TEST_POSTGRES_URL`` is set (CI sets it); uses two databases of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.conversations.models import Direction, Message
from bot.stack import Stack
from tests.integration.conftest import Person, conversation_of, rasa_tracker
from tests.integration.postgres import fresh_databases, needs_postgres

pytestmark = needs_postgres


@pytest.fixture(scope="module")
def pg_stack() -> Iterator[Stack]:
    env = {**fresh_databases("lotse_it_app", "lotse_it_rasa"), "LOTSE_REDIS_URL": "redis://127.0.0.1:6379/0"}
    with Stack.create(extra_env=env) as stack:
        yield stack


def test_conversation_survives_a_rasa_restart_on_postgresql(pg_stack: Stack) -> None:
    with Person(pg_stack) as person:
        first = person.say("Ich möchte mit einem Sachbearbeiter sprechen")
        assert [r["key"] for r in first["replies"]] == ["utter_handover_requested"]
        pg_stack.stop("rasa")
        pg_stack.start("rasa")
        pg_stack.wait_ready(("rasa",))
        tracker = rasa_tracker(pg_stack, person.conversation)
        assert tracker["paused"] is True, "the pause lives in the PostgreSQL tracker store"
        assert any(e.get("event") == "user" for e in tracker["events"])
        engine = create_engine(pg_stack.env["LOTSE_DATABASE_URL"])
        with Session(engine) as db:
            conv = conversation_of(db, person)
            directions = db.scalars(select(Message.direction).where(Message.conversation_id == conv.id)).all()
            assert directions == [Direction.IN, Direction.OUT]
        engine.dispose()


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_rasa_runs_one_worker_per_core_with_the_redis_lock_store(pg_stack: Stack) -> None:
    workers = _children(pg_stack.procs["rasa"].pid)
    assert len(workers) == len(os.sched_getaffinity(0))
    with Person(pg_stack) as person:  # turns of one conversation on whichever worker: in order, each once
        for text in ("Hallo", "Wie lange dauert die Klage?", "Danke"):
            assert person.say(text)["replies"]
        tracker = rasa_tracker(pg_stack, person.conversation)
        said = [e["text"] for e in tracker["events"] if e.get("event") == "user"]
        assert said[-3:] == ["Hallo", "Wie lange dauert die Klage?", "Danke"]


def test_answers_in_arabic_on_postgresql(pg_stack: Stack) -> None:
    with Person(pg_stack) as person:
        body = person.say("شو لازم اعمل حتى جيب مرتي وولادي من سوريا لالمانيا؟")
        assert body["replies"][0]["language"] == "ar"
        assert body["replies"][0]["topic"] == "family_reunification"
