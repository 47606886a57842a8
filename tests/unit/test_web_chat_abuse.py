"""The public web chat under abuse: invented sessions, typed intents, floods (offline, fake Rasa)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.commands import is_allowed_command, neutralise
from bot.config import Settings
from bot.content.render import TOPICS
from bot.db import make_engine
from bot.handover.models import Handover, HandoverStatus
from bot.language.languages import LANGUAGES
from bot.pipeline import Assistant
from bot.web.app import create_app
from tests.conftest import BACKENDS, make_settings, own_database
from tests.unit.telegram.conftest import FakeRasa


@pytest.fixture(scope="module", params=BACKENDS)
def chat_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A seeded database per backend (SQLite; PostgreSQL when LOTSE_TEST_POSTGRES_URL is set)."""
    return own_database("chat", request.param, tmp_path_factory, seeded=True)


@dataclass
class Chat:
    client: TestClient
    rasa: FakeRasa
    sessions: sessionmaker[Session]

    def start(self) -> str:
        response = self.client.post("/api/chat/sessions", json={})
        assert response.status_code == 200, response.text
        token: str = response.json()["session"]
        return token

    def say(self, session: str, text: str) -> Any:
        return self.client.post(
            "/api/chat/messages",
            json={"text": text, "client_id": str(uuid.uuid4())},
            headers={"X-Lotse-Session": session},
        )


def make_chat(url: str, **overrides: object) -> Iterator[Chat]:
    settings: Settings = make_settings(database_url=url, rasa_url="http://127.0.0.1:9", **overrides)
    app = create_app(settings)
    rasa = FakeRasa()
    sessions = sessionmaker(bind=make_engine(url), expire_on_commit=False)
    app.state.settings = settings
    app.state.assistant = Assistant(settings=settings, sessions=sessions, rasa=rasa)  # type: ignore[arg-type]
    # no lifespan: no retry loop, no Telegram; the fake Rasa answers at once
    client = TestClient(app)
    yield Chat(client, rasa, sessions)
    client.close()
    sessions.kw["bind"].dispose()


@pytest.fixture
def chat(chat_db: str) -> Iterator[Chat]:
    yield from make_chat(chat_db, rate_limits_enabled=False)


def test_invented_sessions_are_refused_and_store_nothing(chat: Chat) -> None:
    with chat.sessions() as db:
        before = db.scalar(select(func.count()).select_from(Handover))
    for forged in ("a" * 16, "x" * 64, str(uuid.uuid4()), chat.start()[:-1] + "-"):
        response = chat.say(forged, "Hallo")
        assert response.status_code == 401, response.text
        assert "POST /api/chat/sessions" in response.json()["detail"]
        header = {"X-Lotse-Session": forged}
        assert chat.client.get("/api/chat/messages", headers=header).status_code == 401
        assert chat.client.delete("/api/chat/session", headers=header).status_code == 401
    assert chat.rasa.texts == []
    with chat.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Handover)) == before
    session = chat.start()
    assert chat.say(session, "Hallo").status_code == 200
    assert chat.rasa.texts == ["Hallo"]


@pytest.mark.parametrize(
    "text",
    [
        "/crisis",
        "/request_human_now",
        '/choose_topic{"topic":"crisis"}',
        '/choose_language{"language":"xx"}',
        '/choose_topic{"topic":"housing","x":1}',
        '/request_human{"a":1}',
        "//request_human",
        '/choose_topic{"topic":["housing"]}',
        '/choose_language{"language":{}}',
    ],
)
def test_typed_intents_reach_rasa_as_words(chat: Chat, text: str) -> None:
    response = chat.say(chat.start(), text)
    assert response.status_code == 200, response.text
    assert chat.rasa.texts and not chat.rasa.texts[-1].startswith("/")


def test_typed_crisis_intent_opens_no_case(chat: Chat) -> None:
    with chat.sessions() as db:
        before = db.scalar(select(func.count()).select_from(Handover))
    for _ in range(5):
        chat.say(chat.start(), "/crisis")
    with chat.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Handover)) == before


