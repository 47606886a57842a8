"""The education profile: consent, questions (skippable, typed), show/change/delete, erasure, report."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.cli import main
from bot.config import Settings
from bot.content.render import Reply
from bot.conversations.models import Conversation
from bot.db import session_scope
from bot.guided import service as guided
from bot.guided.education import ORDER, EducationFlow, next_steps
from bot.guided.models import DONE, STOPPED
from bot.guided.payloads import flow_payload, parse_payload, profile_payload, start_payload
from bot.profiles.models import EducationProfile
from bot.profiles.service import MIN_CELL, education_report, save_profile
from tests.conftest import migrate
from tests.unit.guided_chat import Chat
from tests.unit.guided_chat import values as _values


def _profile(session: Session, chat: Chat) -> EducationProfile | None:
    return session.scalar(select(EducationProfile).where(EducationProfile.conversation_id == chat.conv.id))


def _answer(chat: Chat, step: str, value: str) -> list[Reply]:
    return chat.must(flow_payload("education", step, value))


def test_the_intro_says_what_is_stored_and_asks_for_consent(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    intro, consent = chat.must(start_payload("education"))
    assert intro.key == "utter_faq_education/profile" and intro.topic == "education"
    for words in ("No name", "caseworkers", "anonymous", "voluntary", "show my profile", "delete my profile"):
        assert words in intro.text, words
    assert "DSGVO" in intro.text  # the intro names its sources
    assert consent.key == "utter_flow_education_ask_consent"
    assert _values(consent) == ["yes", "no", "stop"]  # consent cannot be skipped


def test_no_consent_stores_nothing_and_still_gives_the_next_steps(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("education"))
    replies = _answer(chat, "consent", "no")
    assert [r.key for r in replies] == [
        "utter_flow_education_not_saved",
        "utter_flow_education_next_recognition",
        "utter_flow_education_next_language",
        "utter_flow_education_next_training",
    ]
    assert "anerkennung-in-deutschland.de" in replies[1].text
    assert _profile(seeded, chat) is None
    state = chat.state("education")
    assert state.step == DONE and state.answers == {"consent": "no"}


def test_consent_yes_with_buttons_typed_answers_and_skips_stores_the_profile(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf, "de")
    chat.must(start_payload("education"))
    (q,) = _answer(chat, "consent", "yes")
    assert q.key == "utter_flow_education_ask_school_years"
    assert _values(q) == ["0", "1_6", "7_9", "10_12", "13_plus", "skip", "stop"]
    (q,) = chat.must("10–12")  # typed: the label
    assert q.key == "utter_flow_education_ask_certificate"
    (q,) = _answer(chat, "certificate", "secondary")
    assert q.key == "utter_flow_education_ask_certificate_country" and _values(q) == ["skip", "stop"]
    (q,) = chat.must("Syrien")  # free text, kept as typed
    assert q.key == "utter_flow_education_ask_field"
    (q,) = chat.must("Gesundheit / Pflege")
    assert q.key == "utter_flow_education_ask_level"
    (q,) = _answer(chat, "level", "bachelor")
    (q,) = _answer(chat, "finished", "yes")
    assert q.key == "utter_flow_education_ask_documents"
    (q,) = _answer(chat, "documents", "some")
    (q,) = _answer(chat, "occupation", "skip")  # skipped: the years are not asked
    assert q.key == "utter_flow_education_ask_german"
    (q,) = _answer(chat, "german", "b1")
    assert q.key == "utter_flow_education_ask_german_certificate"
    (q,) = _answer(chat, "german_certificate", "no")
    (q,) = chat.must("Arabisch, Englisch")
    assert q.key == "utter_flow_education_ask_goal"
    replies = _answer(chat, "goal", "work")
    assert [r.key for r in replies] == [
        "utter_flow_education_saved",
        "utter_flow_education_next_recognition",
        "utter_flow_education_next_zab",
        "utter_flow_education_next_school",
        "utter_flow_education_next_language",
        "utter_flow_education_next_training",
    ]
    assert [parse_payload(b["payload"]) for b in replies[0].buttons] == [
        parse_payload(profile_payload("show")),
        parse_payload(profile_payload("delete")),
    ]
    assert "Zuständigkeitsfinder" in replies[3].text and "Quellen" in replies[3].text
    profile = _profile(seeded, chat)
    assert profile is not None and profile.consent_at is not None
    assert (profile.school_years, profile.certificate, profile.certificate_country) == (
        "10_12",
        "secondary",
        "Syrien",
    )
    assert (profile.field, profile.level, profile.finished, profile.documents) == (
        "health",
        "bachelor",
        "yes",
        "some",
    )
    assert (profile.occupation, profile.work_years) == (None, None)
    assert (profile.german, profile.german_certificate) == ("b1", "no")
    assert (profile.other_languages, profile.goal) == ("Arabisch, Englisch", "work")
    lines = guided.case_lines(seeded, chat.conv.id)
    assert lines and lines[0].startswith("Bildungsprofil (abgeschlossen)")
    assert "Ausbildung/Studium: Fachrichtung: Gesundheit/Pflege" in lines[0]


def test_every_question_can_be_skipped_and_no_training_skips_its_details(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("education"))
    _answer(chat, "consent", "yes")
    asked = []
    while True:
        state = chat.state("education")
        if state.step == DONE:
            break
        asked.append(state.step)
        value = "none" if state.step == "field" else "skip"
        _answer(chat, state.step, value)
    assert "level" not in asked and "work_years" not in asked and "german_certificate" not in asked
    assert asked == [
        n
        for n in ORDER
        if n not in ("consent", "level", "finished", "documents", "work_years", "german_certificate")
    ]
    profile = _profile(seeded, chat)
    assert profile is not None and profile.field == "none" and profile.school_years is None


def test_stop_ends_the_questions_without_storing(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "fr")
    chat.must(start_payload("education"))
    _answer(chat, "consent", "yes")
    _answer(chat, "school_years", "7_9")
    (stopped,) = chat.must("stop")
    assert stopped.key == "utter_flow_stopped"
    assert _profile(seeded, chat) is None
    assert chat.state("education").step == STOPPED and chat.state("education").answers == {}


def _complete(chat: Chat, **answers: str) -> None:
    chat.must(start_payload("education"))
    _answer(chat, "consent", "yes")
    while chat.state("education").step != DONE:
        step = chat.state("education").step
        _answer(chat, step, answers.get(step, "skip"))


def test_show_change_and_delete_by_buttons(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "ar")
    _complete(chat, school_years="13_plus", german="a2", goal="university")
    (shown,) = chat.must(profile_payload("show"))
    assert shown.key == "utter_flow_education_profile_show"
    assert "13+" in shown.text and "A2" in shown.text and "الجامعة" in shown.text  # labels in Arabic
    assert "سنوات الدراسة" in shown.text  # the field names in Arabic
    assert [parse_payload(b["payload"]) for b in shown.buttons] == [
        parse_payload(start_payload("education")),
        parse_payload(profile_payload("delete")),
    ]
    # change: the questions start again (the profile stays until they are answered)
    intro, consent = chat.must(shown.buttons[0]["payload"])
    assert intro.key == "utter_faq_education/profile"
    assert consent.key == "utter_flow_education_ask_consent" and _profile(seeded, chat) is not None
    _answer(chat, "consent", "yes")
    while chat.state("education").step != DONE:
        step = chat.state("education").step
        _answer(chat, step, "b2" if step == "german" else "skip")
    profile = _profile(seeded, chat)
    assert profile is not None and profile.german == "b2" and profile.school_years is None
    (gone,) = chat.must(profile_payload("delete"))
    assert gone.key == "utter_flow_education_profile_deleted"
    assert _profile(seeded, chat) is None
    assert chat.state("education").answers == {}  # the flow's kept answers go too
    assert guided.case_lines(seeded, chat.conv.id) == []
    (none,) = chat.must(profile_payload("show"))
    assert none.key == "utter_flow_education_profile_none"


def test_show_and_delete_by_words_in_the_persons_language(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "de")
    assert chat.say("mein Profil zeigen") is None  # no profile: the words go to Rasa as usual
    _complete(chat, goal="training")
    (shown,) = chat.must("Mein Profil zeigen!")
    assert shown.key == "utter_flow_education_profile_show" and "Berufsausbildung" in shown.text
    (gone,) = chat.must("mein Profil löschen")
    assert gone.key == "utter_flow_education_profile_deleted" and _profile(seeded, chat) is None
    assert chat.say("delete my profile") is None


def test_withdrawal_words_exist_in_every_required_language(seeded: Session, conf: Settings) -> None:
    for language, words in {
        "en": "delete my profile",
        "ar": "احذف ملفي",
        "fa": "پروفایلم را پاک کن",
        "uk": "видалити мій профіль",
        "ru": "удалить мой профиль",
        "tr": "profilimi sil",
        "fr": "supprimer mon profil",
    }.items():
        chat = Chat(seeded, conf, language)
        _complete(chat)
        (gone,) = chat.must(words)
        assert gone.key == "utter_flow_education_profile_deleted", language
        assert _profile(seeded, chat) is None


def test_erasure_removes_the_profile(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    _complete(chat, goal="work")
    conv_id = chat.conv.id
    assert _profile(seeded, chat) is not None
    seeded.execute(delete(Conversation).where(Conversation.id == conv_id))
    seeded.expire_all()
    count = seeded.scalar(
        select(func.count()).select_from(EducationProfile).where(EducationProfile.conversation_id == conv_id)
    )
    assert count == 0


def test_next_steps_follow_the_answers() -> None:
    assert next_steps({"consent": "yes"}) == ["language", "training"]
    assert next_steps({"field": "it", "level": "master", "goal": "university", "german": "c1"}) == [
        "recognition",
        "zab",
        "training",
    ]
    assert next_steps(
        {"field": "none", "certificate": "primary", "german": "c2", "goal": "language_course"}
    ) == ["school"]
    assert next_steps({"german": "c2", "goal": "language_course"}) == ["recognition", "language", "training"]
    flow = EducationFlow()
    assert flow.next_step({"consent": "no"}) is None
    assert flow.next_step({"consent": "yes", "school_years": "", "certificate": ""}) == "certificate_country"


def test_a_best_effort_language_runs_the_questions_in_english(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "so")
    replies = chat.must(start_payload("education"))
    assert replies[0].key == "meta_guided_english_note"
    assert replies[-1].key == "utter_flow_education_ask_consent" and "store your answers" in replies[-1].text


# ---------------------------------------------------------------------------------------- report


def _conv(session: Session) -> int:
    conv = Conversation(pseudonym=uuid.uuid4().hex, channel="web", language="en")
    session.add(conv)
    session.flush()
    return conv.id


def test_report_counts_and_suppresses_small_cells(session: Session) -> None:
    people = [
        *[{"german": "a2", "goal": "work"}] * 3,
        *[{"german": "b1", "goal": "work", "field": "it"}] * 3,
        {"german": "c1", "goal": "work", "field": "it"},
        {"german": "a2", "goal": "training", "other_languages": "Tigrinya"},
    ]
    for answers in people:
        save_profile(session, conversation_id=_conv(session), answers=answers)
    report = education_report(session)
    assert report.total == 8
    # one person with C1: hidden, and the next smallest cell too (8 - 4 - 3 would give the 1 away)
    assert report.counts["german"] == {"a2": 4, "b1": None, "c1": None}
    assert report.counts["goal"] == {"training": None, "work": None}
    assert report.counts["field"] == {"it": 4, "not_answered": 4}
    assert report.counts["school_years"] == {"not_answered": 8}
    assert "Tigrinya" not in repr(report)  # never free text
    assert MIN_CELL == 3


def test_a_report_of_fewer_than_three_people_shows_no_total(session: Session) -> None:
    save_profile(session, conversation_id=_conv(session), answers={"german": "a2"})
    report = education_report(session)
    assert report.total is None and report.counts["german"] == {"a2": None}


def test_cli_report_prints_counts_and_hides_small_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(url)
    with session_scope(url) as session:
        for n in range(4):
            answers = {"german": "a1" if n < 3 else "c1", "other_languages": "Pashto", "goal": "work"}
            save_profile(session, conversation_id=_conv(session), answers=answers)
    monkeypatch.setenv("LOTSE_DATABASE_URL", url)
    assert main(["profiles", "report", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 4 and data["counts"]["goal"] == {"work": 4}
    assert data["counts"]["german"] == {"a1": None, "c1": None}
    assert main(["profiles", "report"]) == 0
    text = capsys.readouterr().out
    assert "People with an education profile: 4" in text and "<3  c1" in text and "Pashto" not in text
