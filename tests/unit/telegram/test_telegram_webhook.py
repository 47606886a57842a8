"""Webhook mode: the secret header is required; malformed updates never cause a 5xx or half-stored data;
at capacity a delivery is refused before it is stored (Telegram delivers it again)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from telegram import Update

from bot.channels.telegram import webhook
from bot.channels.telegram.channel import TelegramChannel
from bot.conversations.models import Direction, Message, MessageStatus
from bot.ops.admission import Admission
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


def incoming(channel: TelegramChannel) -> int:
    """How many incoming messages are stored."""
    with channel.assistant.sessions() as session:
        return len(session.scalars(select(Message.id).where(Message.direction == Direction.IN)).all())


async def test_at_capacity_a_delivery_is_refused_before_it_is_stored_and_taken_when_resent(
    client: httpx.AsyncClient, channel: TelegramChannel, rasa: FakeRasa
) -> None:
    channel.admission = Admission(max_in_flight=1, max_waiting=0, wait_s=0.05, retry_after_s=4)
    update, stored = text_update(chat_id(), "Wie lange dauert das?"), incoming(channel)
    async with channel.admission.slot("web"):  # the instance is busy with somebody else's message
        refused = await post(client, update)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "4"
    assert rasa.texts == [] and incoming(channel) == stored
    assert (await post(client, update)).status_code == 200  # Telegram's next delivery
    assert rasa.texts == ["Wie lange dauert das?"] and incoming(channel) == stored + 1


async def test_polled_updates_wait_for_a_slot_instead_of_being_refused(
    channel: TelegramChannel, rasa: FakeRasa, request_fake: OfflineRequest
) -> None:
    channel.admission = Admission(max_in_flight=1, max_waiting=0, wait_s=0.05, retry_after_s=4)
    chats = [chat_id(), chat_id()]
    updates = [
        Update.de_json(text_update(c, f"Frage {i}"), channel.application.bot) for i, c in enumerate(chats)
    ]
    async with channel.admission.slot("web"):
        batch = asyncio.create_task(channel.handle_batch(updates))
        await asyncio.sleep(0.3)  # far longer than the bounded wait: a refusal would have happened
        assert not batch.done() and rasa.texts == []
    await asyncio.wait_for(batch, 30)
    assert sorted(rasa.texts) == ["Frage 0", "Frage 1"]
    assert sorted(s["chat_id"] for s in request_fake.of("sendMessage")) == sorted(chats)
