"""Two app instances and two Rasa instances on one PostgreSQL and one Redis, with crashes.

Each instance (app, its Rasa, an action server) is a :class:`Stack` of its own on loopback ports;
both share the app database, Rasa's tracker store and Redis (Rasa's lock store). People write
through both apps at once — a person's messages alternate between them, as behind a load
balancer. Mid-run the first instance's Rasa and the second instance's app are killed with SIGKILL
and started again. A person whose request fails sends the same message (same ``client_id``) to the
other instance, as the web chat does. Afterwards every message is stored once and answered, and no
answer went out twice; the inbox stream of one instance reports what people wrote to the other.

Runs when ``LOTSE_TEST_POSTGRES_URL`` is set (CI sets it).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.bench import stored_messages
from bot.conversations.models import Direction, Message
from bot.db import make_engine
from bot.stack import PROCESSES, Stack
from tests.integration.conftest import staff_token
from tests.integration.postgres import fresh_databases, needs_postgres

pytestmark = needs_postgres

PEOPLE = 8
MESSAGES = 4
TEXTS = [
    "Wie lange habe ich Zeit für eine Klage gegen den Bescheid?",
    "how can my wife and children come to germany",
    "كيف بدي لاقي بيت بعد الاعتراف",
    "Welche Unterlagen brauche ich für die Einbürgerung?",
    "мені потрібен інтеграційний курс",
    "vatandaşlık için kaç yıl lazım",
]
GIVE_UP_S = 300.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Stack, Stack]]:
    env = {
        **fresh_databases("lotse_cluster_app", "lotse_cluster_rasa"),
        "LOTSE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "LOTSE_RASA_WORKERS": "1",  # two Rasa instances of one worker each on these two cores
        "LOTSE_RASA_TIMEOUT_S": "10",  # a message left "processing" by a killed app is taken over after 20 s
    }
    one, two = Stack.create(extra_env=env), Stack.create(extra_env=env)
    one.prepare()  # one database for both
    try:
        for stack in (one, two):
            for name in PROCESSES:
                stack.start(name)
        one.wait_ready()
        two.wait_ready()
        yield one, two
    finally:
        for stack in (one, two):
            for name in reversed(PROCESSES):
                stack.stop(name)


class Writer(threading.Thread):
    """One person: a session, then messages sent alternately to both instances; a failed or refused
    request is sent again, with the same client_id, to the other instance."""

    def __init__(self, stacks: tuple[Stack, Stack], number: int, progress: threading.Semaphore) -> None:
        super().__init__(daemon=True)
        self.stacks, self.number, self.progress = stacks, number, progress
        self.client_ids: list[str] = []
        self.failures: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(timeout=60) as http:
                session = self._session(http)
                for m in range(MESSAGES):
                    client_id = str(uuid.uuid4())
                    self.client_ids.append(client_id)
                    text = TEXTS[(self.number + m) % len(TEXTS)]
                    self._send(http, session, text, client_id, first=self.number + m)
                    self.progress.release()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _session(self, http: httpx.Client) -> str:
        body = http.post(f"{self.stacks[self.number % 2].app_url}/api/chat/sessions", json={})
        session: str = body.raise_for_status().json()["session"]
        return session

    def _send(self, http: httpx.Client, session: str, text: str, client_id: str, first: int) -> None:
        deadline = time.monotonic() + GIVE_UP_S
        attempt = first
        while time.monotonic() < deadline:
            url = self.stacks[attempt % 2].app_url
            try:
                response = http.post(
                    f"{url}/api/chat/messages",
                    json={"text": text, "client_id": client_id},
                    headers={"X-Lotse-Session": session},
                )
                if response.status_code == 200:
                    return
                self.failures.append(f"{response.status_code}")
            except httpx.HTTPError as exc:
                self.failures.append(type(exc).__name__)
            attempt += 1
            time.sleep(0.5)
        raise AssertionError(f"message {client_id} not accepted within {GIVE_UP_S} s: {self.failures}")


def _crash_and_restart(one: Stack, two: Stack) -> None:
    one.stop("rasa", sig=signal.SIGKILL)
    two.stop("app", sig=signal.SIGKILL)
    time.sleep(1)
    one.start("rasa")
    two.start("app")
    two.wait_ready(("app",))
    one.wait_ready(("rasa",))


def _settled(url: str, expected: int) -> dict[str, Any]:
    """Wait until every incoming message is finished (the retry loops answer what waited for Rasa)."""
    deadline = time.monotonic() + GIVE_UP_S
    while True:
        found = stored_messages(url)
        statuses = found["incoming_by_status"]
        assert isinstance(statuses, dict)
        done = sum(n for s, n in statuses.items() if s in ("answered", "human"))
        if (done == expected and found["without_reply"] == 0) or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_two_instances_survive_a_crash_of_one_rasa_and_one_app(cluster: tuple[Stack, Stack]) -> None:
    one, two = cluster
    progress = threading.Semaphore(0)
    writers = [Writer(cluster, n, progress) for n in range(PEOPLE)]
    for writer in writers:
        writer.start()
    for _ in range(PEOPLE * MESSAGES // 4):  # a quarter of the messages through, then the crash
        assert progress.acquire(timeout=GIVE_UP_S)
    _crash_and_restart(one, two)
    for writer in writers:
        writer.join(GIVE_UP_S)
        assert not writer.is_alive()
        assert writer.error is None, writer.error

    sent = [c for w in writers for c in w.client_ids]
    url = one.env["LOTSE_DATABASE_URL"]
    found = _settled(url, len(sent))
    assert found["duplicates"] == 0, found
    assert found["without_reply"] == 0, found
    assert found["incoming_by_status"] == {"answered": len(sent)}, found
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            stored = set(
                db.scalars(select(Message.external_id).where(Message.direction == Direction.IN)).all()
            )
            assert stored == set(sent), "every message stored, none lost, nothing invented"
            twice = db.execute(
                select(Message.reply_to_id, Message.content_key)
                .where(Message.direction == Direction.OUT)
                .group_by(Message.reply_to_id, Message.content_key)
                .having(func.count() > 1)
            ).all()
            assert twice == [], "no answer went out twice"
    finally:
        engine.dispose()
    assert any(w.failures for w in writers), "the crash was felt: some requests had to be sent again"


def test_the_inbox_stream_of_one_instance_reports_messages_sent_to_the_other(
    cluster: tuple[Stack, Stack],
) -> None:
    one, two = cluster
    token = staff_token(two, f"cluster-admin-{uuid.uuid4().hex[:6]}", "admin")
    seen = threading.Event()

    def listen() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.stream("GET", f"{two.app_url}/api/admin/events", headers=headers, timeout=60) as stream:
            for line in stream.iter_lines():
                if line == "event: message":
                    seen.set()
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(2)  # the stream has taken its first marks
    with httpx.Client(base_url=one.app_url, timeout=60) as http:
        session = http.post("/api/chat/sessions", json={}).raise_for_status().json()["session"]
        http.post(
            "/api/chat/messages",
            json={"text": "Hallo", "client_id": str(uuid.uuid4())},
            headers={"X-Lotse-Session": session},
        ).raise_for_status()
    assert seen.wait(30), "instance two's inbox stream did not report a message written to instance one"
