"""The flat-search checklist, the flat-search help (a housing_help case) and the interpreter request,
step by step on the real content store (seeded from translations/), without Rasa."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from admin_api.cases.summary import next_step
from bot.config import Settings
from bot.content.render import render
from bot.content.service import load_language_file
from bot.conversations.models import Conversation
from bot.guided import service as guided
from bot.guided.flat_search import FlatHelpFlow, FlatSearchFlow
from bot.guided.interpreter import InterpreterFlow
from bot.guided.models import DONE
from bot.guided.payloads import flow_payload, start_payload, valid_entities
from bot.handover.models import HandoverReason, Urgency
from bot.handover.service import urgency_for
from bot.interpreters.models import InterpreterRequest, InterpreterStatus
from bot.language.languages import REQUIRED_LANGUAGES
from tests.unit.guided_chat import Chat
from tests.unit.guided_chat import values as _values

# ---------------------------------------------------------------------------------------- flat search


def test_checklist_for_shared_accommodation_a_named_district_and_the_jobcenter(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    intro, question = chat.must(start_payload("flat_search"))
    assert intro.key == "utter_faq_housing/flat_search" and intro.topic == "housing"
    assert "§ 12a AufenthG" in intro.text  # the intro names its sources
    assert _values(question) == ["shared", "own", "other", "stop"]
    (residence,) = chat.must(flow_payload("flat_search", "accommodation", "shared"))
    assert residence.key == "utter_flow_flat_search_ask_residence"
    assert _values(residence) == ["place", "state", "none", "unknown", "stop"]
    (district,) = chat.must(flow_payload("flat_search", "residence", "place"))
    assert district.key == "utter_flow_flat_search_ask_district" and _values(district) == ["skip", "stop"]
    (payer,) = chat.must("Landkreis Gotha")
    assert payer.key == "utter_flow_flat_search_ask_payer"
    (household,) = chat.must(flow_payload("flat_search", "payer", "jobcenter"))
    assert _values(household) == ["1", "2", "3", "4", "5plus", "stop"]
    (result,) = chat.must(flow_payload("flat_search", "household", "3"))
    assert result.key == "utter_flow_flat_search_result"
    text = result.text
    for phrase in (
        "Moving out of shared accommodation",
        "you must live in: Landkreis Gotha",
        "Zusicherung, § 22 Abs. 4 SGB II",
        "angemessene Kosten der Unterkunft",
        "Deposit (Kaution)",
        "Wohnberechtigungsschein",
        "within 2 weeks (§ 17 Bundesmeldegesetz)",
        "Wohnungsgeberbestätigung",
    ):
        assert phrase in text, phrase
    assert "Sozialamt pays" not in text and "{" not in text
    assert "€" not in text and "EUR" not in text, "no invented rent limits"
    assert [b["payload"] for b in result.buttons] == [start_payload("flat_help")]
    assert result.buttons[0]["title"] == "I need help finding a flat"
    state = chat.state("flat_search")
    assert state.step == DONE
    assert state.result["blocks"] == [
        "move_out",
        "residence_place",
        "jobcenter",
        "deposit",
        "wbs",
        "registration",
    ]
    assert chat.handovers() == [], "the checklist alone opens no case"


def test_checklist_for_own_income_without_residence_rule_leaves_out_what_does_not_apply(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf, "de")
    chat.must(start_payload("flat_search"))
    chat.must(flow_payload("flat_search", "accommodation", "own"))
    (payer,) = chat.must(flow_payload("flat_search", "residence", "none"))
    assert payer.key == "utter_flow_flat_search_ask_payer", "no district question without a residence rule"
    chat.must(flow_payload("flat_search", "payer", "own"))
    (result,) = chat.must(flow_payload("flat_search", "household", "1"))
    assert chat.state("flat_search").result["blocks"] == ["wbs", "registration"]
    assert "Wohnsitzregelung" not in result.text and "Zusicherung" not in result.text
    assert "innerhalb von 2 Wochen" in result.text


def test_sozialamt_and_a_skipped_district_get_the_general_residence_block(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf, "ar")
    chat.must(start_payload("flat_search"))
    chat.must(flow_payload("flat_search", "accommodation", "shared"))
    chat.must(flow_payload("flat_search", "residence", "place"))
    chat.must(flow_payload("flat_search", "district", "skip"))
    chat.must(flow_payload("flat_search", "payer", "sozialamt"))
    (result,) = chat.must(flow_payload("flat_search", "household", "5plus"))
    assert chat.state("flat_search").result["blocks"] == [
        "move_out",
        "residence",
        "sozialamt",
        "wbs",
        "registration",
    ]
    assert "§ 12a AufenthG" in result.text and "{district}" not in result.text
    lines = FlatSearchFlow().case_lines(chat.state("flat_search").answers, {})
    assert "Miete zahlt: Sozialamt" in lines and "Haushalt: 5 oder mehr Person(en)" in lines


# ---------------------------------------------------------------------------------------- flat help


def test_help_finding_a_flat_opens_a_housing_help_case_with_the_profile(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    intro, household = chat.must(start_payload("flat_help"))
    assert intro.key == "utter_flow_flat_help_intro"
    assert household.key == "utter_flow_flat_help_ask_household"
    (area,) = chat.must(flow_payload("flat_help", "household", "4"))
    assert area.key == "utter_flow_flat_help_ask_area" and _values(area) == ["stop"]
    (move_in,) = chat.must("Erfurt or Weimar")
    assert _values(move_in) == ["asap", "stop"]
    (access,) = chat.must("from March 2027")
    assert _values(access) == ["none", "wheelchair", "other", "stop"]
    (access_other,) = chat.must(flow_payload("flat_help", "access", "other"))
    assert access_other.key == "utter_flow_flat_help_ask_access_other"
    (payer,) = chat.must("ground floor, my mother cannot climb stairs")
    assert payer.key == "utter_flow_flat_help_ask_payer"
    (done,) = chat.must(flow_payload("flat_help", "payer", "jobcenter"))
    assert done.key == "utter_flow_flat_help_done"
    (case,) = chat.handovers()
    assert case.reason == HandoverReason.HOUSING_HELP and case.topic == "housing"
    assert case.urgency == Urgency.NORMAL == urgency_for(HandoverReason.HOUSING_HELP, "housing")
    profile = case.facts["guided"]["flat_help"]["result"]["profile"]
    assert profile == {
        "household": "4",
        "area": "Erfurt or Weimar",
        "move_in": "from March 2027",
        "accessibility": "ground floor, my mother cannot climb stairs",
        "payer": "jobcenter",
    }
    summary = guided.case_lines(seeded, chat.conv.id)
    assert summary and summary[0].startswith("Hilfe bei der Wohnungssuche (abgeschlossen): ")
    for part in (
        "Haushalt: 4 Person(en)",
        "Gewünschte Orte/Landkreise: Erfurt or Weimar",
        "Einzug: from March 2027",
        "Barrierefreiheit: ground floor",
        "Miete zahlt: Jobcenter",
    ):
        assert part in summary[0], part
    assert "Wohnungssuche" in next_step(reason=HandoverReason.HOUSING_HELP, topic="housing")


def test_as_soon_as_possible_and_wheelchair_are_stored_as_values(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "uk")
    chat.must(flow_payload("flat_help", "start", "start"))
    chat.must(flow_payload("flat_help", "household", "1"))
    chat.must("Gera")
    (access,) = chat.must(flow_payload("flat_help", "move_in", "asap"))
    assert access.key == "utter_flow_flat_help_ask_access"
    (payer,) = chat.must(flow_payload("flat_help", "access", "wheelchair"))
    assert payer.key == "utter_flow_flat_help_ask_payer", "no free-text question for wheelchair"
    chat.must(flow_payload("flat_help", "payer", "unknown"))
    (case,) = chat.handovers()
    profile = case.facts["guided"]["flat_help"]["result"]["profile"]
    assert profile["move_in"] == "asap" and profile["accessibility"] == "wheelchair"
    lines = FlatHelpFlow().case_lines(chat.state("flat_help").answers, {})
    assert "Einzug: so bald wie möglich" in lines and "Barrierefreiheit: rollstuhlgerecht" in lines


# ---------------------------------------------------------------------------------------- interpreter


def test_interpreter_request_with_an_arabic_dialect_is_stored_and_confirmed(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf, "ar")
    intro, language = chat.must(start_payload("interpreter"))
    assert intro.key == "utter_faq_procedure/interpreter_request"
    assert _values(language) == [
        "en",
        "ar",
        "fa",
        "uk",
        "ru",
        "tr",
        "fr",
        "ps",
        "ti",
        "so",
        "ku",
        "other",
        "stop",
    ]
    assert language.buttons[1]["title"] == "العربية"
    (dialect,) = chat.must(flow_payload("interpreter", "language", "ar"))
    assert dialect.key == "utter_flow_interpreter_ask_dialect"
    assert _values(dialect) == ["levantine", "iraqi", "egyptian", "gulf", "maghrebi", "other", "stop"]
    (appointment,) = chat.must(flow_payload("interpreter", "dialect_ar", "levantine"))
    assert _values(appointment) == ["authority", "jobcenter", "doctor", "school", "court", "other", "stop"]
    (wishes,) = chat.must(flow_payload("interpreter", "appointment", "doctor"))
    assert wishes.key == "utter_flow_interpreter_ask_wishes"
    (mode,) = chat.must("الثلاثاء 15 ديسمبر الساعة 10")
    assert _values(mode) == ["in_person", "phone", "video", "stop"]
    (done,) = chat.must(flow_payload("interpreter", "mode", "in_person"))
    assert done.key == "utter_flow_interpreter_done"
    (row,) = seeded.scalars(
        select(InterpreterRequest).where(InterpreterRequest.conversation_id == chat.conv.id)
    )
    assert (row.language, row.dialect, row.appointment_type, row.mode) == (
        "ar",
        "levantine",
        "doctor",
        "in_person",
    )
    assert row.wishes == "الثلاثاء 15 ديسمبر الساعة 10" and row.status == InterpreterStatus.OPEN
    assert chat.handovers() == [], "an interpreter request is its own queue, not a case"
    lines = InterpreterFlow().case_lines(chat.state("interpreter").answers, {})
    assert lines[:2] == ["Dolmetscher/in für: Arabisch (levantinisch)", "Termin: Arzt/Krankenhaus"]


@pytest.mark.parametrize(
    ("language", "steps", "expected"),
    [
        ("fa", [("dialect_fa", "dari")], ("fa", "dari")),
        ("ku", [("dialect_ku", "sorani")], ("ku", "sorani")),
        ("tr", [], ("tr", "")),
    ],
)
def test_dialects_only_where_they_matter(
    seeded: Session, conf: Settings, language: str, steps: list[tuple[str, str]], expected: tuple[str, str]
) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("interpreter"))
    (question,) = chat.must(flow_payload("interpreter", "language", language))
    first = steps[0][0] if steps else "appointment"
    assert chat.state("interpreter").step == first, question.key
    for step, value in steps:
        chat.must(flow_payload("interpreter", step, value))
    chat.must(flow_payload("interpreter", "appointment", "authority"))
    chat.must("next week, mornings")
    chat.must(flow_payload("interpreter", "mode", "phone"))
    row = seeded.scalars(
        select(InterpreterRequest).where(InterpreterRequest.conversation_id == chat.conv.id)
    ).one()
    assert (row.language, row.dialect) == expected


def test_another_language_is_kept_as_typed(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "fr")
    chat.must(start_payload("interpreter"))
    (other,) = chat.must(flow_payload("interpreter", "language", "other"))
    assert other.key == "utter_flow_interpreter_ask_language_other"
    (appointment,) = chat.must("Amharique")
    assert appointment.key == "utter_flow_interpreter_ask_appointment"
    chat.must(flow_payload("interpreter", "appointment", "school"))
    chat.must("lundi")
    chat.must(flow_payload("interpreter", "mode", "video"))
    row = seeded.scalars(
        select(InterpreterRequest).where(InterpreterRequest.conversation_id == chat.conv.id)
    ).one()
    assert (row.language, row.dialect, row.mode) == ("Amharique", "", "video")


def test_stopping_the_interpreter_questions_stores_no_request(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("interpreter"))
    chat.must(flow_payload("interpreter", "language", "ru"))
    (stopped,) = chat.must("stop")
    assert stopped.key == "utter_flow_stopped"
    count = select(func.count()).select_from(InterpreterRequest)
    assert seeded.scalar(count.where(InterpreterRequest.conversation_id == chat.conv.id)) == 0


def test_erasure_removes_interpreter_requests(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("interpreter"))
    chat.must(flow_payload("interpreter", "language", "uk"))
    chat.must(flow_payload("interpreter", "appointment", "jobcenter"))
    chat.must("Friday")
    chat.must(flow_payload("interpreter", "mode", "phone"))
    count = select(func.count()).select_from(InterpreterRequest)
    assert seeded.scalar(count.where(InterpreterRequest.conversation_id == chat.conv.id)) == 1
    seeded.execute(delete(Conversation).where(Conversation.id == chat.conv.id))
    seeded.expire_all()
    assert seeded.scalar(count.where(InterpreterRequest.conversation_id == chat.conv.id)) == 0


# ---------------------------------------------------------------------------------------- payloads, texts


def test_the_new_flows_payloads_are_allowed() -> None:
    for flow in ("flat_search", "flat_help", "interpreter"):
        assert valid_entities({"f": flow, "s": "start", "v": "start"})
    assert valid_entities({"f": "interpreter", "s": "language_other", "v": "other"})
    assert valid_entities({"f": "flat_search", "s": "household", "v": "5plus"})


def _keys(flow: FlatSearchFlow | FlatHelpFlow | InterpreterFlow) -> set[str]:
    keys = {flow.starter}
    for step in flow.steps.values():
        keys |= {step.question, *(label for _, label in step.choices)}
    return keys


EXTRA_KEYS = {
    "utter_flow_flat_search_result",
    "meta_flow_flat_search_need_help",
    "utter_flow_flat_help_done",
    "utter_flow_interpreter_done",
    "utter_flow_interpreter_arranged",
    "utter_flow_interpreter_declined",
    *(
        f"meta_flow_flat_search_block_{b}"
        for b in (
            "move_out",
            "residence",
            "residence_place",
            "jobcenter",
            "deposit",
            "sozialamt",
            "wbs",
            "registration",
        )
    ),
}


@pytest.mark.parametrize("language", REQUIRED_LANGUAGES)
def test_every_text_of_the_new_flows_exists_in_the_required_languages(language: str) -> None:
    texts = load_language_file(language)
    keys = _keys(FlatSearchFlow()) | _keys(FlatHelpFlow()) | _keys(InterpreterFlow()) | EXTRA_KEYS
    missing = sorted(k for k in keys if not texts.get(k, "").strip())
    assert not missing, missing
    assert "{blocks}" in texts["utter_flow_flat_search_result"]
    assert "{district}" in texts["meta_flow_flat_search_block_residence_place"]
    assert "§ 12a AufenthG" in texts["meta_flow_flat_search_block_residence"]
    assert "2" in texts["meta_flow_flat_search_block_registration"]
    assert "§ 22 Abs. 4 SGB II" in texts["meta_flow_flat_search_block_jobcenter"]


@pytest.mark.parametrize("language", ["de", "fa", "ps"])
def test_housing_answers_offer_the_flat_search_checklist(seeded: Session, language: str) -> None:
    reply = render(seeded, key="utter_faq_housing/finding_flat", language=language)
    assert [b["payload"] for b in reply.buttons] == [start_payload("flat_search")]
    expected = {"de": "Meine Checkliste Wohnungssuche", "fa": "فهرست کارهای خانه‌یابی من"}
    assert reply.buttons[0]["title"] == expected.get(language, "My flat-search checklist")
