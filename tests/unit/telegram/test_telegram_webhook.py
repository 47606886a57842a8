"""Webhook mode: the secret header is required; malformed updates never cause a 5xx or half-stored data."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.channels.telegram import webhook
from bot.channels.telegram.channel import TelegramChannel
from bot.conversations.models import Direction, Message, MessageStatus
from tests.unit.telegram.conftest import FakeRasa, OfflineRequest, callback_update, chat_id, text_update

SECRET = "test-webhook-secret-0123456789"


@pytest.fixture
async def client(channel: TelegramChannel) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(webhook.router)
    app.state.telegram = channel
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


async def post(client: httpx.AsyncClient, body: Any, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/telegram/webhook", content=content, headers=headers)


async def test_secret_is_required(client: httpx.AsyncClient, rasa: FakeRasa) -> None:
    update = text_update(chat_id(), "Hallo")
    assert (await post(client, update, secret=None)).status_code == 403
    assert (await post(client, update, secret="wrong")).status_code == 403
    assert rasa.texts == []
    assert (await post(client, update)).status_code == 200
    assert rasa.texts == ["Hallo"]


async def test_update_is_handled_before_the_answer(
    client: httpx.AsyncClient, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    update = text_update(chat, "Wie lange dauert das?")
    assert (await post(client, update)).status_code == 200
    assert (await post(client, update)).status_code == 200  # Telegram re-sends: answered once
    assert len(rasa.texts) == 1
    assert [s["chat_id"] for s in request_fake.of("sendMessage")] == [chat]


def _mutations(rng: random.Random) -> list[Any]:
    chat = chat_id()
    good = text_update(chat, "Hallo")
    junk: list[Any] = [
        b"",
        b"not json",
        b"[1,2,3]",
        b"null",
        b"\xff\xfe",
        b"{",
        b'"text"',
        b"123",
        {},
        {"update_id": "x"},
        {"update_id": None},
        {"update_id": 1, "message": None},
        {"update_id": 2, "message": "hi"},
        {"update_id": 3, "message": {"text": "no chat"}},
        {
            "update_id": 4,
            "message": {"chat": {"id": "abc", "type": "private"}, "date": 1, "message_id": 1, "text": "x"},
        },
        {"update_id": 5, "callback_query": {"id": "1"}},
        {"update_id": 6, "callback_query": {"id": "1", "from": {"id": 1}, "data": {"x": 1}}},
        {"update_id": 7, "edited_message": [1]},
        {"update_id": 8, "poll": {"id": "p"}},
        {"update_id": 9, "my_chat_member": {"chat": {"id": -5, "type": "group"}}},
        {
            "update_id": 10,
            "inline_query": {
                "id": "q",
                "from": {"id": 1, "is_bot": False, "first_name": "x"},
                "query": "x",
                "offset": "",
            },
        },
        callback_update(chat, "x" * 500),
        callback_update(chat, "h:" + "0" * 40),
        text_update(chat, "\x00\u202e" * 3000),
        text_update(-chat, "group", chat_type="supergroup"),
        text_update(chat, "/delete"),
    ]
    out = list(junk)
    keys = ["message", "chat", "from", "text", "date", "message_id", "id", "type", "language_code"]
    values: list[Any] = [
        None,
        "",
        "x",
        -1,
        0,
        2**70,
        1.5,
        [],
        {},
        True,
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ]
    while len(out) < 1000:
        update = json.loads(json.dumps(good))
        target = update["message"] if rng.random() < 0.7 else update
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(keys)
            if rng.random() < 0.3:
                target.pop(key, None)
            else:
                target[key] = rng.choice(values)
        if rng.random() < 0.2 and isinstance(update.get("message"), dict):
            update["message"]["chat"] = rng.choice(values)
        update["update_id"] = rng.choice([rng.randint(1, 10**9), *values])
        out.append(update)
    return out


async def test_a_thousand_malformed_updates_cause_no_server_error(
    client: httpx.AsyncClient, channel: TelegramChannel
) -> None:
    rng = random.Random(20261125)
    statuses: dict[int, int] = {}
    for body in _mutations(rng):
        response = await post(client, body)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (body, response.text)
    assert set(statuses) <= {200, 413}
    with channel.assistant.sessions() as session:
        incoming = session.scalars(select(Message).where(Message.direction == Direction.IN)).all()
        unfinished = [m.id for m in incoming if m.status not in (MessageStatus.ANSWERED, MessageStatus.HUMAN)]
        assert unfinished == []
        pending = session.scalars(
            select(Message).where(Message.direction == Direction.OUT, Message.status == MessageStatus.PENDING)
        ).all()
        assert [m.id for m in pending if m.conversation.channel == "telegram"] == []
