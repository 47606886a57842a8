"""Two app instances and two Rasa instances on one PostgreSQL and one Redis, with crashes.

Each instance (app, its Rasa, an action server) is a :class:`Stack` of its own on loopback ports;
both share the app database, Rasa's tracker store and Redis (Rasa's lock store). People write
through both apps at once — a person's messages alternate between them, as behind a load
balancer. Mid-run the first instance's Rasa and the second instance's app are killed with SIGKILL
and started again. A person whose request fails sends the same message (same ``client_id``) to the
other instance, as the web chat does. Afterwards every message is stored once and answered, and no
answer went out twice; the inbox stream of one instance reports what people wrote to the other.
Telegram runs in webhook mode behind both apps: the Bot API emulator delivers to a round-robin
proxy (``tests/integration/balancer.py``) in front of them, and the same crash happens mid-run.

Runs when ``LOTSE_TEST_POSTGRES_URL`` is set (CI sets it).
"""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.bench import stored_messages
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import make_engine
from bot.stack import PROCESSES, Stack, free_port
from tests.integration.balancer import Balancer, balancer
from tests.integration.conftest import staff_token
from tests.integration.postgres import fresh_databases, needs_postgres
from tests.integration.test_telegram import SECRET, TOKEN, TelegramUser, emulator

__all__ = ["emulator"]  # the emulator fixture, imported for this module's cluster

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


class Cluster(NamedTuple):
    one: Stack
    two: Stack
    front: Balancer
    """The round-robin proxy in front of both apps (Telegram's webhook URL points at it)."""


