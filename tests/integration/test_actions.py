"""Custom actions on the real action server, fed with tracker JSON recorded from real
conversations (scripts/capture_trackers.py), the way Rasa calls them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.conversations.models import ConversationState, LanguageSource
from bot.handover.models import Handover, HandoverReason, Urgency
from bot.stack import Stack
from tests.integration.conftest import Person, conversation_of

TRACKERS = Path(__file__).resolve().parent.parent / "rasa" / "trackers"


def _run(stack: Stack, action: str, tracker_file: str, sender: str | None = None) -> dict[str, Any]:
    tracker = json.loads((TRACKERS / tracker_file).read_text())
    if sender:
        tracker["sender_id"] = sender
    body = {
        "next_action": action,
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": json.loads((TRACKERS / "domain.json").read_text()),
        "version": "3.6.21",
    }
    response = httpx.post(f"http://127.0.0.1:{stack.env['LOTSE_ACTION_PORT']}/webhook", json=body, timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_first_unclear_message_asks_to_rephrase(stack: Stack) -> None:
    result = _run(stack, "action_handle_fallback", "one_fallback.json")
    assert [r["response"] for r in result["responses"]] == ["utter_default"]
    assert result["events"] == []


def test_second_unclear_message_in_a_row_hands_over(stack: Stack, stack_db: Engine, person: Person) -> None:
    result = _run(stack, "action_handle_fallback", "two_fallbacks.json", sender=person.conversation)
    assert [r["response"] for r in result["responses"]] == ["utter_handover_low_confidence"]
    assert [e["event"] for e in result["events"]] == ["pause"]
    with Session(stack_db) as db:
        conv = conversation_of(db, person)
        assert conv.state == ConversationState.HANDOVER
        handover = db.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
        assert handover.reason == HandoverReason.LOW_CONFIDENCE


def test_handover_carries_the_topic_of_the_last_question(
    stack: Stack, stack_db: Engine, person: Person
) -> None:
    result = _run(stack, "action_handover", "handover_after_appeal_question.json", sender=person.conversation)
    assert [r["response"] for r in result["responses"]] == ["utter_handover_requested"]
    with Session(stack_db) as db:
        conv = conversation_of(db, person)
        handover = db.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
        assert handover.topic == "asylum_appeal"
        assert handover.urgency == Urgency.HIGH  # appeal questions come before ordinary requests


def test_language_choice_is_stored_as_explicit(stack: Stack, stack_db: Engine, person: Person) -> None:
    result = _run(stack, "action_set_language", "choose_language_ar.json", sender=person.conversation)
    assert [r["response"] for r in result["responses"]] == ["utter_language_changed"]
    with Session(stack_db) as db:
        conv = conversation_of(db, person)
        assert (conv.language, conv.language_source) == ("ar", LanguageSource.EXPLICIT)


def test_unknown_conversation_is_not_switched_but_answered(stack: Stack) -> None:
    result = _run(stack, "action_set_language", "choose_language_ar.json", sender="not-a-conversation")
    assert [r["response"] for r in result["responses"]] == ["utter_choose_language"]


def test_unclear_message_offers_its_likely_topics(stack: Stack) -> None:
    tracker = json.loads((TRACKERS / "ask_back.json").read_text())
    assert tracker["latest_message"]["intent"]["name"] == "nlu_fallback"
    result = _run(stack, "action_handle_fallback", "ask_back.json")
    [response] = result["responses"]
    assert response["response"] == "utter_ask_back"
    assert response["offered"][:2] == ["family_reunification", "housing"]  # best first
    assert result["events"] == []


def test_picked_topic_after_an_ask_back_answers_the_question_within_it(stack: Stack) -> None:
    result = _run(stack, "action_show_topic", "topic_after_ask_back.json")
    [response] = result["responses"]
    assert response["response"].startswith("utter_faq_housing/")


def test_picked_topic_without_an_ask_back_shows_the_overview(stack: Stack) -> None:
    result = _run(stack, "action_show_topic", "topic_without_ask_back.json")
    assert [r["response"] for r in result["responses"]] == ["utter_topic_housing"]
