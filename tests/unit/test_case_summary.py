"""Suggested next steps of the handover summary, and the facts taken from the stored conversation."""

from __future__ import annotations

from sqlalchemy.orm import Session

from admin_api.cases.summary import next_step, summarise
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover


def test_crisis_comes_first_with_the_emergency_numbers() -> None:
    step = next_step(reason=HandoverReason.CRISIS, topic="housing")
    assert step.startswith("Sofort lesen")
    for number in ("110", "112", "0800 111 0 111", "116 016"):
        assert number in step
    assert "Wohnsitzauflage" not in step


def test_appeal_asks_for_the_deadline_today_and_names_the_courts() -> None:
    step = next_step(reason=HandoverReason.REQUESTED, topic="asylum_appeal")
    assert step.startswith("Heute klären") and "1 Woche" in step and "2 Wochen" in step
    assert all(court in step for court in ("Gera", "Meiningen", "Weimar"))
    assert "nachfragen, was sie braucht" in step


def test_each_reason_has_its_own_step() -> None:
    steps = {reason: next_step(reason=reason, topic=None) for reason in HandoverReason}
    assert len(set(steps.values())) == len(HandoverReason)
    assert "nicht erreichbar" in steps[HandoverReason.UNAVAILABLE]
    assert "nicht verstanden" in steps[HandoverReason.LOW_CONFIDENCE]


def test_an_unknown_topic_adds_nothing() -> None:
    assert next_step(reason=HandoverReason.REQUESTED, topic="other") == next_step(
        reason=HandoverReason.REQUESTED, topic=None
    )


def test_a_voice_message_or_file_is_noticed_and_the_topic_falls_back_to_the_last_answer(
    session: Session,
) -> None:
    conv = Conversation(pseudonym="web-summary-1", channel="telegram", language="uk")
    session.add(conv)
    session.flush()
    session.add_all(
        [
            Message(
                conversation_id=conv.id,
                direction=Direction.IN,
                text="",
                status=MessageStatus.ANSWERED,
                payload={"non_text": "voice"},
            ),
            Message(
                conversation_id=conv.id,
                direction=Direction.OUT,
                text="…",
                status=MessageStatus.DELIVERED,
                content_key="utter_faq_housing/deposit",
                topic="housing",
            ),
        ]
    )
    session.flush()
    handover = create_handover(session, conversation=conv, reason=HandoverReason.REQUESTED, topic=None)
    summary = summarise(session, handover=handover, overdue=True)
    assert summary.sent_non_text and summary.overdue
    assert summary.topics == ["housing"] and summary.answered == ["utter_faq_housing/deposit"]
    assert "Wohnsitzauflage" in summary.next_step and "Sprachnachricht" in summary.next_step
    assert summary.last_intent is None and summary.language_source == "default"
