"""Question logging: redacted before storage, no link to a person, counted by language and topic."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.models import QuestionLog
from bot.analytics.service import normalize_question, record_question, top_items, top_questions


def test_personal_data_never_reaches_the_log(session: Session) -> None:
    record_question(
        session,
        text="Mein Name ist Ahmad Karimi, Tel 0176 1234567, Az. 7654321-163, wann kommt meine Frau?",
        language="de",
        intent="faq_family/waiting_time",
        confidence=0.9,
        topic="family_reunification",
        content_key="utter_faq_family/waiting_time",
    )
    row = session.scalars(select(QuestionLog)).one()
    for secret in ("Ahmad", "Karimi", "1234567", "7654321"):
        assert secret not in row.text_redacted
        assert secret not in row.normalized
    assert not hasattr(row, "conversation_id")


def test_names_handles_links_and_spelled_mails_never_reach_the_log(session: Session) -> None:
    text = (
        "I am Ahmad Karimi from Kabul, @ahmad_k99, https://t.me/ahmad_k99, "
        "ahmad at gmail dot com, call 0176-1234-5678"
    )
    record_question(
        session, text=text, language="en", intent=None, confidence=None, topic="other", content_key=None
    )
    row = session.scalars(select(QuestionLog)).one()
    for secret in ("ahmad", "karimi", "gmail", "1234", "5678"):
        assert secret not in row.text_redacted.casefold()
        assert secret not in row.normalized
    assert "Kabul" in row.text_redacted  # the place stays: it does not identify anyone on its own


def test_top_lists_count_by_language_and_topic(session: Session) -> None:
    def log(text: str, lang: str, topic: str, intent: str | None, key: str | None) -> None:
        record_question(
            session, text=text, language=lang, intent=intent, confidence=0.5, topic=topic, content_key=key
        )

    for _ in range(3):
        log(
            "Wie lange dauert der Familiennachzug?",
            "de",
            "family_reunification",
            "faq_family/waiting_time",
            "utter_faq_family/waiting_time",
        )
    log(
        "wie lange dauert der familiennachzug",
        "de",
        "family_reunification",
        "faq_family/waiting_time",
        "utter_faq_family/waiting_time",
    )
    for _ in range(2):
        log("كيف اعمل رخصة سواقة", "ar", "other", "out_of_scope", "utter_out_of_scope")
    log("asdfgh", "de", "other", "nlu_fallback", "utter_default")

    top = top_questions(session)
    assert top[0].count == 4 and top[0].language == "de"
    unanswered = top_questions(session, unanswered=True)
    assert [(q.language, q.count) for q in unanswered] == [("ar", 2), ("de", 1)]
    assert top_questions(session, language="ar")[0].count == 2
    items = top_items(session)
    assert items[0].content_key == "utter_faq_family/waiting_time" and items[0].count == 4


def test_normalization_folds_case_accents_and_punctuation() -> None:
    assert normalize_question("Éinbürgerung?? Wie!") == normalize_question("einburgerung wie")
