"""Exercises assistant/components/lotse_ensemble.py and lotse_fallback.py inside Rasa's environment
(.venv-rasa) and prints what it saw as JSON; tests/unit/test_nlu_ensemble.py runs it and asserts on the
output."""

import json
import sys
import tempfile
from pathlib import Path

from lotse_ensemble import IntentEnsemble, align_answer, blend, select_answer
from lotse_fallback import TieredFallbackClassifier
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

EXAMPLES = {
    "faq_housing/deposit": [
        "how much is the deposit for a flat",
        "deposit kaution flat how much",
        "do i get my deposit back",
        "the landlord wants a deposit",
        "who pays the deposit jobcenter",
    ],
    "faq_family/documents": [
        "which documents for family reunification",
        "papers to bring my wife",
        "documents for my children visa",
        "what papers does the embassy want for my family",
        "family reunification documents list",
    ],
    "faq_housing/wbs": [
        "what is a wbs",
        "how do i get the wbs housing certificate",
        "wohnberechtigungsschein where to apply",
        "do i need a wbs for a social flat",
        "wbs application documents",
    ],
    "greet": ["hello", "hi", "salam", "good morning", "hey there"],
}


def _message(text: str, label: str) -> Message:
    intent, _, key = label.partition("/")
    data = {"text": text, "intent": intent}
    if key:
        data["intent_response_key"] = label
    return Message(data=data)


def _confident_wrong_question(selector_ranking: list) -> Message:
    """A deposit question on which DIET (before the component) was sure of the wrong topic, and a
    ResponseSelector followed it."""
    question = Message(data={"text": "my landlord asks for a deposit, how much"})
    question.set("intent", {"name": "faq_family", "confidence": 0.9})
    question.set(
        "intent_ranking",
        [{"name": "faq_family", "confidence": 0.9}, {"name": "faq_housing", "confidence": 0.1}],
    )
    question.set(
        "response_selector",
        {
            "default": {
                "response": {
                    "intent_response_key": "faq_family/documents",
                    "utter_action": "utter_faq_family/documents",
                },
                "ranking": selector_ranking,
            }
        },
    )
    return question


def _fallback(context: ExecutionContext, storage: LocalModelStorage) -> dict:
    """The intent after the tiered fallback classifier, for (intent, confidence) pairs."""
    config = {"threshold": 0.6, "intent_thresholds": {"out_of_scope": 0.3}, "ambiguity_threshold": 0.0}
    classifier = TieredFallbackClassifier.create(
        {**TieredFallbackClassifier.get_default_config(), **config}, storage, Resource("fallback"), context
    )
    seen = {}
    for name, confidence in [
        ("faq_housing/deposit", 0.55),
        ("faq_housing/deposit", 0.65),
        ("out_of_scope", 0.35),
        ("out_of_scope", 0.25),
        ("greet", 0.5),
    ]:
        message = Message(data={"text": "x"})
        message.set("intent", {"name": name, "confidence": confidence})
        message.set("intent_ranking", [{"name": name, "confidence": confidence}])
        classifier.process([message])
        seen[f"{name} {confidence}"] = message.get("intent")
    return seen


def main() -> None:
    out: dict = {}
    out["blend"] = blend(
        {"faq_family": 0.95, "faq_housing": 0.05}, {"faq_family": 0.2, "faq_housing": 0.8}, 0.7, ["crisis"]
    )
    out["blend_crisis"] = blend(
        {"crisis": 0.6, "faq_appeal": 0.4}, {"crisis": 0.1, "faq_appeal": 0.9}, 0.7, ["crisis"]
    )
    selector = {
        "response": {"intent_response_key": "faq_family/documents"},
        "ranking": [
            {"intent_response_key": "faq_family/documents", "confidence": 0.6},
            {"intent_response_key": "faq_housing/deposit", "confidence": 0.3},
        ],
    }
    out["align_other_topic"] = align_answer(
        selector, "faq_housing", {"utter_faq_housing/deposit": [{"text": "d"}]}
    )
    out["align_same_topic"] = align_answer(selector, "faq_family", {})
    out["align_missing"] = align_answer(selector, "faq_appeal", {})

    answers = {
        "faq_family": {"faq_family/documents": 1.0},
        "faq_housing": {"faq_housing/deposit": 0.3, "faq_housing/wbs": 0.7},
    }
    # the chosen topic's best answer, even where another topic's answer has the higher joint score
    out["select_chosen"] = select_answer(
        {"faq_family": 0.6, "faq_housing": 0.4}, answers, "faq_housing", {}, 1
    )
    # a non-retrieval intent chosen: the best joint answer; every topic's best answer stays in the ranking
    out["select_other"] = select_answer(
        {"greet": 0.9, "faq_family": 0.04, "faq_housing": 0.06}, answers, "greet", {}, 1
    )
    out["select_nothing"] = select_answer({"greet": 1.0}, {}, "greet", {}, 10)

    messages = [_message(t, label) for label, texts in EXAMPLES.items() for t in texts]
    responses = {
        "utter_faq_housing/deposit": [{"text": "About the deposit"}],
        "utter_faq_housing/wbs": [{"text": "About the WBS"}],
        "utter_faq_family/documents": [{"text": "Documents"}],
    }
    data = TrainingData(training_examples=messages, responses=responses)
    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalModelStorage(Path(tmp))
        resource = Resource("ensemble")
        context = ExecutionContext(GraphSchema({}), "test")
        trained = IntentEnsemble.create({}, storage, resource, context)
        trained.train(data)
        loaded = IntentEnsemble.load({}, storage, resource, context)
        with storage.read_from(resource) as directory:
            out["files"] = sorted(f.name for f in directory.iterdir())
        question = _confident_wrong_question(selector["ranking"])
        loaded.process([question])
        out["processed"] = {
            "intent": question.get("intent"),
            "ranking": question.get("intent_ranking"),
            "selected": question.get("response_selector")["default"]["response"],
            "answer_ranking": question.get("response_selector")["default"]["ranking"],
            "retrieval_intents": question.get("response_selector")["all_retrieval_intents"],
        }
        # with select_answers off, a ResponseSelector before the component selects; the answer is
        # only moved into the chosen topic
        aligning_resource = Resource("aligning")
        IntentEnsemble.create({"select_answers": False}, storage, aligning_resource, context).train(data)
        aligning = IntentEnsemble.load({"select_answers": False}, storage, aligning_resource, context)
        with storage.read_from(aligning_resource) as directory:
            out["aligning_answers"] = json.loads((directory / "vocabulary.json").read_text())["answers"]
        question = _confident_wrong_question(selector["ranking"])
        aligning.process([question])
        out["aligned"] = question.get("response_selector")["default"]["response"]
        untrained = IntentEnsemble.load({}, LocalModelStorage(Path(tmp) / "empty"), Resource("none"), context)
        plain = Message(data={"text": "hello", "intent_ranking": [{"name": "greet", "confidence": 0.8}]})
        untrained.process([plain])
        out["untrained_keeps_diet"] = plain.get("intent_ranking")
        out["fallback"] = _fallback(context, storage)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
