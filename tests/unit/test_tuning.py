"""`lotse tune` simulates the ask-back classifier (assistant/components/lotse_fallback.py) and the crisis
doubt rule on parsed messages."""

from __future__ import annotations

import pytest

from bot import tuning
from bot.evaluation import Case
from bot.tuning import Parsed, crisis_table, decide, recommend, score


def parsed(topic: str, *ranking: tuple[str, float], detector: str | None = None, source: str = "") -> Parsed:
    return Parsed(Case("text", "de", topic), tuple(ranking), detector, source)


def test_confident_and_clearly_ahead_answers_with_the_topic_of_the_intent() -> None:
    p = parsed("housing", ("faq_housing", 0.8), ("faq_family", 0.1))
    assert decide(p, threshold=0.5, ambiguity=0.2) == ("housing", None)


def test_below_the_threshold_or_too_close_asks_back_with_the_likely_topics() -> None:
    low = parsed("housing", ("faq_housing", 0.4), ("faq_family", 0.3), ("greet", 0.2), ("faq_appeal", 0.04))
    assert decide(low, threshold=0.5, ambiguity=0.0) == ("other", ("housing", "family_reunification"))
    close = parsed("housing", ("faq_family", 0.55), ("faq_housing", 0.45))
    assert decide(close, threshold=0.5, ambiguity=0.2) == ("other", ("family_reunification", "housing"))


def test_the_lexicon_detector_and_the_crisis_intent_win() -> None:
    assert decide(parsed("crisis", ("faq_family", 0.9), detector="crisis"), 0.5, 0.1)[0] == "crisis"
    assert decide(parsed("crisis", ("crisis", 0.9), ("greet", 0.01)), 0.5, 0.1)[0] == "crisis"


def test_score_counts_right_wrong_and_asked_back() -> None:
    rows = [
        parsed("housing", ("faq_housing", 0.9), ("faq_family", 0.05)),
        parsed("housing", ("faq_family", 0.9), ("faq_housing", 0.05)),
        parsed("education", ("faq_education", 0.4), ("faq_housing", 0.3)),
        parsed("other", ("out_of_scope", 0.95), ("greet", 0.01)),
    ]
    s = score(rows, threshold=0.5, ambiguity=0.1)
    assert (s["accuracy"], s["wrong"], s["asked_back"], s["right_offered"]) == (0.5, 0.25, 0.25, 0.25)
    assert s["objective"] == (2 - 2 * 1) / 4


def test_recommendation_prefers_asking_back_over_wrong_answers() -> None:
    rows = [parsed("housing", ("faq_housing", 0.9), ("faq_family", 0.05))] * 6 + [
        parsed("housing", ("faq_family", 0.45), ("faq_housing", 0.4))
    ] * 4
    best = recommend(rows)["ask_back"]
    assert best["wrong"] == 0.0 and best["accuracy"] == 0.6


def test_crisis_doubt_threshold_trades_recall_against_false_alarms() -> None:
    rows = [
        parsed("crisis", ("faq_family", 0.6), ("crisis", 0.3)),
        parsed("crisis", ("faq_family", 0.7), ("crisis", 0.1)),
        parsed("housing", ("faq_housing", 0.8), ("crisis", 0.12)),
    ]
    table = {r["crisis_nlu_hint"]: r for r in crisis_table(rows)}
    assert table[0.1] == {"crisis_nlu_hint": 0.1, "recall": 1.0, "false_alarm": 1.0}
    lexicon_only = parsed("crisis", ("faq_family", 0.9), ("crisis", 0.01), detector="crisis")
    assert {r["crisis_nlu_hint"]: r for r in crisis_table([lexicon_only])}[0.1]["recall"] == 0.0
    assert table[0.15]["recall"] == 0.5 and table[0.15]["false_alarm"] == 0.0
    assert recommend(rows)["crisis"]["crisis_nlu_hint"] == 0.15


def test_small_talk_and_calls_for_help_are_followed_without_asking_back() -> None:
    assert decide(parsed("other", ("greet", 0.7), ("faq_family", 0.2)), 0.9, 0.0) == ("other", None)
    assert decide(parsed("crisis", ("crisis", 0.6), ("faq_family", 0.3)), 0.9, 0.0) == ("crisis", None)
    assert decide(parsed("other", ("greet", 0.4), ("faq_family", 0.3)), 0.9, 0.0)[1] == (
        "family_reunification",
    )


