"""Telegram end to end: the real stack (Rasa, action server, app) talking to a Bot API emulator
(npm telegram-test-api behind tests/telegram_emulator/server.js), in polling and in webhook mode."""

from __future__ import annotations

import itertools
import json
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT
from bot.conversations.models import Conversation, ConversationState, Direction, Message, MessageStatus
from bot.conversations.pseudonym import pseudonymize
from bot.handover.models import Handover, Urgency
from bot.stack import Stack, free_port
from tests.integration.conftest import staff_token, waiting_cases
from tests.unit.telegram.hostile import mutations

EMULATOR_DIR = PROJECT_ROOT / "tests" / "telegram_emulator"
TOKEN = "424242:lotse-e2e-test-token"
SECRET = "lotse-e2e-webhook-secret-0123456789"
PSEUDONYM_KEY = "dev-pseudonym-key-change-me"
_chats = itertools.count(int(time.time()) % 100_000 * 100)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (EMULATOR_DIR / "node_modules" / "telegram-test-api").is_dir():
        pytest.fail("Bot API emulator not installed: run `make setup` (npm ci in tests/telegram_emulator)")
    port = free_port()
    log_path = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(["node", "server.js", str(port)], cwd=EMULATOR_DIR, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while b"listening" not in log_path.read_bytes():
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def _restart_app(stack: Stack, env: dict[str, str | None]) -> None:
    stack.stop("app")
    for key, value in env.items():
        if value is None:
            stack.env.pop(key, None)
        else:
            stack.env[key] = value
    stack.start("app")
    stack.wait_ready(("app",))


@pytest.fixture(scope="module", params=["polling", "webhook"])
def telegram(request: pytest.FixtureRequest, stack: Stack, emulator: str) -> Iterator[str]:
    """The session's stack with the Telegram channel switched on (the app restarted), in one mode."""
    webhook = f"{stack.app_url}/telegram/webhook" if request.param == "webhook" else None
    _restart_app(
        stack,
        {
            "LOTSE_TELEGRAM_TOKEN": TOKEN,
            "LOTSE_TELEGRAM_BASE_URL": emulator,
            "LOTSE_TELEGRAM_WEBHOOK_URL": webhook,
            "LOTSE_TELEGRAM_WEBHOOK_SECRET": SECRET,
        },
    )
    yield str(request.param)
    _restart_app(
        stack,
        {
            "LOTSE_TELEGRAM_TOKEN": None,
            "LOTSE_TELEGRAM_BASE_URL": None,
            "LOTSE_TELEGRAM_WEBHOOK_URL": None,
            "LOTSE_TELEGRAM_WEBHOOK_SECRET": None,
        },
    )


class TelegramUser:
    """A person in a private chat, driven through the emulator's client API."""

    def __init__(self, emulator: str, language_code: str | None = "de") -> None:
        self.http = httpx.Client(base_url=emulator, timeout=30)
        self.chat = next(_chats)
        self.user: dict[str, Any] = {"id": self.chat, "is_bot": False, "first_name": "Test"}
        if language_code:
            self.user["language_code"] = language_code
        self.pseudonym = pseudonymize(PSEUDONYM_KEY, "telegram", str(self.chat))

    def message(self, text: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "botToken": TOKEN,
            "from": self.user,
            "chat": {"id": self.chat, "type": "private", "first_name": "Test"},
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return body

    def say(self, text: str) -> None:
        self.http.post("/sendMessage", json=self.message(text)).raise_for_status()

    def press(self, message_id: int, data: str) -> None:
        message = {
            "message_id": message_id,
            "chat": {"id": self.chat, "type": "private"},
            "date": 1,
            "text": ".",
        }
        body = {"botToken": TOKEN, "from": self.user, "message": message, "data": data}
        self.http.post("/sendCallback", json=body).raise_for_status()

    def inbox(self) -> list[dict[str, Any]]:
        response = self.http.get("/lotse/botMessages", params={"token": TOKEN, "chatId": self.chat})
        result: list[dict[str, Any]] = response.raise_for_status().json()["result"]
        return result

    def wait(self, count: int, timeout: float = 90.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.inbox()
            if len(messages) >= count:
                return messages
            time.sleep(0.3)
        raise AssertionError(f"expected {count} messages, got {self.inbox()}")

    def settle(self, at_least: int = 1, quiet: float = 2.0) -> list[dict[str, Any]]:
        """Wait for ``at_least`` messages, then until nothing new arrives for ``quiet`` seconds."""
        messages = self.wait(at_least)
        while True:
            time.sleep(quiet)
            now = self.inbox()
            if len(now) == len(messages):
                return now
            messages = now


@pytest.fixture
def users(emulator: str) -> Iterator[Callable[..., TelegramUser]]:
    """Make people in private chats; their HTTP clients are closed afterwards."""
    made: list[TelegramUser] = []

    def make(language_code: str | None = "de") -> TelegramUser:
        made.append(TelegramUser(emulator, language_code))
        return made[-1]

    yield make
    for user in made:
        user.http.close()


def _buttons(message: dict[str, Any]) -> list[dict[str, str]]:
    markup = message.get("reply_markup") or {}
    return [row[0] for row in markup.get("inline_keyboard", [])]


def _last_reply(db: Engine, pseudonym: str) -> Message:
    with Session(db) as session:
        return session.scalars(
            select(Message)
            .join(Conversation)
            .where(Conversation.pseudonym == pseudonym, Message.direction == Direction.OUT)
            .order_by(Message.id.desc())
        ).first() or pytest.fail("no reply stored")


def test_start_arabic_and_an_arabic_answer(
    telegram: str, users: Callable[..., TelegramUser], stack_db: Engine
) -> None:
    person = users()
    person.say("/start")
    welcome, picker, menu = person.wait(3)
    assert "/delete" in welcome["text"]
    assert len(_buttons(menu)) == 8  # 5 topics, 2 guided flows, a person
    arabic = next(b for b in _buttons(picker) if b["text"] == "العربية")
    person.press(picker["message_id"], arabic["callback_data"])
    changed = person.wait(4)[3]
    assert any("\u0600" <= ch <= "\u06ff" for ch in changed["text"])
    assert _buttons(person.inbox()[1]) == []  # the picker cannot be pressed twice
    person.say("من يستطيع أن يأتي إلى ألمانيا عن طريق لم شمل الأسرة؟")
    answer = person.settle(5)[-1]  # (the answer may be a guided flow's intro and first question)
    reply = _last_reply(stack_db, person.pseudonym)
    assert reply.topic == "family_reunification" and reply.language == "ar"
    assert reply.status == MessageStatus.DELIVERED
    assert answer["text"] == reply.text


def test_ukrainian_question_without_choosing_a_language(
    telegram: str, users: Callable[..., TelegramUser], stack_db: Engine
) -> None:
    person = users(language_code=None)
    person.say("Хто може приїхати до Німеччини через возз'єднання сім'ї?")
    person.wait(1)
    reply = _last_reply(stack_db, person.pseudonym)
    assert reply.language == "uk" and reply.topic == "family_reunification"


def test_human_creates_a_handover_and_pauses(
    telegram: str, users: Callable[..., TelegramUser], stack_db: Engine
) -> None:
    person = users()
    person.say("Hallo")
    before = len(person.settle())
    person.say("/human")
    after = len(person.settle(before + 1))
    with Session(stack_db) as session:
        conv = session.scalars(select(Conversation).where(Conversation.pseudonym == person.pseudonym)).one()
        assert conv.state == ConversationState.HANDOVER
        count = select(func.count()).select_from(Handover).where(Handover.conversation_id == conv.id)
        assert session.scalar(count) == 1
    person.say("Wann antwortet jemand?")
    person.say("Noch eine Frage")
    assert len(person.settle(after + 1, quiet=3.0)) == after + 1  # one receipt, then silence


def test_arabic_crisis_gets_the_numbers_first_and_an_urgent_case_in_the_inbox(
    telegram: str, users: Callable[..., TelegramUser], stack: Stack
) -> None:
    person = users(language_code="ar")
    person.say("زوجي بيضربني كل ليلة وهددني إذا حكيت لحدا رح يقتلني، أنا خايفة كتير")
    first, notice = person.settle(2)[:2]
    assert "112" in first["text"] and "110" in first["text"] and "116 016" in first["text"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in first["text"]), "the crisis help is in Arabic"
    assert any("\u0600" <= ch <= "\u06ff" for ch in notice["text"])
    admin = staff_token(stack, f"crisis-admin-{person.chat}", "admin")
    queue = waiting_cases(stack, admin)
    position = next(i for i, c in enumerate(queue) if c["conversation"] == person.pseudonym)
    case = queue[position]
    assert (case["reason"], case["urgency"], case["language"]) == ("crisis", Urgency.CRITICAL, "ar")
    assert all(c["urgency"] == Urgency.CRITICAL for c in queue[:position]), "only crises come before it"


def test_delete_removes_app_data_and_rasa_tracker(
    telegram: str, users: Callable[..., TelegramUser], stack: Stack, stack_db: Engine
) -> None:
    person = users()
    person.say("Was kostet die Einbürgerung?")
    person.wait(1)
    tracker = create_engine(stack.env["LOTSE_RASA_TRACKER_URL"])

    def events() -> int:
        with tracker.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": person.pseudonym}
                ).scalar_one()
            )

    assert events() > 0
    person.say("/delete")
    confirm = person.wait(2)[1]
    person.press(confirm["message_id"], _buttons(confirm)[0]["callback_data"])
    person.wait(3)
    with Session(stack_db) as session:
        assert session.scalar(select(Conversation).where(Conversation.pseudonym == person.pseudonym)) is None
    assert events() == 0
    tracker.dispose()


def _rows(db: Engine, pseudonym: str, direction: Direction) -> list[Message]:
    with Session(db) as session:
        return list(
            session.scalars(
                select(Message)
                .join(Conversation)
                .where(Conversation.pseudonym == pseudonym, Message.direction == direction)
                .order_by(Message.id)
            )
        )


def test_duplicate_delivery_is_answered_once(
    telegram: str, users: Callable[..., TelegramUser], stack: Stack, stack_db: Engine
) -> None:
    person = users()
    if telegram == "webhook":
        message = person.message("Hallo") | {"message_id": 5}
        message.pop("botToken")
        update = {"update_id": 900_000_000 + person.chat % 1000, "message": message}
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"}
        for _ in range(3):
            response = httpx.post(
                f"{stack.app_url}/telegram/webhook", content=json.dumps(update), headers=headers, timeout=60
            )
            assert response.status_code == 200
        assert httpx.post(f"{stack.app_url}/telegram/webhook", json=update, timeout=10).status_code == 403
    else:  # polling: the emulator re-sends until the offset confirms it
        person.say("Hallo")
    inbox = person.settle()
    assert len(_rows(stack_db, person.pseudonym, Direction.IN)) == 1
    replies = _rows(stack_db, person.pseudonym, Direction.OUT)
    assert len(inbox) == len(replies) and {r.status for r in replies} == {MessageStatus.DELIVERED}


def test_app_killed_and_restarted_answers_once(
    telegram: str, users: Callable[..., TelegramUser], stack: Stack, stack_db: Engine
) -> None:
    person = users()
    person.say("Hallo")
    before = len(person.settle())
    before_in = len(_rows(stack_db, person.pseudonym, Direction.IN))
    stack.stop("app", sig=signal.SIGKILL)
    # received and stored, but the process died before answering it
    with Session(stack_db) as session, session.begin():
        conv = session.scalars(select(Conversation).where(Conversation.pseudonym == person.pseudonym)).one()
        session.add(
            Message(
                conversation_id=conv.id,
                direction=Direction.IN,
                text="Was kostet die Einbürgerung?",
                status=MessageStatus.RECEIVED,
                external_id="lost-1",
            )
        )
    person.say("Wie finde ich eine Wohnung?")  # sent while the app is down: Telegram keeps it
    stack.start("app")
    stack.wait_ready(("app",))
    inbox = person.settle(before + 2, quiet=4.0)
    replies = _rows(stack_db, person.pseudonym, Direction.OUT)
    assert len(inbox) == len(replies) and {r.status for r in replies} == {MessageStatus.DELIVERED}
    # each question stored once and answered in its topic (the flat question may open the
    # flat-search checklist: its intro and first question are two replies to the one message)
    questions = _rows(stack_db, person.pseudonym, Direction.IN)[before_in:]
    answered = {q.text: [r.topic for r in replies if r.reply_to_id == q.id] for q in questions}
    assert len(questions) == 2, answered
    assert answered["Was kostet die Einbürgerung?"] == ["naturalization"], answered
    flat = answered["Wie finde ich eine Wohnung?"]
    assert 1 <= len(flat) <= 2 and "housing" in flat and set(flat) <= {"housing", "other"}, answered


@pytest.mark.parametrize("telegram", ["webhook"], indirect=True)
def test_a_thousand_malformed_updates_to_the_webhook(telegram: str, stack: Stack, stack_db: Engine) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    with httpx.Client(base_url=stack.app_url, timeout=60) as http:
        for body in mutations(random.Random(4711)):
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
            response = http.post("/telegram/webhook", content=content, headers=headers)
            assert response.status_code < 500, (body, response.text)
        assert http.get("/healthz").status_code == 200
    time.sleep(4)  # the delivery loop sends what is left
    with Session(stack_db) as session:
        telegram_messages = select(Message).join(Conversation).where(Conversation.channel == "telegram")
        unfinished = session.scalars(
            telegram_messages.where(
                Message.status.in_([MessageStatus.RECEIVED, MessageStatus.PROCESSING, MessageStatus.PENDING])
            )
        ).all()
    assert [(m.id, m.status) for m in unfinished] == []
