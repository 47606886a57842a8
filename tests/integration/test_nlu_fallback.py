"""The NLU fallback through English, end to end.

A bot whose NLU has no Arabic example (a model trained on the English data only) gets Arabic
questions. Without a translation model it cannot understand them; once an Arabic→English model is
installed with ``lotse translate install --file``, the same questions are translated, parsed in
English and answered with the curated Arabic answers, while the stored message keeps the Arabic
original. The translation model is a tiny word-for-word Argos package built by the test (see
``tests/translation/tiny_argos.py``): it exercises the real Argos code path, not real model quality.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Direction, Message
from bot.db import make_engine
from bot.evaluation import Case, run_cases, summarize, without_fallback
from bot.stack import Stack, lotse_executable
from tests.integration.conftest import Person
from tests.integration.english_model import english_only_model
from tests.translation.tiny_argos import build_package

# Each Arabic question, word by word, becomes an English question close to the English training data.
GLOSSARY = {
    "هل يمكن": "can",
    "لزوجتي": "my wife",
    "وأطفالي": "and kids",
    "القدوم": "join me",
    "حصلت على": "i got",
    "الحماية": "protection",
    "هنا": "here",
    "كم من الوقت": "how long",
    "لدي": "do i have",
    "للطعن": "to appeal",
    "على": "the",
    "قرار": "decision",
    "البامف": "of bamf",
    "هل يمكنني": "can i",
    "الانتقال": "move",
    "إلى": "to",
    "برلين": "berlin",
    "بعد": "after",
    "الاعتراف": "recognition",
    "ابني": "my son",
    "عمره": "is",
    "سنوات": "years",
    "كيف": "how",
    "أسجله": "do i register him",
    "في": "at",
    "المدرسة": "school",
}
QUESTIONS = [
    Case("هل يمكن لزوجتي وأطفالي القدوم حصلت على الحماية هنا", "ar", "family_reunification"),
    Case("كم من الوقت لدي للطعن على قرار البامف", "ar", "asylum_appeal"),
    Case("هل يمكنني الانتقال إلى برلين بعد الاعتراف", "ar", "housing"),
    Case("ابني عمره 8 سنوات كيف أسجله في المدرسة", "ar", "education"),
]


@pytest.fixture(scope="module")
def english_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa with the English-only model; Arabic is declared a language without NLU coverage."""
    model = english_only_model()
    env = {"LOTSE_RASA_MODEL": str(model), "LOTSE_NLU_WEAK_LANGUAGES": "ar"}
    with Stack.create(extra_env=env) as running:
        yield running


@pytest.fixture(scope="module")
def arabic_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ar-en")
    return build_package(out, "ar", "en", glossary=GLOSSARY, sentences=[c.text for c in QUESTIONS])


@pytest.fixture(scope="module")
def db(english_stack: Stack) -> Iterator[Engine]:
    engine = make_engine(english_stack.env["LOTSE_DATABASE_URL"])
    yield engine
    engine.dispose()


def install(stack: Stack, package: Path) -> None:
    result = subprocess.run(
        [lotse_executable(), "translate", "install", "--file", str(package)],
        env=stack.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def answer_topic(stack: Stack, text: str) -> tuple[Person, dict[str, object]]:
    person = Person(stack, language_hint="ar")
    body = person.say(text)
    replies = body["replies"]
    answering = next((r for r in replies if r.get("topic") not in (None, "other")), replies[0])
    return person, answering


def test_arabic_question_is_answered_through_english(
    english_stack: Stack, arabic_package: Path, db: Engine
) -> None:
    question = QUESTIONS[0]
    person, before = answer_topic(english_stack, question.text)
    person.http.close()
    assert before.get("topic") != "family_reunification", before  # the bot alone cannot understand it

    install(english_stack, arabic_package)
    person, reply = answer_topic(english_stack, question.text)
    person.http.close()
    assert reply["topic"] == "family_reunification", reply
    assert reply["key"] == "utter_faq_family/who_can_come", reply
    assert reply["language"] == "ar"
    assert any("\u0600" <= ch <= "\u06ff" for ch in str(reply["text"])), reply["text"]  # Arabic answer

    with Session(db) as session:
        conv = session.scalars(
            select(Conversation).where(Conversation.pseudonym == person.conversation)
        ).one()
        stored = session.scalars(
            select(Message).where(Message.conversation_id == conv.id, Message.direction == Direction.IN)
        ).one()
    assert stored.text == question.text  # the person's words are what is kept
    assert stored.language == "ar"
    pivot = (stored.payload or {})["pivot"]
    assert pivot["used"] is True
    assert pivot["text"].startswith("can my wife and kids join me")
    assert pivot["engine"] == "argos"
    assert pivot["pivot_confidence"] > pivot["original_confidence"]
    assert str(stored.intent).startswith("faq_family")


def test_eval_reports_with_and_without_fallback(english_stack: Stack, arabic_package: Path) -> None:
    install(english_stack, arabic_package)  # idempotent: the test may run alone
    with_fallback = summarize(asyncio.run(run_cases(english_stack.app_url, QUESTIONS)))
    without = summarize(without_fallback(english_stack, QUESTIONS))
    off, on = without["overall"]["accuracy"], with_fallback["overall"]["accuracy"]
    print(f"\naccuracy without fallback {off:.0%}, with {on:.0%}")
    assert with_fallback["overall"]["n"] == without["overall"]["n"] == len(QUESTIONS)
    assert with_fallback["overall"]["accuracy"] == 1.0, with_fallback
    assert without["overall"]["accuracy"] <= 0.25, without
