"""The guided flows step by step, on the real content store (seeded from translations/), without Rasa."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.content.service import seed
from bot.conversations.models import Conversation, ConversationState, Message
from bot.guided import reminders
from bot.guided import service as guided
from bot.guided.models import DONE, STOPPED, GuidedFlow, Reminder, ReminderStatus
from bot.guided.payloads import flow_payload, menu_payload, start_payload, stop_reminders_payload
from bot.handover.models import Handover, HandoverReason, Urgency
from tests.conftest import make_settings
from tests.unit.guided_chat import NOW, TODAY, Chat
from tests.unit.guided_chat import new_conversation as _conversation
from tests.unit.guided_chat import values as _values


def test_appeal_helper_shifts_a_christmas_deadline_and_offers_reminders(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    intro, question = chat.must(start_payload("appeal"))
    assert intro.key == "utter_faq_appeal/deadline_helper" and intro.topic == "asylum_appeal"
    assert "§ 74" in intro.text  # the intro names its sources
    assert question.key == "utter_flow_appeal_ask_decision"
    assert _values(question) == ["rejected", "manifestly", "dublin", "lower", "unknown", "stop"]
    (period,) = chat.must(flow_payload("appeal", "decision", "rejected"))
    assert period.key == "utter_flow_appeal_ask_period"
    (delivered,) = chat.must(flow_payload("appeal", "period", "2w"))
    assert _values(delivered) == ["today", "yesterday", "stop"]
    result, offer = chat.must("I got it on 11.12.2026")
    # 11 Dec + 2 weeks = Fri 25 Dec (Christmas), Sat 26 Dec (holiday), Sun 27 -> Monday 28 December
    assert result.key == "utter_flow_appeal_result"
    assert "Monday, 28 December 2026" in result.text
    assert "Friday, 25 December 2026" in result.text  # the nominal day, in the shift note
    assert "Days left: 8" in result.text or ": 8" in result.text
    assert "{" not in result.text.split("\n\n")[0], "every placeholder is filled"
    assert offer.key == "utter_flow_appeal_reminder_offer" and _values(offer) == ["yes", "no"]
    state = chat.state("appeal")
    assert state.result["last_day"] == "2026-12-28" and state.result["period_source"] == "letter"
    (done,) = chat.must(flow_payload("appeal", "reminder", "yes"))
    assert done.key == "utter_reminder_set"
    assert "Friday, 25 December 2026" in done.text and "Sunday, 27 December 2026" in done.text
    rows = seeded.scalars(select(Reminder).where(Reminder.conversation_id == chat.conv.id)).all()
    assert sorted(r.deadline for r in rows) == ["2026-12-28", "2026-12-28"]
    assert {r.language for r in rows} == {"en"} and all(r.status == ReminderStatus.PENDING for r in rows)
    assert chat.state("appeal").step == DONE
    assert (
        seeded.scalar(
            select(func.count()).select_from(Handover).where(Handover.conversation_id == chat.conv.id)
        )
        == 0
    )


def test_unknown_period_uses_the_shortest_and_two_days_left_open_an_urgent_case(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("appeal"))
    chat.must(flow_payload("appeal", "decision", "unknown"))
    chat.must(flow_payload("appeal", "period", "unknown"))
    replies = chat.must("15.12.2026")  # Tuesday + 1 week (shortest, from the table) = Tue 22 Dec: 2 days left
    assert replies[0].key == "utter_flow_appeal_result_urgent"
    assert "Tuesday, 22 December 2026" in replies[0].text
    assert chat.state("appeal").result["period_source"] == "table"
    handover = seeded.scalars(select(Handover).where(Handover.conversation_id == chat.conv.id)).one()
    assert handover.reason == HandoverReason.APPEAL_DEADLINE and handover.urgency == Urgency.DEADLINE
    assert handover.facts["guided"]["appeal"]["result"]["last_day"] == "2026-12-22"
    assert chat.conv.state == ConversationState.HANDOVER
    lines = guided.case_lines(seeded, chat.conv.id)
    assert any("22.12.2026" in line for line in lines) and any("15.12.2026" in line for line in lines)


def test_a_passed_deadline_explains_reinstatement_and_hands_over(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("appeal"))
    chat.must(flow_payload("appeal", "decision", "rejected"))
    chat.must(flow_payload("appeal", "period", "2w"))
    replies = chat.must("1.11.2026")  # Sunday + 2 weeks = Sun 15 Nov -> Mon 16 Nov: passed
    assert [r.key for r in replies] == ["utter_flow_appeal_result_passed"]  # no reminder for a past day
    assert "§ 60 VwGO" in replies[0].text and "16 November 2026" in replies[0].text
    assert seeded.scalars(select(Handover).where(Handover.conversation_id == chat.conv.id)).one().reason == (
        HandoverReason.APPEAL_DEADLINE
    )


def test_dates_are_read_in_each_language_and_ambiguous_ones_asked_back(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf, language="ar")
    chat.must(start_payload("appeal"))
    chat.must(flow_payload("appeal", "decision", "rejected"))
    chat.must(flow_payload("appeal", "period", "2w"))
    (ask,) = chat.must("١١/١٢/٢٠٢٦")
    assert ask.key == "utter_flow_date_ambiguous"
    assert _values(ask)[:2] == ["2026-12-11", "2026-11-12"]
    result, _offer = chat.must(flow_payload("appeal", "delivered", "2026-12-11"))
    assert result.language == "ar" and "28" in result.text and "ديسمبر" in result.text


def test_a_future_date_and_unreadable_answers_are_asked_again_then_the_flow_is_left(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("appeal"))
    chat.must(flow_payload("appeal", "decision", "rejected"))
    chat.must(flow_payload("appeal", "period", "1w"))
    assert chat.must("24.12.2026")[0].key == "utter_flow_date_future"
    assert chat.must("blabla")[0].key == "utter_flow_date_again"
    assert chat.say("hmm") is None  # the second miss in a row: the message goes to Rasa
    assert chat.state("appeal").step == STOPPED and chat.state("appeal").answers == {}


def test_another_question_leaves_the_flow_and_stop_ends_it(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("appeal"))
    assert chat.say("what does manifestly unfounded mean for me?") is None
    assert chat.state("appeal").step == STOPPED
    chat.must(start_payload("appeal"))
    (stopped,) = chat.must("Stop")
    assert stopped.key == "utter_flow_stopped" and chat.state("appeal").step == STOPPED


def test_typed_answers_and_stale_buttons(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, language="de")
    chat.must(start_payload("appeal"))
    (period,) = chat.must("1")  # the first option by its number
    assert period.key == "utter_flow_appeal_ask_period" and chat.state("appeal").answers == {
        "decision": "rejected"
    }
    (again,) = chat.must(flow_payload("appeal", "decision", "dublin"))  # a button of the earlier question
    assert again.key == "utter_flow_appeal_ask_period" and chat.state("appeal").answers == {
        "decision": "rejected"
    }
    (delivered,) = chat.must("2 Wochen")  # the label of an option, typed
    assert delivered.key == "utter_flow_appeal_ask_delivered"
    assert chat.state("appeal").answers["period"] == "2w"


def test_family_check_for_a_recognised_refugee_in_persian(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, language="fa")
    chat.must(start_payload("family"))
    (kind,) = chat.must(flow_payload("family", "status", "refugee"))
    assert kind.key == "utter_flow_family_ask_date_kind"
    chat.must(flow_payload("family", "date_kind", "final"))
    (members,) = chat.must("۱۰.۱۰.۲۰۲۶")
    assert members.key == "utter_flow_family_ask_members"
    result, offer = chat.must(flow_payload("family", "members", "spouse_children"))
    # 10 October + 3 months = 10 January 2027; 21 days left on 20 December: not yet urgent
    assert result.key == "utter_flow_family_result_refugee" and result.language == "fa"
    assert "2027" in result.text and "ژانویه" in result.text
    assert chat.state("family").result["last_day"] == "2027-01-10"
    assert offer.key == "utter_flow_family_reminder_offer"
    (done,) = chat.must(flow_payload("family", "reminder", "yes"))
    rows = seeded.scalars(select(Reminder).where(Reminder.conversation_id == chat.conv.id)).all()
    assert [r.deadline for r in rows] == ["2027-01-10"]  # 3 weeks before is today: only 3 days before
    assert done.key == "utter_reminder_set"


def test_family_check_urgent_and_subsidiary(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("family"))
    chat.must(flow_payload("family", "status", "refugee"))
    chat.must(flow_payload("family", "date_kind", "notice"))
    chat.must("30.09.2026")
    replies = chat.must(flow_payload("family", "members", "spouse"))
    assert replies[0].key == "utter_flow_family_result_refugee_urgent"
    assert "Wednesday, 30 December 2026" in replies[0].text
    handover = seeded.scalars(select(Handover).where(Handover.conversation_id == chat.conv.id)).one()
    assert handover.reason == HandoverReason.FAMILY_DEADLINE and handover.urgency == Urgency.DEADLINE

    other = Chat(seeded, conf, language="fa")
    other.must(start_payload("family"))
    (result,) = other.must(flow_payload("family", "status", "subsidiary"))
    assert result.key == "utter_flow_family_result_subsidiary" and "2027" in result.text
    assert other.state("family").step == DONE


def test_stop_reminders_by_button_and_by_words(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("appeal"))
    chat.must(flow_payload("appeal", "decision", "rejected"))
    chat.must(flow_payload("appeal", "period", "2w"))
    chat.must("11.12.2026")
    chat.must(flow_payload("appeal", "reminder", "yes"))
    (stopped,) = chat.must("stop reminders")
    assert stopped.key == "utter_reminders_stopped" and "2" in stopped.text
    assert chat.say("stop reminders") is None  # nothing pending: an ordinary message for Rasa
    (none,) = chat.must(stop_reminders_payload())
    assert none.key == "utter_reminders_none"


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        seed(session)
    yield factory


def test_due_reminders_are_sent_once_in_their_language_and_erasure_removes_them(
    sessions: sessionmaker[Session], db_url: str
) -> None:
    settings = make_settings(database_url=db_url, guided_today=TODAY, reminder_time_scale=1e-5)
    with sessions.begin() as session:
        conv = _conversation(session, "uk")
        ctx = guided.Context(session, conv, "uk", settings, NOW)
        plan = guided.ReminderPlan("utter_reminder_appeal", date(2026, 12, 28), (3, 1))
        days = reminders.schedule(
            session, conversation=conv, flow="appeal", plan=plan, language="uk", settings=settings, now=NOW
        )
        assert days == [date(2026, 12, 25), date(2026, 12, 27)] and ctx.today == TODAY
        conv_id, pseudonym = conv.id, conv.pseudonym
    with sessions() as session:
        dues = sorted(
            r.due_at for r in session.scalars(select(Reminder).where(Reminder.conversation_id == conv_id))
        )
    # scaled: 5 days minus one hour and 7 days minus one hour, times 1e-5: about 4 and 6 seconds
    assert (
        NOW + timedelta(seconds=3)
        < dues[0]
        < NOW + timedelta(seconds=5)
        < dues[1]
        < NOW + timedelta(seconds=7)
    )
    assert reminders.send_due(sessions, settings=settings, now=NOW) == 0
    assert reminders.send_due(sessions, settings=settings, now=dues[0]) == 1
    assert reminders.send_due(sessions, settings=settings, now=dues[0]) == 0  # never twice
    assert reminders.send_due(sessions, settings=settings, now=dues[1]) == 1
    with sessions() as session:
        sent = session.scalars(
            select(Message).where(
                Message.conversation_id == conv_id, Message.content_key == "utter_reminder_appeal"
            )
        ).all()
        assert len(sent) == 2 and all(m.language == "uk" for m in sent)
        assert all(m.payload and m.payload["buttons"][0]["payload"] == stop_reminders_payload() for m in sent)
        assert "28" in sent[0].text
    with sessions.begin() as session:
        session.execute(delete(Conversation).where(Conversation.pseudonym == pseudonym))
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Reminder).where(Reminder.conversation_id == conv_id)
            )
            == 0
        )
        assert (
            session.scalar(
                select(func.count()).select_from(GuidedFlow).where(GuidedFlow.conversation_id == conv_id)
            )
            == 0
        )


def test_the_guided_menu_lists_every_flow(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, language="tr")
    (menu,) = chat.must(menu_payload())
    assert menu.key == "utter_flow_menu" and menu.language == "tr"
    starts = [b["payload"] for b in menu.buttons]
    assert starts[: len(guided.FLOWS)] == [start_payload(name) for name in guided.FLOWS]
    assert starts[-1] == "/help_menu"
    assert all(not b["title"].startswith("meta_") for b in menu.buttons), "every flow has a label"


def test_during_a_case_typed_messages_go_to_the_caseworker_unless_a_flow_was_started_since(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("appeal"))  # a flow left open ...
    from bot.handover.service import create_handover

    create_handover(seeded, conversation=chat.conv, reason=HandoverReason.REQUESTED, topic=None)
    seeded.flush()
    assert chat.say("hello, is anyone there?") is None  # ... does not swallow words for the caseworker
    assert chat.say("1") is None
    chat.must(start_payload("family"))  # a flow started by its button during the case
    (kind,) = chat.must("1")  # its typed answers are taken
    assert kind.key == "utter_flow_family_ask_date_kind"
