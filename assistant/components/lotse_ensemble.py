"""A second opinion on the intent: a linear model on word and character n-grams, blended with DIET.

Why: on real questions DIET is confidently wrong too often — its confidences are high whether it is
right or not, so no threshold separates the two. A TF-IDF logistic regression trained on the same
examples is about as accurate and far better calibrated; the weighted mean of both rankings lets the
FallbackClassifier (placed after this component) ask back where the two models disagree. Measured
on the development split and the shared development set of real questions, never on the evaluation
sets (README, "Model choice").

The component also selects the answer within the topic (``select_answers``, the default): one small
logistic regression per retrieval intent on the same features ranks that topic's answers, and the
message gets Rasa's ``response_selector`` output from it — the best answer *within* the blended
intent, so the retrieval action never utters an answer of another topic, and a ranking that holds
every topic's best answer (the ask-back action answers within the topic the person then picks).
Rasa's ResponseSelector did the same job in two thirds of the training time (about 20 of 30 minutes
on two cores) and picked the right answer within the right topic less often on the development split
(README, "Model choice"). With ``select_answers: false`` a ResponseSelector placed before this
component keeps selecting, and its answer is only moved into the chosen topic (``align_answer``).

Safety: the ``crisis`` intent's confidence is never lowered below DIET's own (the app adds the
emergency numbers from that confidence), so the blend cannot weaken the crisis net.

This module runs inside Rasa's Python 3.10 environment (``.venv-rasa``; the Makefile puts this folder
on its path), so it uses Rasa's pinned scikit-learn.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

ARRAYS_FILE = "arrays.npz"
VOCABULARY_FILE = "vocabulary.json"
RESPONSES_FILE = "responses.json"
SELECTOR = "response_selector"
DEFAULT_SELECTOR = "default"
ALL_RETRIEVAL_INTENTS = "all_retrieval_intents"
INTENT_RESPONSE_KEY = "intent_response_key"
ANSWER_PREFIX = "answer__"


def blend(
    diet: Dict[str, float], linear: Dict[str, float], weight: float, never_lower: List[str]
) -> List[Dict[str, Any]]:
    """The blended ranking, best first: ``(1 - weight) * DIET + weight * linear`` per intent;
    intents in ``never_lower`` keep at least DIET's confidence."""
    scores = {
        name: (1.0 - weight) * diet.get(name, 0.0) + weight * linear.get(name, 0.0)
        for name in {*diet, *linear}
    }
    for name in never_lower:
        if name in scores:
            scores[name] = max(scores[name], diet.get(name, 0.0))
    ranking = [{"name": name, "confidence": float(conf)} for name, conf in scores.items()]
    return sorted(ranking, key=lambda r: (-r["confidence"], r["name"]))


def align_answer(
    selector: Dict[str, Any], intent: str, responses: Dict[str, Any]
) -> Optional[Dict[str, Any]]:
    """The selector's prediction replaced by its best answer within ``intent`` — or None when the
    prediction already is in ``intent`` or no answer of ``intent`` is in its ranking."""
    predicted = (selector.get("response") or {}).get("intent_response_key") or ""
    if predicted.split("/")[0] == intent:
        return None
    for entry in selector.get("ranking") or []:
        key = str(entry.get("intent_response_key") or "")
        if key.split("/")[0] == intent:
            return {
                "responses": responses.get(f"utter_{key}") or [{"text": key}],
                "confidence": float(entry.get("confidence") or 0.0),
                "intent_response_key": key,
                "utter_action": f"utter_{key}",
            }
    return None


def select_answer(
    intent_confidences: Dict[str, float],
    answers: Dict[str, Dict[str, float]],
    chosen: str,
    responses: Dict[str, Any],
    ranking_length: int,
) -> Dict[str, Any]:
    """Rasa's ``response_selector`` entry from the answer probabilities within each retrieval intent.

    ``answers`` maps a retrieval intent to P(answer | intent); an answer's confidence in the ranking
    is P(intent) x P(answer | intent). The prediction is the best answer within ``chosen`` when that
    is a retrieval intent, else the best of the ranking. The ranking holds the ``ranking_length`` best
    answers and, beyond them, every intent's best answer."""
    joint = sorted(
        (
            (intent_confidences.get(intent, 0.0) * p, key)
            for intent, within in answers.items()
            for key, p in within.items()
        ),
        key=lambda item: (-item[0], item[1]),
    )
    kept, seen_intents = [], set()
    for rank, (confidence, key) in enumerate(joint):
        intent = key.split("/")[0]
        if rank < ranking_length or intent not in seen_intents:
            kept.append({"id": _stable_id(key), "confidence": float(confidence), INTENT_RESPONSE_KEY: key})
        seen_intents.add(intent)
    if answers.get(chosen):
        key, confidence = max(answers[chosen].items(), key=lambda item: (item[1], item[0]))
    elif joint:
        confidence, key = joint[0]
    else:
        return {}
    prediction = {
        "responses": responses.get(f"utter_{key}") or [{"text": key}],
        "confidence": float(confidence),
        INTENT_RESPONSE_KEY: key,
        "utter_action": f"utter_{key}",
    }
    return {"response": prediction, "ranking": kept}