def test_the_simulation_follows_the_same_rule_as_the_action() -> None:
    """actions/fallback.py runs in Rasa's environment; its constants are read from its source."""
    import ast

    from bot.config import PROJECT_ROOT
    from bot.tuning import FOLLOWED_WITHOUT_ASKING, MAX_OPTIONS, MIN_OPTION_CONFIDENCE, MIN_TO_FOLLOW

    tree = ast.parse((PROJECT_ROOT / "actions" / "fallback.py").read_text(encoding="utf-8"))
    values = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    followed = ast.literal_eval(values["FOLLOWED_WITHOUT_ASKING"].args[0])  # type: ignore[attr-defined]
    assert frozenset(followed) == FOLLOWED_WITHOUT_ASKING
    assert ast.literal_eval(values["MIN_TO_FOLLOW"]) == MIN_TO_FOLLOW
    assert ast.literal_eval(values["MAX_OPTIONS"]) == MAX_OPTIONS
    assert ast.literal_eval(values["MIN_OPTION_CONFIDENCE"]) == MIN_OPTION_CONFIDENCE


def test_hard_negatives_without_a_topic_label_count_for_false_alarms_only() -> None:
    labelled = parsed("housing", ("faq_housing", 0.9), ("faq_family", 0.05))
    negative = Parsed(
        Case("the deadline is killing me", "en", "other", "negative"), (("faq_appeal", 0.9),), None
    )
    assert score([labelled, negative], threshold=0.5, ambiguity=0.1)["accuracy"] == 1.0
    alarmed = Parsed(Case("x", "en", "other", "negative"), (("faq_appeal", 0.6), ("crisis", 0.3)), None)
    table = {r["crisis_nlu_hint"]: r for r in crisis_table([labelled, alarmed])}
    assert table[0.25]["false_alarm"] == 0.5 and table[1.01]["false_alarm"] == 0.0


def test_the_out_of_scope_reply_has_its_own_threshold() -> None:
    unsure_out_of_scope = parsed("other", ("out_of_scope", 0.35), ("faq_housing", 0.3))
    assert decide(unsure_out_of_scope, 0.6, 0.0)[1] == ("housing",)  # one threshold: asked back
    assert decide(unsure_out_of_scope, 0.6, 0.0, {"out_of_scope": 0.3}) == ("other", None)
    retrieval = parsed("housing", ("faq_housing/deposit", 0.5), ("out_of_scope", 0.3))
    assert decide(retrieval, 0.6, 0.0, {"faq_housing": 0.45}) == ("housing", None)  # by name before "/"
    assert decide(retrieval, 0.6, 0.0, {"out_of_scope": 0.3})[1] == ("housing",)


def test_the_objective_is_averaged_over_the_development_sets() -> None:
    """Pooled, 9 written questions would outvote the one real question answered wrongly."""
    written = [parsed("housing", ("faq_housing", 0.9), source="eval/dev")] * 9
    real = [parsed("housing", ("faq_family", 0.9), source="real.jsonl")]
    s = score(written + real, threshold=0.5, ambiguity=0.0)
    assert (s["accuracy"], s["wrong"]) == (0.9, 0.1)
    assert s["objective"] == (1.0 + (0 - 2 * 1.0)) / 2  # not (9 - 2 * 1) / 10


def test_the_recommendation_explores_the_out_of_scope_threshold() -> None:
    rows = [parsed("other", ("out_of_scope", 0.4))] * 5 + [
        parsed("housing", ("faq_family", 0.5), ("faq_housing", 0.05))  # wrong unless asked back
    ] * 5
    best = recommend(rows)["ask_back"]
    assert best["out_of_scope"] is not None and best["out_of_scope"] <= 0.4 < best["threshold"]
    assert (best["accuracy"], best["wrong"]) == (0.5, 0.0)


def test_no_setting_above_the_wrong_answer_goal_is_recommended(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answering all ten gains 7 - 2 x 3 > 0 on the objective, but 30 % wrong breaks the 5 % goal."""
    rows = [parsed("housing", ("faq_housing", 0.5), ("faq_family", 0.05))] * 7 + [
        parsed("housing", ("faq_family", 0.5), ("faq_housing", 0.05))
    ] * 3
    best = recommend(rows)["ask_back"]
    assert best["wrong"] == 0.0 and best["threshold"] > 0.5 and best["wrong_max"] == 0.0
    monkeypatch.setattr(tuning, "MAX_WRONG", 1.0)  # without the goal the objective alone answers
    unconstrained = recommend(rows)["ask_back"]
    assert unconstrained["threshold"] <= 0.5 and unconstrained["wrong"] == 0.3
