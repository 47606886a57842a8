"""/metrics (Prometheus, loopback or token), /readyz (database and Rasa with a model), /healthz; busy
answers under overload, and a turn that failed inside Rasa retried instead of counted as answered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import make_engine
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.ops import metrics
from bot.ops.admission import Admission, Busy
from bot.safety.detector import get_detector
from tests.conftest import own_database
from tests.unit.telegram.conftest import FakeRasa
from tests.unit.test_web_chat_abuse import Chat, make_chat

TOKEN = "metrics-test-token"


@pytest.fixture(scope="module")
def ops_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return own_database("ops", "sqlite", tmp_path_factory, seeded=True)


@pytest.fixture
def chat(ops_db: str) -> Iterator[Chat]:
    for chat in make_chat(ops_db, rate_limits_enabled=False, metrics_token=SecretStr(TOKEN)):
        chat.client.app.state.metrics_registry = metrics.registry_with_queue(chat.sessions)  # type: ignore[attr-defined]
        yield chat


def _scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_are_for_loopback_or_with_the_token(chat: Chat) -> None:
    assert chat.client.get("/metrics").status_code == 403  # the test client is not a loopback address
    assert chat.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert chat.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    local = TestClient(chat.client.app, client=("127.0.0.1", 50000))
    assert local.get("/metrics").status_code == 200
    local.close()


def test_messages_replies_and_waiting_cases_are_counted(chat: Chat) -> None:
    before = _scrape(chat.client)
    session = chat.start()
    assert chat.say(session, "Hallo").status_code == 200
    assert chat.say(session, "Noch eine Frage").status_code == 200
    with chat.sessions.begin() as db:
        conv = Conversation(pseudonym="ops-test-case", channel="web", language="ar")
        db.add(conv)
        db.flush()
        create_handover(db, conversation=conv, reason=HandoverReason.CRISIS, topic=None)
    after = _scrape(chat.client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("lotse_messages_in_total", channel="web") == 2
    assert grew("lotse_messages_processed_total", channel="web", status="answered") == 2
    assert grew("lotse_replies_total", channel="web", language="de") == 2
    assert grew("lotse_message_seconds_count", channel="web") == 2
    waiting = {labels: v for (name, labels), v in after.items() if name == "lotse_cases_waiting"}
    assert sum(v for labels, v in waiting.items() if ("reason", "crisis") in labels) >= 1
    assert after[("lotse_case_oldest_waiting_seconds", ())] >= 0
    assert ("lotse_cases_open", (("status", "open"),)) in after
    text = chat.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "ops-test-case" not in text and "Hallo" not in text, "no pseudonyms or texts in labels"


class _DownRasa:
    async def healthy(self) -> bool:
        return False


def test_ready_only_with_database_and_rasa(chat: Chat, tmp_path: Path) -> None:
    ready = chat.client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "database": True, "rasa": True}
    assert chat.client.get("/healthz").json()["ok"] is True
    assistant = chat.client.app.state.assistant  # type: ignore[attr-defined]
    real_rasa = assistant.rasa
    assistant.rasa = _DownRasa()
    try:
        down = chat.client.get("/readyz")
        assert down.status_code == 503 and down.json()["rasa"] is False and down.json()["database"] is True
        assert chat.client.get("/healthz").status_code == 200, "alive even when Rasa is not"
    finally:
        assistant.rasa = real_rasa
    real_sessions = assistant.sessions
    missing = tmp_path / "missing" / "lotse.db"
    assistant.sessions = type(real_sessions)(bind=make_engine(f"sqlite:///{missing}"))
    try:
        broken = chat.client.get("/readyz")
        assert broken.status_code == 503 and broken.json()["database"] is False
    finally:
        assistant.sessions.kw["bind"].dispose()
        assistant.sessions = real_sessions


def test_the_alert_rules_use_metrics_the_app_exports(ops_db: str) -> None:
    from bot.config import PROJECT_ROOT

    engine = make_engine(ops_db)
    registry = metrics.registry_with_queue(sessionmaker(bind=engine))
    exported: set[str] = set()
    for family in registry.collect():
        exported |= {family.name + suffix for suffix in ("", "_total", "_bucket", "_count", "_sum")}
    engine.dispose()
    rules = yaml.safe_load((PROJECT_ROOT / "deploy" / "prometheus" / "lotse-alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert len(alerts) >= 5
    for rule in alerts:
        assert rule["alert"] and rule["annotations"]["summary"] and rule["labels"]["severity"]
        used = set(re.findall(r"\blotse_[a-z_]+", rule["expr"]))
        assert used <= exported, (rule["alert"], used - exported)


def test_json_log_lines() -> None:
    from bot.logging import JsonFormatter, configure_logging
    from tests.conftest import make_settings

    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("bot.pipeline", logging.ERROR, __file__, 1, "case %s waits", ("ab",), None)
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.pipeline"
    assert entry["message"] == "case ab waits" and "ValueError: boom" in entry["exception"]
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging(make_settings(log_format="json", log_level="warning"))
        assert isinstance(root.handlers[0].formatter, JsonFormatter) and root.level == logging.WARNING
        configure_logging(make_settings())
        assert not isinstance(root.handlers[0].formatter, JsonFormatter) and root.level == logging.INFO
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


class _GatedRasa(FakeRasa):
    """Holds every message until the gate opens (a Rasa at capacity)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.entered = 0

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        self.entered += 1
        await self.gate.wait()
        return await super().send(sender=sender, text=text, metadata=metadata)


