"""Guided help end to end: the appeal deadline helper and the family reunification check through the
real stack (Rasa, actions, app), on Telegram (Bot API emulator) and in the web chat, with reminders
that survive a restart of the app and are sent exactly once.

The app runs with ``LOTSE_GUIDED_TODAY=2026-12-20`` (so that a deadline ends on Christmas whatever
the real date) and ``LOTSE_REMINDER_TIME_SCALE`` (so that reminders days ahead come within seconds).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.content.service import load_language_file
from bot.conversations.models import Conversation, Message, MessageStatus
from bot.guided.models import Reminder, ReminderStatus
from bot.guided.payloads import flow_payload, start_payload
from bot.handover.models import Urgency
from bot.language.languages import REQUIRED_LANGUAGES
from bot.stack import Stack
from tests.integration.conftest import Person, staff_token, waiting_cases
from tests.integration.test_telegram import TOKEN, TelegramUser, _buttons, _restart_app, emulator

__all__ = ["emulator"]  # the Bot API emulator fixture, shared with the Telegram tests

STORIES = yaml.safe_load((Path(__file__).parent / "guided_stories.yml").read_text(encoding="utf-8"))[
    "stories"
]
SCALE = "6e-5"
"""Reminders 5 and 7 days ahead arrive after about 25 and 35 seconds."""
ENV = {
    "LOTSE_GUIDED_TODAY": "2026-12-20",
    "LOTSE_REMINDER_TIME_SCALE": SCALE,
    "LOTSE_REMINDER_INTERVAL_S": "0.5",
}


@pytest.fixture(scope="module")
def guided_app(stack: Stack, emulator: str) -> Iterator[Stack]:
    """The session's stack with the flows' clock set, fast reminders and Telegram polling on."""
    telegram = {"LOTSE_TELEGRAM_TOKEN": TOKEN, "LOTSE_TELEGRAM_BASE_URL": emulator}
    _restart_app(stack, {**ENV, **telegram})
    yield stack
    _restart_app(stack, dict.fromkeys([*ENV, *telegram]))


def _label(language: str, key: str) -> str:
    return load_language_file(language)[key].strip()


def _press(person: TelegramUser, message: dict[str, Any], title: str) -> None:
    button = next((b for b in _buttons(message) if b["text"] == title[:64]), None)
    assert button is not None, f"no button {title!r} in {_buttons(message)}"
    person.press(message["message_id"], button["callback_data"])


def _appeal_on_telegram(person: TelegramUser, language: str, typed_date: str) -> list[dict[str, Any]]:
    """Menu -> work out my deadline -> rejected -> 2 weeks -> the typed date; returns all messages so far."""
    person.say("/menu")
    menu = person.settle(1)[-1]
    _press(person, menu, _label(language, "meta_button_work_out_date"))
    seen = len(person.settle(3))  # the menu, the intro, the first question
    _press(person, person.inbox()[-1], _label(language, "meta_flow_decision_rejected"))
    seen = len(person.settle(seen + 1))
    _press(person, person.inbox()[-1], _label(language, "meta_flow_period_2w"))
    seen = len(person.settle(seen + 1))
    person.say(typed_date)
    return person.settle(seen + 1)


def _reminders(db: Engine, pseudonym: str) -> list[Reminder]:
    with Session(db) as session:
        return list(
            session.scalars(
                select(Reminder)
                .join(Conversation)
                .where(Conversation.pseudonym == pseudonym)
                .order_by(Reminder.id)
            )
        )


def test_arabic_appeal_helper_on_telegram_with_reminders_across_a_restart_and_delete(
    guided_app: Stack, emulator: str, stack_db: Engine
) -> None:
    person = TelegramUser(emulator, "ar")
    other = TelegramUser(emulator, "ar")
    try:
        messages = _appeal_on_telegram(person, "ar", "١١/١٢/٢٠٢٦")
        ambiguous = messages[-1]
        assert len(_buttons(ambiguous)) == 3  # 11 December, 12 November, stop
        person.press(ambiguous["message_id"], _buttons(ambiguous)[0]["callback_data"])
        result, offer = person.settle(len(messages) + 2)[-2:]
        assert "28" in result["text"] and "ديسمبر" in result["text"] and "2026" in result["text"]
        assert "25" in result["text"], "the shift note names the nominal day, Christmas"
        assert any("\u0600" <= ch <= "\u06ff" for ch in result["text"])
        _press(person, offer, _label("ar", "meta_flow_reminder_yes"))
        confirmed = person.settle(len(messages) + 3)
        assert "25" in confirmed[-1]["text"] and "27" in confirmed[-1]["text"]  # the two reminder days
        scheduled = _reminders(stack_db, person.pseudonym)
        assert len(scheduled) == 2 and {r.language for r in scheduled} == {"ar"}
        before_reminders = len(confirmed)

        # the second person sets reminders too, then deletes everything
        second = _appeal_on_telegram(other, "ar", "١١.١٢.٢٠٢٦")
        _press(other, second[-1], _label("ar", "meta_flow_reminder_yes"))
        other_seen = len(other.settle(len(second) + 1))
        assert len(_reminders(stack_db, other.pseudonym)) == 2
        other.say("/delete")
        confirm = other.settle(other_seen + 1)[-1]
        other.press(confirm["message_id"], _buttons(confirm)[0]["callback_data"])
        other_seen = len(other.settle(other_seen + 2))
        assert _reminders(stack_db, other.pseudonym) == []

        # restart the app before the reminders are due: they are stored, not held in memory
        _restart_app(guided_app, {})
        arrived = person.wait(before_reminders + 2, timeout=120)
        reminders = arrived[before_reminders:]
        assert all(
            "28" in m["text"] and any("\u0600" <= ch <= "\u06ff" for ch in m["text"]) for m in reminders
        )
        time.sleep(3)
        assert len(person.inbox()) == before_reminders + 2, "each reminder exactly once"
        assert len(other.inbox()) == other_seen, "nothing is sent after the conversation was deleted"
        sent = _reminders(stack_db, person.pseudonym)
        assert [r.status for r in sent] == [ReminderStatus.SENT, ReminderStatus.SENT]
        assert all(r.sent_at is not None and r.sent_at >= r.due_at for r in sent)
        with Session(stack_db) as session:
            rows = session.scalars(select(Message).where(Message.id.in_([r.message_id for r in sent]))).all()
            assert [m.status for m in rows] == [MessageStatus.DELIVERED, MessageStatus.DELIVERED]
    finally:
        person.http.close()
        other.http.close()


def _flow(person: Person, flow: str, step: str, value: str) -> dict[str, Any]:
    return person.say(flow_payload(flow, step, value))


def test_two_days_left_open_an_urgent_case_above_older_ordinary_ones(
    guided_app: Stack, stack_db: Engine
) -> None:
    waiting = Person(guided_app)
    person = Person(guided_app, language_hint="en")
    try:
        waiting.say("I want to talk to a caseworker please")
        person.say(start_payload("appeal"))
        _flow(person, "appeal", "decision", "manifestly")
        _flow(person, "appeal", "period", "1w")
        body = person.say("15.12.2026")  # Tuesday + 1 week = Tuesday 22 December: 2 days left
        keys = [r["key"] for r in body["replies"]]
        assert keys[0] == "utter_flow_appeal_result_urgent", keys
        assert "22 December 2026" in body["replies"][0]["text"]
        admin = staff_token(guided_app, f"deadline-admin-{person.conversation[:8]}", "admin")
        headers = {"Authorization": f"Bearer {admin}"}
        queue = waiting_cases(guided_app, admin)
        ours = next(i for i, c in enumerate(queue) if c["conversation"] == person.conversation)
        # the older ordinary request comes later in the queue (possibly beyond this page)
        older = next(
            (i for i, c in enumerate(queue) if c["conversation"] == waiting.conversation), len(queue)
        )
        assert queue[ours]["reason"] == "appeal_deadline" and queue[ours]["urgency"] == Urgency.DEADLINE
        assert ours < older, "the urgent deadline comes before an older ordinary request"
        assert all(c["urgency"] <= Urgency.DEADLINE for c in queue[:ours])
        case = (
            httpx.get(
                f"{guided_app.app_url}/api/admin/cases/{queue[ours]['id']}", headers=headers, timeout=30
            )
            .raise_for_status()
            .json()
        )
        assert any("15.12.2026" in line and "22.12.2026" in line for line in case["summary"]["guided"]), case[
            "summary"
        ]["guided"]
    finally:
        waiting.http.close()
        person.http.close()


def _start_by_asking(person: Person, flow: str, text: str) -> dict[str, Any]:
    """Ask in free text, as a person would. The flow starts; or the answer offers the flow's button;
    or Lotse asks back with the right topic among the choices, whose overview offers the button."""
    first_question = {"appeal": "utter_flow_appeal_ask_decision", "family": "utter_flow_family_ask_status"}[
        flow
    ]
    topic = {"appeal": "asylum_appeal", "family": "family_reunification"}[flow]
    body = person.say(text)
    for _ in range(2):
        keys = [r["key"] for r in body["replies"]]
        if first_question in keys:
            return body
        offered = [b["payload"] for r in body["replies"] for b in r["buttons"]]
        if start_payload(flow) in offered:
            body = person.say(start_payload(flow))
            continue
        choose = "/choose_topic" + json.dumps({"topic": topic}, separators=(",", ":"))
        assert choose in offered, f"{text!r}: neither started nor offered the flow or its topic: {keys}"
        body = person.say(choose)
    keys = [r["key"] for r in body["replies"]]
    assert first_question in keys, keys
    return body


@pytest.mark.parametrize("language", REQUIRED_LANGUAGES)
def test_story_appeal_helper(guided_app: Stack, language: str) -> None:
    story = STORIES[language]["appeal"]
    person = Person(guided_app, language_hint=language)
    try:
        _start_by_asking(person, "appeal", story["ask"])
        _flow(person, "appeal", "decision", "rejected")
        _flow(person, "appeal", "period", "2w")
        body = person.say(story["date"])
        result = body["replies"][0]
        assert result["key"] == "utter_flow_appeal_result" and result["language"] == language
        assert all(part in result["text"] for part in story["expect"]), result["text"]
        assert body["replies"][1]["key"] == "utter_flow_appeal_reminder_offer"
        done = _flow(person, "appeal", "reminder", "no")
        assert [r["key"] for r in done["replies"]] == ["utter_reminder_declined"]
    finally:
        person.http.close()


@pytest.mark.parametrize("language", REQUIRED_LANGUAGES)
def test_story_family_check(guided_app: Stack, language: str) -> None:
    story = STORIES[language]["family"]
    person = Person(guided_app, language_hint=language)
    try:
        _start_by_asking(person, "family", story["ask"])
        _flow(person, "family", "status", "refugee")
        _flow(person, "family", "date_kind", "final")
        person.say(story["date"])
        body = _flow(person, "family", "members", "spouse")
        result = body["replies"][0]
        assert result["key"] == "utter_flow_family_result_refugee" and result["language"] == language
        assert all(part in result["text"] for part in story["expect"]), result["text"]
        sub = Person(guided_app, language_hint=language)
        try:
            sub.say(start_payload("family"))
            (answer,) = _flow(sub, "family", "status", "subsidiary")["replies"]
            assert answer["key"] == "utter_flow_family_result_subsidiary" and "2027" in answer["text"]
        finally:
            sub.http.close()
    finally:
        person.http.close()