def test_lotse_s_own_payloads_still_work(chat: Chat) -> None:
    session = chat.start()
    payloads = [
        "/greet",
        "/request_human",
        "/help_menu",
        "/something_else",
        *("/choose_topic" + json.dumps({"topic": t}, separators=(",", ":")) for t in TOPICS),
        *("/choose_language" + json.dumps({"language": c}) for c in LANGUAGES),
    ]
    for payload in payloads:
        assert chat.say(session, payload).status_code == 200
    assert chat.rasa.texts == payloads


def test_allow_list_is_per_channel() -> None:
    assert is_allowed_command("web", "/greet")
    assert not is_allowed_command("telegram", "/greet")
    assert is_allowed_command("telegram", "/request_human")
    assert not is_allowed_command("other", "/request_human")
    assert neutralise("web", "/crisis") == "crisis"
    assert neutralise("web", "ich brauche /hilfe") == "ich brauche /hilfe"


def test_floods_get_429_with_a_clear_answer(chat_db: str) -> None:
    for chat in make_chat(
        chat_db,
        # per day, not per minute: the sliding-window counter weighs the previous window, so a run that
        # straddles a window's end may let one more through (a minute's end was hit in a slow CI run)
        rate_limit_sessions_per_address="3/day",
        rate_limit_messages_per_session="4/day",
        rate_limit_messages_per_address="8/day",  # refused requests count too
        pseudonym_key=f"rate-limit-test-{uuid.uuid4()}",
    ):
        sessions = [chat.start() for _ in range(3)]
        refused = chat.client.post("/api/chat/sessions", json={})
        assert refused.status_code == 429
        assert "from this address" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) >= 1
        assert [chat.say(sessions[0], f"m{i}").status_code for i in range(5)] == [200] * 4 + [429]
        flood = chat.say(sessions[0], "again")
        assert flood.status_code == 429 and "in this conversation" in flood.json()["detail"]
        assert chat.say(sessions[1], "other").status_code == 200
        assert chat.say(sessions[2], "third").status_code == 200
        per_address = chat.say(sessions[2], "fourth")
        assert per_address.status_code == 429 and "from this address" in per_address.json()["detail"]
        assert len(chat.rasa.texts) == 6


def test_one_sender_cannot_open_many_cases(chat: Chat) -> None:
    session = chat.start()
    for _ in range(5):
        assert chat.say(session, "Ich will mich umbringen").status_code == 200
    with chat.sessions() as db:
        open_cases = db.scalars(select(Handover).where(Handover.status != HandoverStatus.CLOSED)).all()
        conversations = [h.conversation_id for h in open_cases]
        assert len(conversations) == len(set(conversations))


def test_the_session_travels_in_a_header_not_in_the_url(chat: Chat) -> None:
    session = chat.start()
    assert chat.say(session, "Hallo").status_code == 200
    # the old forms (token in the query string, the body or the path) no longer work
    assert chat.client.get("/api/chat/messages", params={"session": session}).status_code == 401
    legacy = chat.client.post("/api/chat/messages", json={"session": session, "text": "Hallo"})
    assert legacy.status_code == 401
    assert chat.client.delete(f"/api/chat/sessions/{session}").status_code in (404, 405)
    replies = chat.client.get("/api/chat/messages", headers={"X-Lotse-Session": session})
    assert replies.status_code == 200 and replies.json()
    erased = chat.client.delete("/api/chat/session", headers={"X-Lotse-Session": session})
    assert erased.status_code == 200 and erased.json() == {"erased": True}
    page = chat.client.get("/").text
    assert "X-Lotse-Session" in page and "?session=" not in page and "sessions/' +" not in page


def test_limits_hold_across_instances_with_redis(chat_db: str) -> None:
    """With LOTSE_REDIS_URL two app instances share the counters."""
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    key = f"redis-limit-test-{uuid.uuid4()}"
    common: dict[str, object] = {
        "redis_url": url,
        "pseudonym_key": key,
        "rate_limit_sessions_per_address": "3/minute",
    }
    first, second = make_chat(chat_db, **common), make_chat(chat_db, **common)
    a, b = next(first), next(second)
    try:
        codes = [c.client.post("/api/chat/sessions", json={}).status_code for c in (a, b, a, b)]
        assert codes == [200, 200, 200, 429]
    finally:
        for gen in (first, second):
            with contextlib.suppress(StopIteration):
                next(gen)
