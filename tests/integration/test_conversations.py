"""End-to-end conversations through the real app, Rasa server, action server and NLG endpoint."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from bot.analytics.models import QuestionLog
from bot.content.service import load_catalog
from bot.conversations.models import Conversation, Direction, Message
from bot.db import make_engine
from bot.handover.models import Handover, HandoverReason, Urgency
from bot.stack import Stack
from tests.integration.conftest import Person, conversation_of, rasa_tracker


def _keys(body: dict[str, object]) -> list[str]:
    return [r["key"] for r in body["replies"]]  # type: ignore[index, union-attr]


def test_greeting_shows_the_topic_menu(person: Person) -> None:
    body = person.say("Hallo")
    assert _keys(body) == ["utter_greet", "utter_menu"]
    menu = body["replies"][1]
    assert len(menu["buttons"]) == 8  # 5 topics, the deadline helper, step-by-step help, a person
    assert menu["buttons"][0]["payload"] == '/choose_topic{"topic":"family_reunification"}'
    assert menu["language"] == "de"


def test_ready_and_metrics_on_the_real_stack(stack: Stack, person: Person) -> None:
    ready = httpx.get(f"{stack.app_url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json() == {"ready": True, "database": True, "rasa": True}
    person.say("Hallo")
    scrape = httpx.get(f"{stack.app_url}/metrics", timeout=10)  # from loopback: no token needed
    assert scrape.status_code == 200
    counted = [
        line for line in scrape.text.splitlines() if line.startswith('lotse_messages_in_total{channel="web"}')
    ]
    assert counted and float(counted[0].split()[-1]) >= 1
    assert 'lotse_rasa_seconds_count{api="REST channel"}' in scrape.text
    assert "lotse_case_oldest_waiting_seconds" in scrape.text
    assert person.conversation not in scrape.text


def test_arabic_family_question_gets_an_arabic_sourced_answer(person: Person) -> None:
    body = person.say("اخذت الاعتراف كلاجئ، كم شهر عندي لقدم طلب لم الشمل لزوجتي وولادي؟")
    reply = body["replies"][0]
    assert reply["topic"] == "family_reunification"
    assert reply["language"] == "ar"
    assert reply["key"].startswith("utter_faq_family/")
    as_of = load_catalog()[reply["key"]].as_of
    assert as_of is not None
    assert "AufenthG" in reply["text"] and as_of.isoformat() in reply["text"]  # the item's own date
    assert any("\u0600" <= ch <= "\u06ff" for ch in reply["text"])


def test_ukrainian_without_choosing_a_language_is_answered_in_ukrainian(person: Person) -> None:
    body = person.say("Як довго я маю часу, щоб подати позов проти рішення BAMF?")
    reply = body["replies"][0]
    assert reply["language"] == "uk"
    assert reply["topic"] == "asylum_appeal"
    assert "Gera" in reply["text"]


def test_button_payload_and_explicit_language_choice(stack_db: Engine, person: Person) -> None:
    body = person.say('/choose_language{"language":"fa"}')
    assert _keys(body) == ["utter_language_changed"]
    assert body["replies"][0]["language"] == "fa"
    # an explicit choice wins over detection: a German question is answered in Persian
    body = person.say("Wie viele Stunden hat ein Integrationskurs?")
    assert body["replies"][0]["language"] == "fa"
    assert body["replies"][0]["topic"] == "education"
    with Session(stack_db) as db:
        logged = db.scalars(select(QuestionLog.text_redacted)).all()
        assert "Wie viele Stunden hat ein Integrationskurs?" in logged
        assert not [t for t in logged if t.startswith("/")], "button payloads are not questions"


def test_asking_for_another_language_switches(person: Person) -> None:
    person.say("Hallo")
    body = person.say("can you answer in english please")
    assert _keys(body) == ["utter_language_changed"]
    assert body["replies"][0]["language"] == "en"


def test_changed_text_is_served_at_once_without_retraining(
    stack: Stack, person: Person, admin_token: str
) -> None:
    new_text = "Ab sofort: Einbürgerung nach 5 Jahren (Testtext der Verwaltung)."
    response = httpx.put(
        f"{stack.app_url}/api/admin/content/utter_faq_naturalization/requirements/de",
        json={"text": new_text},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200, response.text
    body = person.say("Welche Voraussetzungen gibt es für die Einbürgerung in Deutschland?")
    assert body["replies"][0]["text"].startswith(new_text)
    unauthorised = httpx.put(
        f"{stack.app_url}/api/admin/content/utter_greet/de", json={"text": "x"}, timeout=10
    )
    assert unauthorised.status_code == 401


def test_request_for_a_person_creates_a_handover_and_pauses(
    stack: Stack, stack_db: Engine, person: Person
) -> None:
    person.say("Hallo, ich habe eine Frage zur Kita")
    body = person.say("Ich möchte bitte mit einem Sachbearbeiter sprechen")
    assert _keys(body) == ["utter_handover_requested"]
    with Session(stack_db) as db:
        conv = conversation_of(db, person)
        handover = db.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
        assert handover.reason == HandoverReason.REQUESTED
        assert handover.language == "de"
        assert [m["direction"] for m in handover.transcript][:2] == ["in", "out"]
    assert rasa_tracker(stack, person.conversation)["paused"] is True
    waiting = person.say("Hallo? Ist jemand da?")
    assert _keys(waiting) == ["utter_handover_waiting"]
    assert waiting["status"] == "human"
    silent = person.say("Noch eine Nachricht")
    assert silent["replies"] == [] and silent["status"] == "human"


def test_crisis_gives_emergency_numbers_first_and_an_urgent_handover(
    stack: Stack, stack_db: Engine, person: Person
) -> None:
    body = person.say("I don't want to live anymore, I want to kill myself")
    assert _keys(body) == ["utter_crisis", "utter_handover_crisis"]
    assert "112" in body["replies"][0]["text"] and "0800 111 0 111" in body["replies"][0]["text"]
    with Session(stack_db) as db:
        conv = conversation_of(db, person)
        handover = db.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
        assert handover.reason == HandoverReason.CRISIS and handover.urgency == Urgency.CRITICAL


def test_two_unclear_messages_in_a_row_hand_over(stack: Stack, stack_db: Engine, person: Person) -> None:
    first = person.say("🙂🙂🙂")
    assert _keys(first) in (["utter_default"], ["utter_ask_back"])  # rephrase, or topics to pick
    second = person.say("👍👍")
    assert _keys(second) == ["utter_handover_low_confidence"]
    with Session(stack_db) as db:
        conv = conversation_of(db, person)
        reasons = db.scalars(select(Handover.reason).where(Handover.conversation_id == conv.id)).all()
        assert reasons == [HandoverReason.LOW_CONFIDENCE]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "x" * 4096,
        "Familiennachzug " * 256,
        "\x00\x07\x1b[31mhallo\u202e\u200b",
        "hello مرحبا привет 你好 ሰላም",
        "‏مرحبا، أريد أن أسأل عن Jobcenter و Wohnsitzauflage‏",
        "🙏",
        "<script>alert(1)</script> & * _ `",
    ],
    ids=["empty", "whitespace", "4k", "long-repeat", "control", "mixed-scripts", "rtl", "emoji", "markup"],
)
def test_bad_input_gets_a_sensible_reply_and_is_stored(stack_db: Engine, person: Person, text: str) -> None:
    body = person.say(text)
    assert body["replies"], "every message gets an answer"
    assert all(r["text"].strip() for r in body["replies"])
    with Session(stack_db) as db:
        stored = db.get_one(Message, body["message_id"])
        assert stored.text == text.replace("\x00", "\ufffd") and stored.direction == Direction.IN
        assert stored.status.value in {"answered", "human"}


@pytest.mark.parametrize("text", ["x" * 10_000, "Familiennachzug " * 700])
def test_a_message_over_the_limit_gets_a_clear_answer_and_is_not_stored(
    stack_db: Engine, person: Person, text: str
) -> None:
    before = _count_messages(stack_db)
    response = person.http.post("/api/chat/messages", json={"text": text, "client_id": str(uuid.uuid4())})
    assert response.status_code == 413
    assert "4096" in response.json()["detail"]
    assert _count_messages(stack_db) == before


def _count_messages(engine: Engine) -> int:
    with Session(engine) as db:
        return len(db.scalars(select(Message.id)).all())


def test_duplicate_delivery_is_answered_once(stack_db: Engine, person: Person) -> None:
    first = person.say("Wie finde ich eine Wohnung?", client_id="same-delivery-id")
    again = person.say("Wie finde ich eine Wohnung?", client_id="same-delivery-id")
    assert again["duplicate"] is True and again["message_id"] == first["message_id"]
    assert [r["id"] for r in again["replies"]] == [r["id"] for r in first["replies"]]
    with Session(stack_db) as db:
        count = db.scalars(select(Message).where(Message.reply_to_id == first["message_id"])).all()
        assert len(count) == len(first["replies"])


def test_a_person_can_erase_their_conversation(stack: Stack, stack_db: Engine, person: Person) -> None:
    person.say("Hallo")
    person.say("Ich möchte mit einem Sachbearbeiter sprechen")
    with Session(stack_db) as db:
        conv_id = conversation_of(db, person).id
        assert db.scalars(select(Handover).where(Handover.conversation_id == conv_id)).all()
    assert rasa_tracker(stack, person.conversation)["events"]
    response = person.http.delete("/api/chat/session")
    assert response.status_code == 200 and response.json() == {"erased": True}
    with Session(stack_db) as db:
        assert db.get(Conversation, conv_id) is None
        assert db.scalars(select(Message).where(Message.conversation_id == conv_id)).all() == []
        assert db.scalars(select(Handover).where(Handover.conversation_id == conv_id)).all() == []
    assert [e for e in rasa_tracker(stack, person.conversation)["events"] if e.get("event") == "user"] == []
    assert person.later() == []


def _tracker_rows(stack: Stack, sender: str) -> int:
    """Rows of ``sender`` in Rasa's SQL tracker store (the table Rasa re-inserts into)."""
    engine = make_engine(stack.env["LOTSE_RASA_TRACKER_URL"])
    try:
        with engine.connect() as conn:
            if not engine.dialect.has_table(conn, "events"):
                return 0
            count = conn.execute(
                text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
            return int(count)
    finally:
        engine.dispose()


def test_erasure_while_a_turn_is_in_flight_leaves_nothing(stack: Stack, stack_db: Engine) -> None:
    """Finding 4: /delete while Rasa is answering must not let Rasa re-insert the events."""
    rounds = 20
    for i in range(rounds):
        person = Person(stack)
        try:
            said: dict[str, httpx.Response] = {}

            def say(person: Person = person, said: dict[str, httpx.Response] = said, i: int = i) -> None:
                said["r"] = person.http.post(
                    "/api/chat/messages",
                    json={
                        "session": person.session,
                        "text": f"Ich heiße Samira Nouri, wie lange dauert der Familiennachzug? ({i})",
                        "client_id": str(uuid.uuid4()),
                    },
                )

            sender = threading.Thread(target=say)
            sender.start()
            # Delete as soon as the message is stored, i.e. while its turn is (most likely) in flight.
            deadline = time.monotonic() + 60
            conv_id = None
            while conv_id is None and time.monotonic() < deadline and sender.is_alive():
                with Session(stack_db) as db:
                    conv_id = db.scalar(
                        select(Message.conversation_id)
                        .join(Conversation)
                        .where(Conversation.pseudonym == person.conversation)
                    )
                time.sleep(0.005)
            deleted = person.http.delete("/api/chat/session")
            sender.join(120)
            assert not sender.is_alive()
            assert deleted.status_code == 200, deleted.text

            with Session(stack_db) as db:
                assert (
                    db.scalars(
                        select(Conversation).where(Conversation.pseudonym == person.conversation)
                    ).all()
                    == []
                )
                assert db.scalars(select(Message).where(Message.text.contains("Samira"))).all() == []
                if conv_id is not None:
                    assert db.scalars(select(Message).where(Message.conversation_id == conv_id)).all() == []
                    assert db.scalars(select(Handover).where(Handover.conversation_id == conv_id)).all() == []
                logged = db.scalars(select(QuestionLog.text_redacted)).all()
                assert not [t for t in logged if "Samira" in t or "Nouri" in t]
            assert _tracker_rows(stack, person.conversation) == 0, f"round {i}: tracker rows remain"
            events = rasa_tracker(stack, person.conversation)["events"]
            assert [e for e in events if e.get("event") in ("user", "bot")] == [], f"round {i}"
            # the message either was answered before the erasure or was refused because of it
            assert said["r"].status_code in (200, 410), said["r"].text
        finally:
            person.http.close()
