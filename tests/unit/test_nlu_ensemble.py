"""The second-opinion NLU component (assistant/components/lotse_ensemble.py), run in Rasa's own
environment by tests/rasa/ensemble_check.py: the blend, the answer selected within the chosen topic
(by its own answer models, or a ResponseSelector's answer moved there), a train → persist → load →
process round trip, and the crisis confidence that the blend never lowers;
and the ask-back classifier with a threshold per intent (assistant/components/lotse_fallback.py)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.rasa_config import RASA_VENV


@pytest.fixture(scope="module")
def seen() -> dict[str, Any]:
    result = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), str(PROJECT_ROOT / "tests" / "rasa" / "ensemble_check.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd="/",  # the component must be importable from anywhere (the .pth the Makefile writes)
        env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_blend_weights_the_linear_model(seen: dict[str, Any]) -> None:
    ranking = {r["name"]: r["confidence"] for r in seen["blend"]}
    assert seen["blend"][0]["name"] == "faq_housing"  # DIET's 0.95 for family is outvoted
    assert ranking["faq_housing"] == pytest.approx(0.3 * 0.05 + 0.7 * 0.8)
    assert ranking["faq_family"] == pytest.approx(0.3 * 0.95 + 0.7 * 0.2)


def test_blend_never_lowers_the_crisis_confidence(seen: dict[str, Any]) -> None:
    ranking = {r["name"]: r["confidence"] for r in seen["blend_crisis"]}
    assert ranking["crisis"] == pytest.approx(0.6)  # DIET's own, not 0.3 * 0.6 + 0.7 * 0.1


def test_answer_is_taken_from_the_chosen_topic(seen: dict[str, Any]) -> None:
    aligned = seen["align_other_topic"]
    assert aligned["intent_response_key"] == "faq_housing/deposit"
    assert aligned["utter_action"] == "utter_faq_housing/deposit"
    assert aligned["responses"] == [{"text": "d"}]
    assert seen["align_same_topic"] is None  # already in the topic: left alone
    assert seen["align_missing"] is None  # no answer of the topic ranked: left alone


def test_trained_component_corrects_a_confident_wrong_topic(seen: dict[str, Any]) -> None:
    # persisted as numbers and JSON (loaded with allow_pickle=False), not as a pickle
    assert seen["files"] == ["arrays.npz", "responses.json", "vocabulary.json"]
    processed = seen["processed"]
    assert processed["intent"]["name"] == "faq_housing"
    assert processed["ranking"][0] == processed["intent"]
    confidences = [r["confidence"] for r in processed["ranking"]]
    assert confidences == sorted(confidences, reverse=True)
    # the component's own answer models chose the answer (the selector output set before is replaced)
    assert processed["selected"]["intent_response_key"] == "faq_housing/deposit"
    assert processed["selected"]["utter_action"] == "utter_faq_housing/deposit"
    assert processed["selected"]["responses"] == [{"text": "About the deposit"}]
    assert 0.5 < processed["selected"]["confidence"] <= 1.0  # P(answer | topic)
    keys = [r["intent_response_key"] for r in processed["answer_ranking"]]
    assert sorted(keys) == ["faq_family/documents", "faq_housing/deposit", "faq_housing/wbs"]
    joint = [r["confidence"] for r in processed["answer_ranking"]]
    assert joint == sorted(joint, reverse=True)
    assert joint[0] < processed["selected"]["confidence"]  # P(topic) x P(answer | topic)
    assert processed["retrieval_intents"] == ["faq_family", "faq_housing"]


def test_the_answer_is_the_best_within_the_chosen_topic(seen: dict[str, Any]) -> None:
    chosen = seen["select_chosen"]
    # faq_family/documents has the higher joint score (0.6 x 1.0) but the topic chosen is housing
    assert chosen["response"]["intent_response_key"] == "faq_housing/wbs"
    assert chosen["response"]["confidence"] == pytest.approx(0.7)
    assert chosen["response"]["responses"] == [{"text": "faq_housing/wbs"}]  # no text known: the key
    ranked = [(r["intent_response_key"], round(r["confidence"], 4)) for r in chosen["ranking"]]
    # the ranking_length (1) best, then every other topic's best answer
    assert ranked == [("faq_family/documents", 0.6), ("faq_housing/wbs", 0.28)]


def test_without_a_retrieval_intent_chosen_the_best_joint_answer_is_selected(seen: dict[str, Any]) -> None:
    other = seen["select_other"]
    assert other["response"]["intent_response_key"] == "faq_housing/wbs"  # 0.06 x 0.7 > 0.04 x 1.0
    assert [r["intent_response_key"] for r in other["ranking"]] == ["faq_housing/wbs", "faq_family/documents"]
    assert seen["select_nothing"] == {}


def test_with_select_answers_off_the_selector_answer_is_moved_into_the_topic(seen: dict[str, Any]) -> None:
    assert seen["aligning_answers"] == {}  # no answer models trained
    assert seen["aligned"]["intent_response_key"] == "faq_housing/deposit"
    assert seen["aligned"]["responses"] == [{"text": "About the deposit"}]


def test_without_a_trained_model_diet_decides(seen: dict[str, Any]) -> None:
    assert seen["untrained_keeps_diet"] == [{"name": "greet", "confidence": 0.8}]


def test_an_answer_needs_the_answer_threshold_the_out_of_scope_reply_its_own(seen: dict[str, Any]) -> None:
    intents = {key: value["name"] for key, value in seen["fallback"].items()}
    assert intents == {
        "faq_housing/deposit 0.55": "nlu_fallback",  # a factual answer below 0.6: ask back
        "faq_housing/deposit 0.65": "faq_housing/deposit",
        "out_of_scope 0.35": "out_of_scope",  # the honest "can't answer that yet" from 0.3
        "out_of_scope 0.25": "nlu_fallback",
        "greet 0.5": "nlu_fallback",  # every other intent: the default threshold
    }
    assert seen["fallback"]["faq_housing/deposit 0.55"]["confidence"] == pytest.approx(0.6)


def test_lotse_tune_simulates_the_same_thresholds(seen: dict[str, Any]) -> None:
    from bot.tuning import threshold_for

    for key, after in seen["fallback"].items():
        name, confidence = key.rsplit(" ", 1)
        asked_back = float(confidence) < threshold_for(name, 0.6, {"out_of_scope": 0.3})
        assert asked_back == (after["name"] == "nlu_fallback"), key