class _People:
    """People in separate web-chat sessions, talking to the app in one event loop (for concurrency)."""

    def __init__(self, client: httpx.AsyncClient, sessions: list[str]) -> None:
        self.client, self.sessions = client, sessions

    def post(self, i: int, body: dict[str, str]) -> Any:
        return self.client.post(
            "/api/chat/messages", json=body, headers={"X-Lotse-Session": self.sessions[i]}
        )


@contextlib.asynccontextmanager
async def _gated(chat: Chat, admission: Admission, people: int) -> AsyncIterator[tuple[_GatedRasa, _People]]:
    get_detector()  # indexed before the first message, as the app's lifespan does
    app = chat.client.app
    rasa = _GatedRasa()
    app.state.assistant.rasa = rasa  # type: ignore[attr-defined]
    app.state.admission = admission  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lotse.test") as client:
        sessions = [
            (await client.post("/api/chat/sessions", json={})).json()["session"] for _ in range(people)
        ]
        yield rasa, _People(client, sessions)


async def _overload(chat: Chat) -> tuple[list[httpx.Response], list[httpx.Response], list[dict[str, str]]]:
    admission = Admission(max_in_flight=2, max_waiting=1, wait_s=30, retry_after_s=2)
    async with _gated(chat, admission, 5) as (rasa, people):
        bodies = [{"text": f"Frage {i}", "client_id": str(uuid.uuid4())} for i in range(5)]
        tasks = [asyncio.create_task(people.post(i, bodies[i])) for i in range(5)]
        while rasa.entered < 2:
            await asyncio.sleep(0.01)
        # the third waits for a slot; the fourth and fifth are refused at once
        for _ in range(1000):
            if sum(t.done() for t in tasks) >= 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        refused_early = [i for i, t in enumerate(tasks) if t.done()]
        assert len(refused_early) == 2 and rasa.entered == 2
        rasa.gate.set()
        first = list(await asyncio.gather(*tasks))
        again = [await people.post(i, bodies[i]) for i in refused_early]  # sent again, same client_id
    return first, again, bodies


def test_overload_gets_503_with_retry_after_and_every_message_is_answered_once(chat: Chat) -> None:
    first, again, bodies = asyncio.run(_overload(chat))
    codes = sorted(r.status_code for r in first)
    assert codes == [200, 200, 200, 503, 503]
    busy = [r for r in first if r.status_code == 503]
    assert all(r.headers["Retry-After"] == "2" and "not stored" in r.json()["detail"] for r in busy)
    assert [r.status_code for r in again] == [200, 200]
    with chat.sessions() as db:
        texts = [b["text"] for b in bodies]
        rows = db.execute(
            select(Message.text, Message.status).where(
                Message.direction == Direction.IN, Message.text.in_(texts)
            )
        ).all()
        assert sorted(t for t, _ in rows) == sorted(texts), "each message stored exactly once"
        assert {s for _, s in rows} == {MessageStatus.ANSWERED}
        replies = db.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == Direction.OUT, Message.text.in_([f"echo: {t}" for t in texts]))
        )
        assert replies == 5, "each answered once"


async def _timeout(chat: Chat) -> list[int]:
    admission = Admission(max_in_flight=1, max_waiting=5, wait_s=0.2, retry_after_s=1)
    async with _gated(chat, admission, 2) as (rasa, people):
        first = asyncio.create_task(people.post(0, {"text": "a", "client_id": str(uuid.uuid4())}))
        while rasa.entered < 1:
            await asyncio.sleep(0.01)
        second = await people.post(1, {"text": "b", "client_id": str(uuid.uuid4())})
        rasa.gate.set()
        return [(await first).status_code, second.status_code]


def test_a_message_that_waited_too_long_for_a_slot_gets_503(chat: Chat) -> None:
    assert asyncio.run(_timeout(chat)) == [200, 503]


