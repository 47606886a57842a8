"""Nothing lost, nothing twice: Rasa really stopped and restarted; the app dying mid-message."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import httpx
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, ConversationState, Direction, Message, MessageStatus
from bot.db import utcnow
from bot.handover.models import Handover, HandoverReason, Urgency
from bot.stack import Stack
from tests.integration.conftest import Person, conversation_of, rasa_tracker


def _user_events_for(stack: Stack, sender: str, message_id: int) -> int:
    events = rasa_tracker(stack, sender)["events"]
    return sum(
        1
        for e in events
        if e.get("event") == "user" and (e.get("metadata") or {}).get("lotse_message_id") == message_id
    )


def test_rasa_down_then_back_answers_exactly_once(stack: Stack, stack_db: Engine, person: Person) -> None:
    person.say("Hallo")
    stack.stop("rasa")
    try:
        body = person.say("Wie lange habe ich Zeit für eine Klage gegen den BAMF-Bescheid?")
        assert body["status"] == "deferred"
        assert [r["key"] for r in body["replies"]] == ["utter_unavailable"]
        again = person.say("Ist die Frist zwei Wochen?")
        assert again["status"] == "deferred" and [r["key"] for r in again["replies"]] == ["utter_unavailable"]
        # The crisis safety net does not need the model: numbers first and an urgent case at once.
        someone = Person(stack)
        crisis = someone.say("Mein Mann schlägt mich jeden Abend und ich habe Angst um mein Leben")
        someone.http.close()
        assert crisis["status"] == "answered"
        assert [r["key"] for r in crisis["replies"]] == ["utter_crisis", "utter_handover_crisis"]
        with Session(stack_db) as db:
            conv = db.scalars(
                select(Conversation).where(Conversation.pseudonym == crisis["conversation"])
            ).one()
            handover = db.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
            assert (conv.state, handover.reason, handover.urgency) == (
                ConversationState.HANDOVER,
                HandoverReason.CRISIS,
                Urgency.CRITICAL,
            )
    finally:
        stack.start("rasa")
        stack.wait_ready(("rasa",))
    waiting = (body["message_id"], again["message_id"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with Session(stack_db) as db:
            statuses = [db.get_one(Message, m).status for m in waiting]
        if statuses == [MessageStatus.ANSWERED, MessageStatus.ANSWERED]:
            break
        time.sleep(0.5)
    assert statuses == [MessageStatus.ANSWERED, MessageStatus.ANSWERED]
    # each waiting message: the "unavailable" notice, then its real answer, nothing twice
    with Session(stack_db) as db:
        for message_id in waiting:
            replies = db.scalars(
                select(Message).where(Message.reply_to_id == message_id).order_by(Message.id)
            ).all()
            keys = [r.content_key for r in replies]
            assert (
                keys[0] == "utter_unavailable" and len(keys) >= 2 and keys.count("utter_unavailable") == 1
            ), keys
    later = person.later(max(r["id"] for r in again["replies"]))
    assert [r["topic"] for r in later][:1] == ["asylum_appeal"]
    for message_id in (body["message_id"], again["message_id"]):
        assert _user_events_for(stack, person.conversation, message_id) == 1


def test_app_dying_after_rasa_answered_recovers_the_answer_from_the_tracker(
    stack: Stack, stack_db: Engine, person: Person
) -> None:
    """The app sent a message to Rasa and died before storing the answer: on recovery the answer is
    taken from Rasa's tracker; Rasa does not see the message a second time."""
    with Session(stack_db) as db, db.begin():
        conv = conversation_of(db, person)
        msg = Message(
            conversation_id=conv.id,
            direction=Direction.IN,
            text="Muss ich nach der Anerkennung in Thüringen wohnen bleiben?",
            status=MessageStatus.PROCESSING,
            attempts=1,
            language="de",
        )
        db.add(msg)
        db.flush()
        message_id = msg.id
    # what the app did before it died: Rasa processed the message
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={
            "sender": person.conversation,
            "message": "Muss ich nach der Anerkennung in Thüringen wohnen bleiben?",
            "metadata": {"lotse_message_id": message_id, "language": "de"},
        },
        timeout=60,
    )
    assert response.status_code == 200 and response.json()
    # the worker that claimed it is gone: after the stale timeout the retry loop takes over
    with Session(stack_db) as db, db.begin():
        db.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(updated_at=utcnow() - timedelta(minutes=10))
        )
    replies = person.wait_for_replies(after=0)
    assert [r["topic"] for r in replies] == ["housing"]
    with Session(stack_db) as db:
        assert db.get_one(Message, message_id).status == MessageStatus.ANSWERED
    assert _user_events_for(stack, person.conversation, message_id) == 1


def test_answer_lost_inside_rasa_is_asked_again_after_the_app_restarts(
    stack: Stack, stack_db: Engine, person: Person
) -> None:
    """The app is killed while Rasa works on its message: Rasa cannot reach the app's NLG endpoint,
    keeps the message in its tracker without an answer and replies with an empty list. After the
    restart the message is sent to Rasa again and answered; it never counts as answered without a
    reply (what two app instances sharing one Rasa tracker store met when one was killed)."""
    stack.stop("app", sig=signal.SIGKILL)
    text = "Wie lange habe ich Zeit für eine Klage gegen den Bescheid?"
    with Session(stack_db) as db, db.begin():
        conv = conversation_of(db, person)
        msg = Message(
            conversation_id=conv.id,
            direction=Direction.IN,
            text=text,
            status=MessageStatus.PROCESSING,
            attempts=1,
            language="de",
            updated_at=utcnow() - timedelta(minutes=10),  # its worker is gone
        )
        db.add(msg)
        db.flush()
        message_id = msg.id
    try:
        response = httpx.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={
                "sender": person.conversation,
                "message": text,
                "metadata": {"lotse_message_id": message_id, "language": "de"},
            },
            timeout=60,
        )
        assert response.status_code == 200 and response.json() == [], response.text
        assert _user_events_for(stack, person.conversation, message_id) == 1  # seen, answer lost
    finally:
        stack.start("app")
        stack.wait_ready(("app",))
    replies = person.wait_for_replies(after=0)
    assert [r["topic"] for r in replies][:1] == ["asylum_appeal"]
    with Session(stack_db) as db:
        assert db.get_one(Message, message_id).status == MessageStatus.ANSWERED
    assert _user_events_for(stack, person.conversation, message_id) == 2


def test_app_killed_and_restarted_answers_waiting_messages(
    stack: Stack, stack_db: Engine, person: Person
) -> None:
    """A message stored but never processed (the app was killed) is answered after a restart."""
    stack.stop("app", sig=signal.SIGKILL)
    # stored by the channel, but the process died before processing it
    with Session(stack_db) as db, db.begin():
        conv = conversation_of(db, person)
        msg = Message(
            conversation_id=conv.id,
            direction=Direction.IN,
            text="Was kostet die Einbürgerung?",
            status=MessageStatus.RECEIVED,
        )
        db.add(msg)
        db.flush()
        message_id = msg.id
    stack.start("app")
    stack.wait_ready(("app",))
    replies = person.wait_for_replies(after=0)
    assert replies[0]["topic"] == "naturalization"
    assert _user_events_for(stack, person.conversation, message_id) == 1
