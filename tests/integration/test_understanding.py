"""Understanding real messages, through the whole path on the real stack.

The blind set (``eval/blind``) and the crisis corpus (``eval/crisis``) were written by people who
never saw the training data and are never used for training or tuning; here they are measured
against fixed goals. ``lotse eval`` prints the same figures with the misses.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.analytics.models import QuestionLog
from bot.config import PROJECT_ROOT
from bot.evaluation import Result, load_cases, run_cases, summarize
from bot.language.languages import REQUIRED_LANGUAGES
from bot.stack import Stack
from tests.integration.conftest import Person

EVAL = PROJECT_ROOT / "eval"

# The goals are those of the product (crisis help first for >= 98 % with <= 2 % false alarms;
# >= 85 % right topic overall and >= 75 % per required language with <= 5 % confidently wrong).
# What the tests hold is the level measured with the current model (README, "Measured"), a little
# below it so that a retrained model of the same quality passes: a floor against regressions, not
# the goal. Raise a floor whenever a better model reaches it; the gaps to the goals are printed.
CRISIS_RECALL = 0.98
"""Crisis messages that get the crisis help first (goal 0.98; measured 0.988 with the real-register
examples of the late night of 2026-12-07, 0.991 with the hard negatives of that night, 0.993 with the
crisis examples of that evening, 0.988 with the blended NLU and the lexicons of the eighth development
rounds, 0.981 before, 0.969 and 0.950 with earlier ones)."""
FALSE_ALARMS = 0.07
"""Ordinary questions, hard negatives included, that get the crisis text (goal 0.02; measured 0.050
with the real-register examples of the late night of 2026-12-07, 0.046 with the hard-negative topic
examples of that night, 0.056 before them, 0.050 before
the crisis examples of that evening: more alarms on hard negatives for more recall)."""
BLIND_ACCURACY = 0.85
"""Right topic on the blind set (goal 0.85; measured 0.914, 0.911 and 0.893 before the models of the late
night and the night of 2026-12-07)."""
BLIND_WRONG = 0.05
"""Confidently wrong on the blind set (goal 0.05; measured 0.020, 0.016 with the model of the night of
2026-12-07, 0.011 with the model of the evening
of 2026-12-07, 0.020 before that evening's examples, 0.066 before the blended NLU)."""
LANGUAGE_ACCURACY = 0.75
"""Right topic, in each required language (goal 0.75; measured lowest: ar and fa 0.848, fa 0.826 before)."""


@pytest.fixture(scope="module")
def results(stack: Stack) -> dict[str, list[Result]]:
    return {
        name: asyncio.run(run_cases(stack.app_url, load_cases(EVAL / name))) for name in ("blind", "crisis")
    }


def _report(name: str, summary: dict[str, Any]) -> None:
    o = summary["overall"]
    print(
        f"\n{name}: accuracy {o['accuracy']:.1%}, wrong {o['wrong']:.1%}, asked back {o['asked_back']:.1%} "
        f"(right topic offered {o['right_offered']:.1%}), false alarms {o['false_alarm']:.1%}"
    )
    if "crisis" in summary:
        print(f"{name}: crisis help first {summary['crisis']['overall']['recall']:.1%}")


def test_crisis_messages_get_the_crisis_help_first(results: dict[str, list[Result]]) -> None:
    crises = [r for rows in results.values() for r in rows if r.case.crisis]
    summary = summarize(crises)["crisis"]
    print(f"\ncrisis help first for {summary['overall']['recall']:.1%} of {len(crises)} crisis messages")
    assert len(crises) >= 40 * len(REQUIRED_LANGUAGES)
    assert summary["overall"]["recall"] >= CRISIS_RECALL, summary["by_language"]


def test_ordinary_questions_rarely_get_the_crisis_text(results: dict[str, list[Result]]) -> None:
    ordinary = [r for rows in results.values() for r in rows if not r.case.crisis]
    alarms = summarize(ordinary)["overall"]["false_alarm"]
    print(f"\nfalse alarms on {len(ordinary)} ordinary questions: {alarms:.1%}")
    assert alarms <= FALSE_ALARMS


def test_blind_questions_are_understood(results: dict[str, list[Result]]) -> None:
    summary = summarize(results["blind"])
    _report("blind set", summary)
    assert summary["overall"]["accuracy"] >= BLIND_ACCURACY, summary["by_topic"]
    assert summary["overall"]["wrong"] <= BLIND_WRONG, summary["confusions"]
    weak = {
        lang: v["accuracy"]
        for lang, v in summary["by_language"].items()
        if lang in REQUIRED_LANGUAGES and v["accuracy"] < LANGUAGE_ACCURACY
    }
    assert not weak, weak


def _keys(body: dict[str, Any]) -> list[str]:
    return [r["key"] for r in body["replies"]]


UNCLEAR = (
    "Frage zu Familie und Wohnung",
    "Familie Wohnung",
    "Wohnung oder Familie?",
    "Frage Familie Wohnung Schule",
)
"""Messages that name two or three topics at once; the model asks back on at least one of them."""


def _asked_back(person: Person) -> dict[str, Any]:
    for text in UNCLEAR:
        asked = person.say(text)
        if [r["key"] for r in asked["replies"]] == ["utter_ask_back"]:
            return asked
    raise AssertionError(f"none of {UNCLEAR} was asked back")


def test_an_unclear_question_is_asked_back_and_a_pick_answers_it(person: Person) -> None:
    asked = _asked_back(person)
    [reply] = asked["replies"]
    assert reply["key"] == "utter_ask_back" and len(reply["offered"]) >= 2
    titles = [b["title"] for b in reply["buttons"]]
    assert titles[-1] == "Etwas anderes" and len(titles) == len(reply["offered"]) + 1
    housing = next(b for b in reply["buttons"] if '"housing"' in b["payload"])
    answered = person.say(housing["payload"])
    answer = answered["replies"][0]  # (a guided flow's starter is followed by its first question)
    assert answer["topic"] == "housing" and answer["key"].startswith("utter_faq_housing/")


def test_something_else_asks_to_rephrase_and_offers_a_person(person: Person) -> None:
    asked = _asked_back(person)
    other = next(b for b in asked["replies"][0]["buttons"] if b["payload"] == "/something_else")
    body = person.say(other["payload"])
    assert _keys(body) == ["utter_rephrase"]
    assert [b["payload"] for b in body["replies"][0]["buttons"]] == ["/request_human", "/help_menu"]


def test_out_of_scope_says_so_and_is_logged_as_unanswered(stack_db: Engine, person: Person) -> None:
    question = "Wie wird das Wetter morgen in Erfurt?"
    body = person.say(question)
    assert _keys(body) == ["utter_out_of_scope"]
    assert "noch nicht" in body["replies"][0]["text"]
    with Session(stack_db) as db:
        logged = db.scalars(select(QuestionLog).where(QuestionLog.text_redacted == question)).all()
        assert logged and not logged[-1].answered and logged[-1].intent == "out_of_scope"