def _column_major(coef: Any) -> Any:
    """The coefficients in column-major order: scikit-learn scores a message as ``X @ coef_.T``, and
    with row-major ``coef_`` scipy copies the whole transposed matrix for every message (12 ms per
    message for the intent model alone on these two cores, 0.1 ms without the copy). Same numbers."""
    return np.asfortranarray(coef)


def _stable_id(key: str) -> int:
    """A label id that stays the same across processes (Python's ``hash`` of a string does not)."""
    return zlib.crc32(key.encode("utf-8"))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentEnsemble(GraphComponent, IntentClassifier):
    """Blends DIET's intent ranking with a TF-IDF logistic regression (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # weight of the linear model in the blend (DIET gets 1 - weight)
            "weight": 0.7,
            "C": 10.0,
            "max_iter": 2000,
            "char_ngrams": [2, 5],
            "word_ngrams": [1, 2],
            "max_features": 200000,
            "never_lower": ["crisis"],
            "ranking_length": 10,
            # rank the answers within each retrieval intent (instead of Rasa's ResponseSelector)
            "select_answers": True,
            "answer_C": 10.0,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model: Any = None
        self.responses: Dict[str, Any] = {}
        # retrieval intent -> its answer classifier, or the one answer's key when it has only one
        self.answer_models: Dict[str, Any] = {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IntentEnsemble":
        return cls(config, model_storage, resource)

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    def _new_model(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        features = FeatureUnion(
            [
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=tuple(self.config["char_ngrams"]),
                        sublinear_tf=True,
                        min_df=2,
                        max_features=self.config["max_features"],
                    ),
                ),
                (
                    "words",
                    TfidfVectorizer(
                        analyzer="word",
                        ngram_range=tuple(self.config["word_ngrams"]),
                        sublinear_tf=True,
                        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regular expression)
                    ),
                ),
            ]
        )
        classifier = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"])
        return Pipeline([("features", features), ("classifier", classifier)])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = [e.get(INTENT) for e in examples]
        if len(set(labels)) < 2:
            logger.debug("IntentEnsemble: fewer than two intents, nothing to train")
            return self._resource
        self.model = self._new_model()
        self.model.fit([e.get(TEXT) for e in examples], labels)
        self.responses = dict(training_data.responses or {})
        if self.config["select_answers"]:
            self._train_answers(examples)
        self.persist()
        return self._resource

    def _train_answers(self, examples: List[Message]) -> None:
        """One logistic regression per retrieval intent over its answers, on the intent model's features."""
        from sklearn.linear_model import LogisticRegression

        by_intent: Dict[str, List[Message]] = {}
        for example in examples:
            key = example.get(INTENT_RESPONSE_KEY)
            if key:
                by_intent.setdefault(str(key).split("/")[0], []).append(example)
        features = self.model.named_steps["features"]
        for intent, members in sorted(by_intent.items()):
            keys = [str(m.get(INTENT_RESPONSE_KEY)) for m in members]
            if len(set(keys)) == 1:
                self.answer_models[intent] = keys[0]
                continue
            classifier = LogisticRegression(C=self.config["answer_C"], max_iter=self.config["max_iter"])
            classifier.fit(features.transform([m.get(TEXT) for m in members]), keys)
            self.answer_models[intent] = classifier

    def persist(self) -> None:
        """Numbers as a numpy archive and the vocabularies as JSON — no pickle, so loading a model
        runs no code from the archive, and it is fast (skops took 30 s for this model)."""
        features = self.model.named_steps["features"]
        classifier = self.model.named_steps["classifier"]
        arrays = {"coef": classifier.coef_, "intercept": classifier.intercept_}
        answers: Dict[str, List[str]] = {}
        for intent, answer_model in self.answer_models.items():
            if isinstance(answer_model, str):
                answers[intent] = [answer_model]
                continue
            answers[intent] = [str(c) for c in answer_model.classes_]
            arrays[f"{ANSWER_PREFIX}coef__{intent}"] = answer_model.coef_
            arrays[f"{ANSWER_PREFIX}intercept__{intent}"] = answer_model.intercept_
        vocabularies = {}
        for name, vectorizer in features.transformer_list:
            arrays[f"idf_{name}"] = vectorizer.idf_
            vocabularies[name] = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / ARRAYS_FILE, **arrays)
            meta = {
                "classes": [str(c) for c in classifier.classes_],
                "vocabularies": vocabularies,
                "answers": answers,
            }
            (directory / VOCABULARY_FILE).write_text(json.dumps(meta), encoding="utf-8")
            (directory / RESPONSES_FILE).write_text(json.dumps(self.responses), encoding="utf-8")

    def _restore(self, arrays: Any, meta: Dict[str, Any]) -> Any:
        """The trained pipeline rebuilt from its numbers (the inverse of ``persist``)."""
        model = self._new_model()
        for name, vectorizer in model.named_steps["features"].transformer_list:
            vectorizer.vocabulary_ = meta["vocabularies"][name]
            vectorizer.idf_ = arrays[f"idf_{name}"]
        classifier = model.named_steps["classifier"]
        classifier.coef_ = _column_major(arrays["coef"])
        classifier.intercept_ = arrays["intercept"]
        classifier.classes_ = np.array(meta["classes"])
        classifier.n_features_in_ = classifier.coef_.shape[1]
        return model

    def _restore_answers(self, arrays: Any, meta: Dict[str, Any]) -> Dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        restored: Dict[str, Any] = {}
        for intent, classes in (meta.get("answers") or {}).items():
            if len(classes) == 1:
                restored[intent] = classes[0]
                continue
            classifier = LogisticRegression()
            classifier.coef_ = _column_major(arrays[f"{ANSWER_PREFIX}coef__{intent}"])
            classifier.intercept_ = arrays[f"{ANSWER_PREFIX}intercept__{intent}"]
            classifier.classes_ = np.array(classes)
            classifier.n_features_in_ = classifier.coef_.shape[1]
            restored[intent] = classifier
        return restored

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "IntentEnsemble":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                if not (directory / ARRAYS_FILE).exists():
                    return component
                with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
                    meta = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
                    component.model = component._restore(arrays, meta)
                    component.answer_models = component._restore_answers(arrays, meta)
                component.responses = json.loads((directory / RESPONSES_FILE).read_text(encoding="utf-8"))
        except ValueError:
            logger.warning("IntentEnsemble: no trained model in the resource; DIET decides alone")
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        todo = [m for m in messages if m.get(TEXT) and m.get(INTENT_RANKING_KEY)]
        if not todo:
            return messages
        features = self.model.named_steps["features"].transform([m.get(TEXT) for m in todo])
        probabilities = self.model.named_steps["classifier"].predict_proba(features)
        classes = [str(c) for c in self.model.classes_]
        answers = self._answer_probabilities(features)
        for n, (message, row) in enumerate(zip(todo, probabilities, strict=True)):
            diet = {
                str(r["name"]): float(r.get("confidence") or 0.0)
                for r in message.get(INTENT_RANKING_KEY) or []
                if r.get("name")
            }
            linear = dict(zip(classes, (float(p) for p in row), strict=True))
            full = blend(diet, linear, float(self.config["weight"]), list(self.config["never_lower"]))
            limit = int(self.config["ranking_length"])
            ranking = full[:limit] if limit > 0 else full
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            if self.answer_models:
                self._set_answer(message, full, {intent: within[n] for intent, within in answers.items()})
                continue
            selectors = message.get(SELECTOR) or {}
            default = selectors.get(DEFAULT_SELECTOR)
            if isinstance(default, dict):
                aligned = align_answer(default, ranking[0]["name"], self.responses)
                if aligned is not None:
                    selectors[DEFAULT_SELECTOR] = {**default, "response": aligned}
                    message.set(SELECTOR, selectors, add_to_output=True)
        return messages

    def _answer_probabilities(self, features: Any) -> Dict[str, List[Dict[str, float]]]:
        """Per retrieval intent, P(answer | intent) for each row of ``features``."""
        rows = features.shape[0]
        answers: Dict[str, List[Dict[str, float]]] = {}
        for intent, answer_model in self.answer_models.items():
            if isinstance(answer_model, str):
                answers[intent] = [{answer_model: 1.0} for _ in range(rows)]
                continue
            keys = [str(c) for c in answer_model.classes_]
            answers[intent] = [
                dict(zip(keys, (float(p) for p in row), strict=True))
                for row in answer_model.predict_proba(features)
            ]
        return answers

    def _set_answer(
        self, message: Message, ranking: List[Dict[str, Any]], answers: Dict[str, Dict[str, float]]
    ) -> None:
        """Rasa's ``response_selector`` output from the answer models (see :func:`select_answer`);
        ``ranking`` is the whole blended intent ranking, best first."""
        confidences = {str(r["name"]): float(r["confidence"]) for r in ranking}
        selected = select_answer(
            confidences, answers, str(ranking[0]["name"]), self.responses, int(self.config["ranking_length"])
        )
        if not selected:
            return
        selectors = dict(message.get(SELECTOR) or {})
        selectors[ALL_RETRIEVAL_INTENTS] = sorted(self.answer_models)
        selectors[DEFAULT_SELECTOR] = selected
        message.set(SELECTOR, selectors, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
