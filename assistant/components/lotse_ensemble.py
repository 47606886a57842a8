"""A second opinion on the intent: a linear model on word and character n-grams, blended with DIET.

Why: on real questions DIET is confidently wrong too often — its confidences are high whether it is
right or not, so no threshold separates the two. A TF-IDF logistic regression trained on the same
examples is about as accurate and far better calibrated; the weighted mean of both rankings lets the
FallbackClassifier (placed after this component) ask back where the two models disagree. Measured
on the development split and the shared development set of real questions, never on the evaluation
sets (README, "Model choice").

The component also keeps the answer consistent with the topic: Rasa's ResponseSelector ranks all
answers of all topics, and the retrieval action utters its best one even when that belongs to another
topic than the chosen intent. When the blended intent is a retrieval intent, the selected answer
becomes the selector's best answer *within* that intent (if one is among its ranking).

Safety: the ``crisis`` intent's confidence is never lowered below DIET's own (the app adds the
emergency numbers from that confidence), so the blend cannot weaken the crisis net.

This module runs inside Rasa's Python 3.10 environment (``.venv-rasa``; the Makefile puts this folder
on its path), so it uses Rasa's pinned scikit-learn.
"""

from __future__ import annotations

import json
import logging
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
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model: Any = None
        self.responses: Dict[str, Any] = {}

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
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Numbers as a numpy archive and the vocabularies as JSON — no pickle, so loading a model
        runs no code from the archive, and it is fast (skops took 30 s for this model)."""
        features = self.model.named_steps["features"]
        classifier = self.model.named_steps["classifier"]
        arrays = {"coef": classifier.coef_, "intercept": classifier.intercept_}
        vocabularies = {}
        for name, vectorizer in features.transformer_list:
            arrays[f"idf_{name}"] = vectorizer.idf_
            vocabularies[name] = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / ARRAYS_FILE, **arrays)
            meta = {"classes": [str(c) for c in classifier.classes_], "vocabularies": vocabularies}
            (directory / VOCABULARY_FILE).write_text(json.dumps(meta), encoding="utf-8")
            (directory / RESPONSES_FILE).write_text(json.dumps(self.responses), encoding="utf-8")

    def _restore(self, arrays: Any, meta: Dict[str, Any]) -> Any:
        """The trained pipeline rebuilt from its numbers (the inverse of ``persist``)."""
        model = self._new_model()
        for name, vectorizer in model.named_steps["features"].transformer_list:
            vectorizer.vocabulary_ = meta["vocabularies"][name]
            vectorizer.idf_ = arrays[f"idf_{name}"]
        classifier = model.named_steps["classifier"]
        classifier.coef_ = arrays["coef"]
        classifier.intercept_ = arrays["intercept"]
        classifier.classes_ = np.array(meta["classes"])
        classifier.n_features_in_ = classifier.coef_.shape[1]
        return model

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
        probabilities = self.model.predict_proba([m.get(TEXT) for m in todo])
        classes = [str(c) for c in self.model.classes_]
        for message, row in zip(todo, probabilities, strict=True):
            diet = {
                str(r["name"]): float(r.get("confidence") or 0.0)
                for r in message.get(INTENT_RANKING_KEY) or []
                if r.get("name")
            }
            linear = dict(zip(classes, (float(p) for p in row), strict=True))
            ranking = blend(diet, linear, float(self.config["weight"]), list(self.config["never_lower"]))
            limit = int(self.config["ranking_length"])
            ranking = ranking[:limit] if limit > 0 else ranking
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            selectors = message.get(SELECTOR) or {}
            default = selectors.get(DEFAULT_SELECTOR)
            if isinstance(default, dict):
                aligned = align_answer(default, ranking[0]["name"], self.responses)
                if aligned is not None:
                    selectors[DEFAULT_SELECTOR] = {**default, "response": aligned}
                    message.set(SELECTOR, selectors, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