@pytest.fixture(scope="module")
def cluster(emulator: str) -> Iterator[Cluster]:
    front_port = free_port()
    env = {
        **fresh_databases("lotse_cluster_app", "lotse_cluster_rasa"),
        "LOTSE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "LOTSE_RASA_WORKERS": "1",  # two Rasa instances of one worker each on these two cores
        "LOTSE_RASA_TIMEOUT_S": "10",  # a message left "processing" by a killed app is taken over after 20 s
        "LOTSE_TELEGRAM_TOKEN": TOKEN,
        "LOTSE_TELEGRAM_BASE_URL": emulator,
        "LOTSE_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{front_port}/telegram/webhook",
        "LOTSE_TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    one, two = Stack.create(extra_env=env), Stack.create(extra_env=env)
    one.prepare()  # one database for both
    try:
        with balancer(front_port, [one.app_url, two.app_url]) as front:
            for stack in (one, two):
                for name in PROCESSES:
                    stack.start(name)
            one.wait_ready()
            two.wait_ready()
            yield Cluster(one, two, front)
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


def test_two_instances_survive_a_crash_of_one_rasa_and_one_app(cluster: Cluster) -> None:
    one, two = cluster.one, cluster.two
    progress = threading.Semaphore(0)
    writers = [Writer((one, two), n, progress) for n in range(PEOPLE)]
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


def test_the_inbox_stream_of_one_instance_reports_messages_sent_to_the_other(cluster: Cluster) -> None:
    one, two = cluster.one, cluster.two
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


def _group_message(chat: int, text: str) -> dict[str, Any]:
    return {
        "botToken": TOKEN,
        "from": {
            "id": abs(chat) % 1_000_000 + 1,
            "is_bot": False,
            "first_name": "Test",
            "language_code": "de",
        },
        "chat": {"id": chat, "type": "group", "title": "Nachbarschaft"},
        "date": int(time.time()),
        "text": text,
    }


def _telegram_rows(url: str, pseudonyms: list[str]) -> dict[str, tuple[list[Message], list[Message]]]:
    """Per person: incoming and outgoing messages as stored."""
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            rows: dict[str, tuple[list[Message], list[Message]]] = {}
            for pseudonym in pseudonyms:
                messages = db.scalars(
                    select(Message)
                    .join(Conversation)
                    .where(Conversation.pseudonym == pseudonym)
                    .order_by(Message.id)
                ).all()
                rows[pseudonym] = (
                    [m for m in messages if m.direction == Direction.IN],
                    [m for m in messages if m.direction == Direction.OUT],
                )
            return rows
    finally:
        engine.dispose()


def _telegram_settled(url: str, people: list[TelegramUser]) -> dict[str, tuple[list[Message], list[Message]]]:
    """Every update answered and every reply sent (or the give-up time has passed)."""
    deadline = time.monotonic() + GIVE_UP_S
    while True:
        rows = _telegram_rows(url, [p.pseudonym for p in people])
        done = all(
            len(incoming) == MESSAGES
            and all(m.status == MessageStatus.ANSWERED for m in incoming)
            and all(m.status == MessageStatus.DELIVERED for m in outgoing)
            for incoming, outgoing in rows.values()
        )
        if done or time.monotonic() > deadline:
            return rows
        time.sleep(1)


def test_telegram_webhook_behind_both_instances_answers_every_update_once(
    cluster: Cluster, emulator: str
) -> None:
    """The Bot API emulator delivers each update to the proxy, which alternates between the two apps;
    one Rasa and one app are killed mid-run. Every update is stored once, answered once, and each
    reply was sent; a group is told once that Lotse works in private chats, although its messages
    reached both instances."""
    one, two, front = cluster
    # a group: four messages in a row alternate between the instances; the notice goes out once
    group = -random.SystemRandom().randrange(10**12, 10**13)  # fresh: the notice memory lasts 30 days
    before = dict(front.counts)
    with httpx.Client(base_url=emulator, timeout=30) as http:
        for n in range(4):
            http.post("/sendMessage", json=_group_message(group, f"Hallo {n}")).raise_for_status()
        deadline = time.monotonic() + 60
        while sum(front.counts.values()) - sum(before.values()) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        notices = http.get("/lotse/botMessages", params={"token": TOKEN, "chatId": group}).json()["result"]
    assert all(front.counts[b] - before.get(b, 0) >= 1 for b in (one.app_url, two.app_url)), front.counts
    assert len(notices) == 1, notices

    people = [TelegramUser(emulator, language_code=None) for _ in range(6)]
    try:
        for n, person in enumerate(people):
            person.say(TEXTS[n % len(TEXTS)])
        for person in people:
            person.wait(1)
        for m in range(1, MESSAGES):  # the rest queued at Telegram, delivered one by one during the crash
            for n, person in enumerate(people):
                person.say(TEXTS[(n + m) % len(TEXTS)])
        time.sleep(1.5)
        _crash_and_restart(one, two)
        rows = _telegram_settled(one.env["LOTSE_DATABASE_URL"], people)
        surplus = 0
        for person in people:
            incoming, outgoing = rows[person.pseudonym]
            assert len(incoming) == MESSAGES, "every update stored once"
            assert {m.status for m in incoming} == {MessageStatus.ANSWERED}, [m.status for m in incoming]
            assert {m.status for m in outgoing} == {MessageStatus.DELIVERED}, [m.status for m in outgoing]
            keys = [(m.reply_to_id, m.content_key) for m in outgoing]
            assert len(keys) == len(set(keys)), "no answer stored twice"
            assert {m.reply_to_id for m in outgoing} >= {m.id for m in incoming}, "every update answered"
            received = len(person.settle(len(outgoing)))  # waits for at least that many
            surplus += received - len(outgoing)
        # A reply Telegram accepted just before the app was killed, but not yet marked as delivered,
        # is sent again after the restart (the Bot API has no idempotency key): at most one here.
        assert surplus <= 1, surplus
    finally:
        for person in people:
            person.http.close()
    assert front.failures, "the crash was felt: the proxy found an app down"
    assert all(front.counts[b] > before.get(b, 0) + 2 for b in (one.app_url, two.app_url)), front.counts
