"""Guided flows on the Telegram channel with a stand-in for Rasa: Rasa starts a flow with its starter
answer, the buttons walk it without asking Rasa again, and "stop" ends it."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.channels.telegram.channel import TelegramChannel
from bot.guided.payloads import flow_payload
from tests.unit.telegram.conftest import FakeRasa, OfflineRequest, callback_update, chat_id, text_update


class StarterRasa(FakeRasa):
    """Answers every message with the appeal helper's starter text, as the model does for "my deadline"."""

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        self.texts.append(text)
        reply = {
            "key": "utter_faq_appeal/deadline_helper",
            "text": "I can work out your date.",
            "language": metadata["language"],
            "topic": "asylum_appeal",
            "buttons": [],
            "nlu": {"intent": "faq_appeal", "confidence": 0.97},
        }
        return [{"custom": {"lotse": reply}}]


@pytest.fixture
def rasa() -> FakeRasa:
    return StarterRasa()


async def feed(channel: TelegramChannel, data: dict[str, Any]) -> None:
    await channel.application.process_update(Update.de_json(data, channel.application.bot))


def _keyboard(message: dict[str, Any]) -> list[dict[str, str]]:
    return [row[0] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])]


async def test_a_starter_answer_starts_the_flow_and_buttons_walk_it_without_rasa(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    await feed(channel, text_update(chat, "when does my appeal deadline end", language="en"))
    intro, question = request_fake.of("sendMessage")
    assert intro["text"] == "I can work out your date."
    buttons = _keyboard(question)
    assert [b["callback_data"] for b in buttons][:2] == [
        flow_payload("appeal", "decision", "rejected"),
        flow_payload("appeal", "decision", "manifestly"),
    ]
    assert len(buttons) == 6  # five kinds of decision and "stop"
    await feed(channel, callback_update(chat, buttons[0]["callback_data"]))
    period = request_fake.of("sendMessage")[2]
    assert [b["callback_data"] for b in _keyboard(period)][1] == flow_payload("appeal", "period", "2w")
    await feed(channel, text_update(chat, "stop"))
    stopped = request_fake.of("sendMessage")[3]
    assert _keyboard(stopped) == [] and stopped["text"]
    assert rasa.texts == ["when does my appeal deadline end"], "the flow answered the rest without Rasa"
