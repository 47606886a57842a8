"""Offline fixtures for the Telegram channel: PTB talks to a recording fake instead of the network
(the pattern of PTB's own tests), the assistant to a fake Rasa."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram.channel import TelegramChannel
from bot.config import Settings
from bot.db import make_engine
from bot.pipeline import Assistant
from tests.conftest import make_settings, own_database

TOKEN = "123456:TEST-token-for-offline-tests"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Lotse", "username": "lotse_test_bot"}
Responder = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]] | None]


class OfflineRequest(BaseRequest):
    """Records every Bot API call and answers like Telegram would; ``responders`` can override."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.responders: list[Responder] = []
        self._message_ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = json.loads(json.dumps(request_data.parameters)) if request_data else {}
        self.calls.append((name, params))
        for responder in self.responders:
            answer = responder(name, params)
            if answer is not None:
                status, body = answer
                return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "getUpdates":
            return []
        if name == "sendMessage":
            return {
                "message_id": next(self._message_ids),
                "date": 1_700_000_000,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        return True


class FakeRasa:
    """Answers every message with one reply that echoes it (with a menu button for payload tests)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.answer_text: str | None = None
        self.new_sessions: list[tuple[str, int]] = []
        """(sender, number of messages sent before) for every new Rasa session started."""

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        self.texts.append(text)
        reply = {
            "key": "utter_greet",
            "text": self.answer_text or f"echo: {text}",
            "language": metadata["language"],
            "topic": "other",
            "buttons": [
                {"title": "Menu", "payload": "/help_menu"},
                {"title": "Long", "payload": "/choose_topic" + json.dumps({"topic": "x" * 80})},
            ],
            "nlu": {"intent": "greet", "confidence": 0.99},
        }
        return [{"custom": {"lotse": reply}}]

    async def events(self, *, sender: str) -> list[dict[str, Any]]:
        return []

    async def start_new_session(self, *, sender: str) -> None:
        self.new_sessions.append((sender, len(self.texts)))

    async def wait_for_turn(self, *, sender: str) -> None:
        return None

    async def healthy(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return own_database("tg", "sqlite", tmp_path_factory, seeded=True)


@pytest.fixture
def tracker_url(tmp_path: Path) -> str:
    """A tracker store with Rasa's ``events`` table (only the columns the deletion touches)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"))
    engine.dispose()
    return url


@pytest.fixture
def tg_settings(seeded_db: str, tracker_url: str) -> Settings:
    return make_settings(
        database_url=seeded_db,
        rasa_tracker_url=tracker_url,
        telegram_token=TOKEN,
        telegram_base_url="http://127.0.0.1:9",
        telegram_webhook_url="https://lotse.example/telegram/webhook",
        telegram_webhook_secret="test-webhook-secret-0123456789",
    )


@pytest.fixture
def request_fake() -> OfflineRequest:
    return OfflineRequest()


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def channel(
    tg_settings: Settings, request_fake: OfflineRequest, rasa: FakeRasa
) -> AsyncIterator[TelegramChannel]:
    sessions = sessionmaker(bind=make_engine(tg_settings.database_url), expire_on_commit=False)
    assistant = Assistant(settings=tg_settings, sessions=sessions, rasa=rasa)  # type: ignore[arg-type]
    tg = TelegramChannel(tg_settings, assistant, request=request_fake)
    await tg.application.initialize()
    tg.ready.set()
    yield tg
    await tg.application.shutdown()
    sessions.kw["bind"].dispose()


_ids = itertools.count(1)


def chat_id() -> int:
    """A fresh private chat per test (the database is shared by the module's tests)."""
    return 500_000 + next(_ids) * 7


def text_update(
    chat: int, text: str, *, update_id: int | None = None, language: str = "en", chat_type: str = "private"
) -> dict[str, Any]:
    uid = update_id if update_id is not None else next(_ids) + 10_000
    return {
        "update_id": uid,
        "message": {
            "message_id": uid,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": chat_type},
            "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": language},
            "text": text,
            **(
                {"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
                if text.startswith("/")
                else {}
            ),
        },
    }


def callback_update(chat: int, data: str, *, language: str = "en") -> dict[str, Any]:
    uid = next(_ids) + 20_000
    return {
        "update_id": uid,
        "callback_query": {
            "id": str(uid),
            "chat_instance": "ci",
            "data": data,
            "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": language},
            "message": {
                "message_id": 77,
                "date": 1_700_000_000,
                "chat": {"id": chat, "type": "private"},
                "from": BOT_USER,
                "text": "menu",
            },
        },
    }
