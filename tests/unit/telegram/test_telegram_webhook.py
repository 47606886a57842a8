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
from tests.unit.telegram.conftest import FakeRasa, OfflineRequest, chat_id, text_update
from tests.unit.telegram.hostile import mutations

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


async def test_a_thousand_malformed_updates_cause_no_server_error(
    client: httpx.AsyncClient, channel: TelegramChannel, rasa: FakeRasa
) -> None:
    rng = random.Random(20261125)
    statuses: dict[int, int] = {}
    for body in mutations(rng):
        response = await post(client, body)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (body, response.text)
    assert set(statuses) <= {200, 413}
    assert 0 < len(rasa.texts) < 100  # some mutations are still valid messages: the path is exercised
    with channel.assistant.sessions() as session:
        incoming = session.scalars(select(Message).where(Message.direction == Direction.IN)).all()
        unfinished = [m.id for m in incoming if m.status not in (MessageStatus.ANSWERED, MessageStatus.HUMAN)]
        assert unfinished == []
        pending = session.scalars(
            select(Message).where(Message.direction == Direction.OUT, Message.status == MessageStatus.PENDING)
        ).all()
        assert [m.id for m in pending if m.conversation.channel == "telegram"] == []
