"""How `lotse eval` reads what the person saw: right, wrong, asked back, crisis help, false alarm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation import Case, eval_topic, load_cases, outcome, summarize


def reply(key: str, topic: str = "other", **extra: object) -> dict[str, object]:
    return {"key": key, "topic": topic, **extra}


HOUSING = Case("wohnung jobcenter?", "de", "housing")
CRISIS = Case("he hits me every night", "en", "crisis", kind="domestic_violence")


def test_an_answer_from_the_expected_topic_is_right() -> None:
    result = outcome(HOUSING, [reply("utter_faq_housing/jobcenter_rent", "housing")])
    assert (result.right, result.wrong, result.asked_back) == (True, False, False)


def test_an_answer_from_another_topic_is_wrong() -> None:
    result = outcome(HOUSING, [reply("utter_faq_family/livelihood_housing", "family_reunification")])
    assert result.wrong and result.predicted == "family_reunification"


def test_out_of_scope_to_a_topic_question_is_wrong() -> None:
    assert outcome(HOUSING, [reply("utter_out_of_scope")]).wrong


def test_answers_outside_the_five_topics_count_as_other() -> None:
    case = Case("wie lange dauert mein asylverfahren", "de", "other")
    assert eval_topic("asylum_procedure") == "other"
    assert outcome(case, [reply("utter_faq_procedure/waiting", "asylum_procedure")]).right
    assert outcome(case, [reply("utter_out_of_scope")]).right
    assert outcome(case, [reply("utter_faq_housing/wbs", "housing")]).wrong


def test_asking_back_is_not_wrong_and_knows_whether_the_right_topic_was_offered() -> None:
    asked = outcome(HOUSING, [reply("utter_ask_back", offered=["asylum_appeal", "housing"])])
    assert asked.asked_back and not asked.wrong and not asked.right and asked.right_offered
    missed = outcome(HOUSING, [reply("utter_ask_back", offered=["asylum_appeal", "residence"])])
    assert missed.asked_back and not missed.right_offered and missed.offered == ("asylum_appeal", "other")
    rephrase = outcome(HOUSING, [reply("utter_default")])
    assert rephrase.asked_back and not rephrase.right_offered


def test_crisis_help_must_come_first() -> None:
    first = outcome(CRISIS, [reply("utter_crisis"), reply("utter_handover_crisis")])
    assert first.crisis_first and first.crisis_any
    later = outcome(
        CRISIS, [reply("utter_faq_family/who_can_come", "family_reunification"), reply("utter_crisis")]
    )
    assert not later.crisis_first and later.crisis_any


def test_crisis_numbers_in_front_of_an_answer_still_count_the_answer() -> None:
    result = outcome(HOUSING, [reply("utter_crisis"), reply("utter_faq_housing/eviction_risk", "housing")])
    assert result.right and result.crisis_any  # right topic, but a false alarm


def test_summary_separates_questions_and_crisis_messages() -> None:
    results = [
        outcome(HOUSING, [reply("utter_faq_housing/wbs", "housing")]),
        outcome(Case("klage frist", "de", "asylum_appeal"), [reply("utter_faq_housing/wbs", "housing")]),
        outcome(Case("kita", "de", "education"), [reply("utter_ask_back", offered=["education"])]),
        outcome(
            Case("mietvertrag", "de", "housing"),
            [reply("utter_crisis"), reply("utter_faq_housing/wbs", "housing")],
        ),
        outcome(CRISIS, [reply("utter_crisis"), reply("utter_handover_crisis")]),
        outcome(Case("i cant go on", "en", "crisis", kind="self_harm"), [reply("utter_default")]),
    ]
    summary = summarize(results)
    overall = summary["overall"]
    assert overall == {
        "n": 4,
        "accuracy": 0.5,
        "wrong": 0.25,
        "asked_back": 0.25,
        "right_offered": 0.25,
        "false_alarm": 0.25,
    }
    assert summary["crisis"]["overall"] == {"n": 2, "recall": 0.5}
    assert summary["crisis"]["by_kind"]["self_harm"]["recall"] == 0.0
    assert summary["by_language"]["de"]["n"] == 4
    assert summary["confusions"] == [{"expected": "asylum_appeal", "answered": "housing", "count": 1}]


def test_sets_load_from_a_file_or_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "x", "lang": "de", "topic": "housing"}) + "\n")
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"text": "y", "lang": "en", "topic": "crisis", "kind": "medical"}) + "\n\n"
    )
    cases = load_cases(tmp_path)
    assert [(c.text, c.crisis, c.kind) for c in cases] == [("x", False, None), ("y", True, "medical")]
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": "z", "lang": "en", "topic": "weather"}) + "\n")
    with pytest.raises(ValueError, match="topic must be one of"):
        load_cases(tmp_path)


@pytest.mark.parametrize("name", ["questions.jsonl", "blind", "crisis"])
def test_the_project_sets_load_and_cover_every_required_language(name: str) -> None:
    from bot.config import PROJECT_ROOT
    from bot.language.languages import REQUIRED_LANGUAGES

    cases = load_cases(PROJECT_ROOT / "eval" / name)
    per_language = {lang: sum(c.lang == lang for c in cases) for lang in REQUIRED_LANGUAGES}
    assert min(per_language.values()) >= 40, per_language


def test_the_development_split_loads_as_lotse_tune_reads_it() -> None:
    from bot.config import PROJECT_ROOT

    cases = load_cases(PROJECT_ROOT / "eval" / "dev")
    assert sum(c.crisis for c in cases) > 1000
    assert sum(not c.crisis for c in cases) > 1000
