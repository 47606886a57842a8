"""The decision of the NLU fallback: when the English translation is tried and which text wins.

Translation runs through the real Argos path with a tiny word-for-word package; Rasa's parse API is
played by a small scorer (the end-to-end test with the real Rasa server is
``tests/integration/test_nlu_fallback.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.nlu_fallback import Parse, PivotFallback
from bot.rasa_client import RasaUnavailable
from bot.translation.argos import ArgosTranslator
from bot.translation.service import TranslationService
from tests.conftest import make_settings
from tests.translation.tiny_argos import build_package

GLOSSARY = {"زوجتي": "my wife", "أحضر": "bring", "كيف": "how", "ألمانيا": "germany"}
ARABIC = "كيف أحضر زوجتي ألمانيا"


class ScoringRasa:
    """Parses like an English-only model: English family words score high, anything else low."""

    def __init__(self, *, other: float = 0.2, down: bool = False) -> None:
        self.other = other
        self.down = down
        self.parsed: list[str] = []

    async def parse(self, text: str) -> dict[str, Any]:
        self.parsed.append(text)
        if self.down:
            raise RasaUnavailable("connection refused")
        if "wife" in text:
            ranking = [{"name": "faq_family", "confidence": 0.93}, {"name": "greet", "confidence": 0.07}]
            return {"intent": ranking[0], "intent_ranking": ranking}
        ranking = [{"name": "out_of_scope", "confidence": self.other}, {"name": "greet", "confidence": 0.1}]
        if self.other < 0.45:  # Rasa's FallbackClassifier puts nlu_fallback on top
            top = {"name": "nlu_fallback", "confidence": 0.45}
            return {"intent": top, "intent_ranking": [top, *ranking]}
        return {"intent": ranking[0], "intent_ranking": ranking}


@pytest.fixture(scope="module")
def glossary_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("glossary")
    return build_package(out, "ar", "en", glossary=GLOSSARY, sentences=[ARABIC])


@pytest.fixture
def service(packages_dir: Path, glossary_package: Path) -> TranslationService:
    backend = ArgosTranslator(packages_dir)
    backend.install_file(glossary_package)
    return TranslationService(backend)


def fallback(service: TranslationService, rasa: ScoringRasa, **settings: object) -> PivotFallback:
    return PivotFallback(settings=make_settings(**settings), rasa=rasa, service=service)  # type: ignore[arg-type]


def test_parse_ignores_rasas_fallback_intent() -> None:
    low = Parse.from_rasa(
        {
            "intent": {"name": "nlu_fallback", "confidence": 0.45},
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.45},
                {"name": "greet", "confidence": 0.3},
            ],
        }
    )
    assert low.intent is None and low.confidence == 0.3 and low.score == 0.0
    sure = Parse.from_rasa({"intent": {"name": "greet", "confidence": 0.8}, "intent_ranking": []})
    assert sure.intent == "greet" and sure.score == 0.8
    assert Parse.from_rasa({}).score == 0.0


async def test_uncertain_message_goes_to_rasa_in_english(service: TranslationService) -> None:
    rasa = ScoringRasa()
    choice = await fallback(service, rasa).choose(ARABIC, "ar")
    assert choice.translated
    assert choice.text == "how bring my wife germany"
    assert rasa.parsed == [ARABIC, "how bring my wife germany"]
    payload = choice.as_payload()
    assert payload is not None
    assert payload["used"] is True and payload["engine"] == "argos"
    assert payload["pivot_intent"] == "faq_family" and payload["original_intent"] is None


async def test_confident_original_is_not_translated(service: TranslationService) -> None:
    rasa = ScoringRasa(other=0.9)
    choice = await fallback(service, rasa).choose(ARABIC, "ar")
    assert not choice.translated and choice.text == ARABIC
    assert rasa.parsed == [ARABIC]  # one parse, no translation
    assert choice.as_payload() is None


async def test_weak_language_always_compares_and_better_parse_wins(service: TranslationService) -> None:
    rasa = ScoringRasa(other=0.97)  # the original parses even better than the translation
    choice = await fallback(service, rasa, nlu_weak_languages="ar").choose(ARABIC, "ar")
    assert rasa.parsed == [ARABIC, "how bring my wife germany"]
    assert not choice.translated and choice.text == ARABIC
    assert choice.pivot_text == "how bring my wife germany"  # kept for review all the same
    payload = choice.as_payload()
    assert payload is not None and payload["used"] is False


@pytest.mark.parametrize(
    ("text", "language", "settings"),
    [
        (ARABIC, "fa", {}),  # no fa → en model installed
        (ARABIC, "en", {}),  # already the pivot language
        ("/start", "ar", {}),  # a button or command
        (ARABIC, "ar", {"nlu_fallback": False}),  # switched off
    ],
)
async def test_fallback_not_tried(
    service: TranslationService, text: str, language: str, settings: dict[str, object]
) -> None:
    rasa = ScoringRasa()
    choice = await fallback(service, rasa, **settings).choose(text, language)
    assert choice.text == text and not choice.translated
    assert rasa.parsed == []


async def test_rasa_down_leaves_the_message_alone(service: TranslationService) -> None:
    choice = await fallback(service, ScoringRasa(down=True)).choose(ARABIC, "ar")
    assert choice.text == ARABIC and not choice.translated and choice.reason == "rasa unavailable"


def test_glossary_package_translates_word_for_word(service: TranslationService) -> None:
    assert service.translate(ARABIC, source="ar", target="en").text == "how bring my wife germany"
    assert service.translate("مرحبا كيف", source="ar", target="en").text.endswith("how")