async def _slots_after_cancel_and_timeout() -> tuple[int, int, bool]:
    admission = Admission(max_in_flight=1, max_waiting=2, wait_s=0.2, retry_after_s=1)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with admission.slot("web"):
            holding.set()
            await release.wait()

    async def wait_for_slot() -> None:
        async with admission.slot("web"):
            pass

    holder = asyncio.create_task(hold())
    await holding.wait()
    gone = asyncio.create_task(wait_for_slot())  # the client goes away while waiting
    await asyncio.sleep(0.05)
    gone.cancel()
    timed_out = False
    try:
        await wait_for_slot()  # nobody releases within wait_s
    except Busy:
        timed_out = True
    release.set()
    await holder
    await asyncio.gather(gone, return_exceptions=True)
    await wait_for_slot()  # the slot is free again: nothing leaked
    return admission._in_flight, len(admission._queue), timed_out


def test_cancelled_and_timed_out_waiters_leak_no_slot() -> None:
    assert asyncio.run(_slots_after_cancel_and_timeout()) == (0, 0, True)


async def test_a_patient_slot_waits_beyond_the_bounds_and_keeps_its_turn() -> None:
    admission = Admission(max_in_flight=1, max_waiting=0, wait_s=0.05, retry_after_s=1)
    order: list[str] = []

    async def work(name: str, patient: bool) -> None:
        async with admission.slot("telegram", patient=patient):
            order.append(name)

    async with admission.slot("web"):
        patient = asyncio.create_task(work("patient", True))
        await asyncio.sleep(0.2)  # four times the bounded wait
        with pytest.raises(Busy):  # an impatient newcomer is still refused: the waiting bound is 0
            await work("impatient", False)
        assert not patient.done()
    await asyncio.wait_for(patient, 5)
    assert order == ["patient"]


def test_a_long_conversation_starts_a_new_rasa_session_every_n_messages(ops_db: str) -> None:
    for chat in make_chat(ops_db, rate_limits_enabled=False, rasa_session_turns=3):
        session, other = chat.start(), chat.start()
        for i in range(7):
            assert chat.say(session, f"Frage {i}").status_code == 200
        assert chat.say(other, "Hallo").status_code == 200
        senders = {sender for sender, _ in chat.rasa.new_sessions}
        assert [before for _, before in chat.rasa.new_sessions] == [3, 6]  # before messages 4 and 7
        assert len(senders) == 1  # only the long conversation; the new one has its first session
    for chat in make_chat(ops_db, rate_limits_enabled=False, rasa_session_turns=0):
        session = chat.start()
        for i in range(5):
            chat.say(session, f"Frage {i}")
        assert chat.rasa.new_sessions == []


class _SilentOnceRasa(FakeRasa):
    """Answers the first message with an empty list, as Rasa's REST channel does when a turn failed
    inside Rasa (the NLG endpoint or the action server unreachable), then normally."""

    def __init__(self) -> None:
        super().__init__()
        self.silent = 1

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if self.silent:
            self.silent -= 1
            self.texts.append(text)
            return []
        return await super().send(sender=sender, text=text, metadata=metadata)


def test_an_empty_answer_from_rasa_is_retried_not_counted_as_answered(chat: Chat) -> None:
    rasa = _SilentOnceRasa()
    assistant = chat.client.app.state.assistant  # type: ignore[attr-defined]
    assistant.rasa = rasa
    session = chat.start()
    body = chat.say(session, "Wann kommt mein Bescheid?").json()
    assert body["status"] == "deferred", body
    assert [r["key"] for r in body["replies"]] == ["utter_unavailable"]
    assert asyncio.run(assistant.retry_pending()) >= 1
    with chat.sessions() as db:
        assert db.get_one(Message, body["message_id"]).status == MessageStatus.ANSWERED
        keys = db.scalars(
            select(Message.content_key).where(Message.reply_to_id == body["message_id"]).order_by(Message.id)
        ).all()
    assert keys == ["utter_unavailable", "utter_greet"]  # the notice once, then the real answer
    assert rasa.texts == ["Wann kommt mein Bescheid?"] * 2


class _AskBackRasa(FakeRasa):
    """Asks back ("Do you mean …?") when the message is "unklar"."""

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        replies = await super().send(sender=sender, text=text, metadata=metadata)
        if text == "unklar":
            replies[0]["custom"]["lotse"].update(key="utter_ask_back", text="Meinen Sie …?", buttons=[])
        return replies


def test_no_new_rasa_session_between_an_ask_back_and_its_answer(ops_db: str) -> None:
    for chat in make_chat(ops_db, rate_limits_enabled=False, rasa_session_turns=3):
        chat.client.app.state.assistant.rasa = chat.rasa = _AskBackRasa()  # type: ignore[attr-defined]
        session = chat.start()
        for text in ("Frage 1", "Frage 2", "unklar", "Familie", "Frage 5", "Frage 6", "Frage 7", "Frage 8"):
            assert chat.say(session, text).status_code == 200
        # due before message 4, which answers the ask-back: started before message 5 instead,
        # and the next one three messages later
        assert [before for _, before in chat.rasa.new_sessions] == [4, 7]
