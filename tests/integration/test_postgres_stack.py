"""The stack on PostgreSQL: app database and Rasa's tracker store, and a Rasa restart in between;
one Rasa worker per core (Redis as their lock store), and a model activated in the console that
reaches every worker.

Runs when ``LOTSE_TEST_POSTGRES_URL`` is set (CI sets it); uses two databases of its own.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import bot.models  # noqa: F401 - every table, for the foreign keys of training_jobs
from bot.conversations.models import Direction, Message
from bot.db import session_scope
from bot.rasa_config import latest_model
from bot.stack import Stack
from bot.training.models import JobStatus, TrainingJob
from tests.integration.conftest import RASA_TOKEN, Person, conversation_of, rasa_tracker, staff_token
from tests.integration.english_model import english_only_model
from tests.integration.postgres import fresh_databases, needs_postgres

pytestmark = needs_postgres


@pytest.fixture(scope="module")
def pg_stack() -> Iterator[Stack]:
    env = {
        **fresh_databases("lotse_it_app", "lotse_it_rasa"),
        "LOTSE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "LOTSE_RASA_MODEL_PULL_S": "2",
    }
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


def _downloads(stack: Stack, model: str) -> int:
    """How often the app sent ``model`` to a Rasa process that asked for the active model."""
    scrape = httpx.get(f"{stack.app_url}/metrics", timeout=10).raise_for_status().text
    pattern = rf'^lotse_rasa_model_downloads_total{{model="{re.escape(model)}"}} ([0-9.e+]+)$'
    found = re.search(pattern, scrape, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def _settles(stack: Stack, model: str, downloads: int, pull_s: float) -> None:
    """Every worker fetched ``model`` once (the app's count reaches ``downloads``), Rasa answers
    with it, and the count stays: a worker that failed to load it would fetch it again each pull."""
    deadline = time.monotonic() + 300
    while _downloads(stack, model) < downloads and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _downloads(stack, model) == downloads
    while True:
        statuses = set()
        for _ in range(8):  # new connections, whichever worker accepts them
            status = httpx.get(f"{stack.rasa_url}/status", params={"token": RASA_TOKEN}, timeout=60)
            statuses.add(status.raise_for_status().json()["model_file"])
        if statuses == {model} or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert statuses == {model}
    time.sleep(3 * pull_s)
    assert _downloads(stack, model) == downloads


def test_a_model_activated_in_the_console_reaches_every_rasa_worker(pg_stack: Stack) -> None:
    """Rasa's ``PUT /model`` would reach the one worker that accepts it; every worker asks the app
    for the active model instead, so activation and roll back reach all of them."""
    workers = len(_children(pg_stack.procs["rasa"].pid))
    assert workers == len(os.sched_getaffinity(0))
    production_file, candidate_file = latest_model(), english_only_model()
    assert production_file is not None
    production, candidate = production_file.resolve().name, candidate_file.resolve().name
    token = staff_token(pg_stack, "it-rollout", "admin")
    with session_scope(pg_stack.env["LOTSE_DATABASE_URL"]) as db:
        job = TrainingJob(
            status=JobStatus.READY,
            model_path=str(candidate_file),
            evaluation={"old": {"accuracy": 0.5}, "new": {"accuracy": 0.6}},
        )
        db.add(job)
        db.flush()
        job_id = job.id
    api = httpx.Client(
        base_url=f"{pg_stack.app_url}/api/admin/training",
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    )
    with api:
        before = _downloads(pg_stack, production)
        assert before >= workers  # each worker fetched the production model when it started
        activated = api.post(f"/jobs/{job_id}/activate", json={})
        assert activated.status_code == 200, activated.text
        _settles(pg_stack, candidate, workers, pull_s=2)
        with Person(pg_stack, "en") as person:  # the English-only model answers on every worker
            for _ in range(3):
                assert (
                    person.say("how can my wife and children come to germany")["replies"][0]["topic"]
                    == "family_reunification"
                )

        rolled_back = api.post(f"/jobs/{job_id}/rollback")
        assert rolled_back.status_code == 200, rolled_back.text
        _settles(pg_stack, production, before + workers, pull_s=2)
    with Person(pg_stack) as person:
        body = person.say("شو لازم اعمل حتى جيب مرتي وولادي من سوريا لالمانيا؟")
        assert body["replies"][0]["topic"] == "family_reunification"
