"""Telegram: a shared location answers "where do you live?" of the counselling flow."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.channels.telegram.channel import TelegramChannel
from bot.config import Settings
from bot.conversations.models import Conversation, Message
from bot.db import session_scope
from bot.directory import loader
from bot.directory.service import seed_directory
from bot.guided.payloads import start_payload
from tests.unit.telegram.conftest import OfflineRequest, callback_update, chat_id

FIXTURES = Path(__file__).parent.parent / "data" / "directory"
_ids = itertools.count(90_000)


@pytest.fixture(autouse=True)
def fixture_directory(monkeypatch: pytest.MonkeyPatch, tg_settings: Settings) -> None:
    monkeypatch.setattr(loader, "DATA_DIR", FIXTURES)
    with session_scope(tg_settings.database_url) as session:
        seed_directory(session)


def location_update(chat: int, lat: float, lon: float) -> dict[str, Any]:
    uid = next(_ids)
    return {
        "update_id": uid,
        "message": {
            "message_id": uid,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": "en"},
            "location": {"latitude": lat, "longitude": lon},
        },
    }


async def feed(channel: TelegramChannel, data: dict[str, Any]) -> None:
    await channel.application.process_update(Update.de_json(data, channel.application.bot))


async def test_a_location_while_the_flow_asks_gives_the_nearest_district(
    channel: TelegramChannel, request_fake: OfflineRequest
) -> None:
    chat = chat_id()
    await feed(channel, callback_update(chat, start_payload("counselling")))
    asked = request_fake.of("sendMessage")[-1]["text"]
    assert "In which town or village" in asked
    await feed(channel, location_update(chat, 50.95, 10.70))  # near Gotha
    answer = request_fake.of("sendMessage")[-1]["text"]
    assert answer.startswith("Counselling and support for Gotha") and "TEST Ausländerbehörde Gotha" in answer
    with channel.assistant.sessions() as session:
        conv = session.scalars(
            select(Conversation).where(Conversation.pseudonym == channel.pseudonym(chat))
        ).one()
        assert conv.district == "gotha"
        texts = session.scalars(select(Message.text).where(Message.conversation_id == conv.id)).all()
        assert not any("50.95" in t or "10.7" in t for t in texts)  # no coordinates stored


async def test_a_location_at_any_other_time_is_not_understood(
    channel: TelegramChannel, request_fake: OfflineRequest
) -> None:
    chat = chat_id()
    await feed(channel, location_update(chat, 50.95, 10.70))
    sent = request_fake.of("sendMessage")
    assert len(sent) == 1 and "Gotha" not in sent[0]["text"]
