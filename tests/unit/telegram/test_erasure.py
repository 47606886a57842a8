"""Erasure while a turn is in flight (issue 11, finding 4): nothing may be left behind.

``TurnRasa`` behaves like Rasa's SQL tracker store where it matters: a turn holds the
conversation's lock inside Rasa and writes the turn's events at its end, after the app may
already have deleted the tracker rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.conversations.models import Conversation, Message
from bot.conversations.pseudonym import pseudonymize
from bot.db import make_engine
from bot.pipeline import Assistant, ConversationErased, Incoming
from bot.translation import service as translation
from bot.translation.service import TranslationService
from tests.unit.telegram.conftest import FakeRasa


class TurnRasa(FakeRasa):
    def __init__(self, tracker_url: str) -> None:
        super().__init__()
        self.tracker = create_engine(tracker_url)
        self.lock = asyncio.Lock()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    def write_turn(self, sender: str) -> None:
        with self.tracker.begin() as conn:
            for kind in ("user", "bot", "action"):
                conn.execute(
                    text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"), {"s": sender, "d": kind}
                )

    async def turn(self, sender: str) -> None:
        async with self.lock:
            self.entered.set()
            await self.release.wait()
            self.write_turn(sender)

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        await self.turn(sender)
        return await super().send(sender=sender, text=text, metadata=metadata)

    async def wait_for_turn(self, *, sender: str) -> None:
        async with self.lock:
            return None

    def rows(self, sender: str) -> int:
        with self.tracker.connect() as conn:
            count = conn.execute(
                text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
            return int(count)


class Upper:
    """A translation backend that only upper-cases (enough to fill the cache)."""

    name = "upper"

    def pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset({("de", "en")})

    def can_translate(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs()

    def translate(self, text: str, *, source: str, target: str) -> str:
        return text.upper()

    def install_hint(self, source: str, target: str) -> str:
        return ""


@pytest.fixture
def rasa_turns(tracker_url: str) -> Iterator[TurnRasa]:
    rasa = TurnRasa(tracker_url)
    yield rasa
    rasa.tracker.dispose()


@pytest.fixture
def assistant(tg_settings: Settings, rasa_turns: TurnRasa) -> Iterator[Assistant]:
    sessions = sessionmaker(bind=make_engine(tg_settings.database_url), expire_on_commit=False)
    yield Assistant(settings=tg_settings, sessions=sessions, rasa=rasa_turns)  # type: ignore[arg-type]
    sessions.kw["bind"].dispose()


def _pseudonym(settings: Settings, user: str) -> str:
    return pseudonymize(settings.secret("pseudonym_key"), "web", user)


def _left(assistant: Assistant, pseudonym: str) -> tuple[int, int]:
    with assistant.sessions() as db:
        conversations = db.scalars(select(Conversation).where(Conversation.pseudonym == pseudonym)).all()
        messages = db.scalars(
            select(Message).join(Conversation).where(Conversation.pseudonym == pseudonym)
        ).all()
        return len(conversations), len(messages)


async def test_erase_during_a_turn_waits_for_it_and_leaves_no_tracker_rows(
    assistant: Assistant, rasa_turns: TurnRasa, tg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = TranslationService(Upper())
    monkeypatch.setitem(translation._services, ("test-erasure",), cache)  # type: ignore[index]
    secret = "Ich heiße Samira Nouri und warte auf meinen Bescheid"
    cache.translate(secret, source="de", target="en")
    cache.translate("Wann ist das Amt offen?", source="de", target="en")

    pseudonym = _pseudonym(tg_settings, "erase-in-flight")
    turn = asyncio.create_task(
        assistant.handle(Incoming(channel="web", user_id="erase-in-flight", text=secret, external_id="1"))
    )
    await rasa_turns.entered.wait()  # the turn is inside "Rasa" now
    erasure = asyncio.create_task(assistant.erase(pseudonym))
    for _ in range(20):  # give the erasure every chance to run ahead of the turn
        await asyncio.sleep(0)
    rasa_turns.release.set()
    outcome = await turn
    assert outcome.replies  # the person's turn finished normally ...
    assert await erasure is True  # ... and was erased afterwards, completely
    assert rasa_turns.rows(pseudonym) == 0
    assert _left(assistant, pseudonym) == (0, 0)
    cached = {key[3] for key in cache._cache}
    assert secret not in cached and "Wann ist das Amt offen?" in cached


async def test_erase_waits_for_a_turn_rasa_still_runs_after_the_app_gave_up(
    assistant: Assistant, rasa_turns: TurnRasa, tg_settings: Settings
) -> None:
    pseudonym = assistant.conversation_for(channel="web", user_id="erase-late-turn")
    late = asyncio.create_task(rasa_turns.turn(pseudonym))  # e.g. after the app's Rasa timeout
    await rasa_turns.entered.wait()
    erasure = asyncio.create_task(assistant.erase(pseudonym))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not erasure.done()  # it waits for Rasa's turn to end ...
    rasa_turns.release.set()
    await late
    assert await erasure is True
    assert rasa_turns.rows(pseudonym) == 0  # ... so the turn's events are deleted, not left behind


async def test_a_message_whose_conversation_was_erased_before_processing_is_refused(
    assistant: Assistant, rasa_turns: TurnRasa, tg_settings: Settings
) -> None:
    outcome, _ = await asyncio.to_thread(
        assistant.store, Incoming(channel="web", user_id="erase-first", text="Hallo", external_id="1")
    )
    assert await assistant.erase(outcome.conversation) is True
    with pytest.raises(ConversationErased):
        await assistant.process(outcome.message_id)
    assert rasa_turns.rows(outcome.conversation) == 0
    assert rasa_turns.texts == []  # Rasa never saw it
