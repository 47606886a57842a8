"""NLU fallback through the pivot language (English).

Lotse's NLU is trained on curated examples; for a language with weak or no coverage, or a message
the model is unsure about, the message is machine-translated to English and parsed again, and the
text with the better parse goes to the dialogue. The person's original text is what is stored,
logged and shown to caseworkers; only Rasa sees the translation (with the original language in the
metadata, so answers still come in the person's language).

Nothing happens unless a translation model for ``language → en`` is installed, so without models
this costs nothing. With a model it costs one ``/model/parse`` call per message (two and a
translation for the uncertain ones); translation runs in a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.threads import in_thread
from bot.translation.base import TranslationError
from bot.translation.service import PIVOT, TranslationService, get_translation_service

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True, slots=True)
class Parse:
    """The part of a Rasa parse result the choice needs."""

    intent: str | None
    confidence: float
    """Confidence of the best real intent (``nlu_fallback`` is not one)."""

    @classmethod
    def from_rasa(cls, data: dict[str, Any]) -> Parse:
        ranking = [r for r in data.get("intent_ranking") or [] if isinstance(r, dict)]
        if not ranking and isinstance(data.get("intent"), dict):
            ranking = [data["intent"]]
        real = [r for r in ranking if r.get("name") and r.get("name") != FALLBACK_INTENT]
        if not real:
            return cls(None, 0.0)
        best = max(real, key=lambda r: float(r.get("confidence") or 0.0))
        top = data.get("intent") if isinstance(data.get("intent"), dict) else {}
        intent = None if (top or {}).get("name") == FALLBACK_INTENT else str(best["name"])
        return cls(intent, float(best.get("confidence") or 0.0))

    @property
    def score(self) -> float:
        """How good the parse is: 0 when the model itself falls back."""
        return self.confidence if self.intent is not None else 0.0


@dataclass(frozen=True, slots=True)
class Choice:
    """Which text goes to the dialogue, and why."""

    text: str
    """The original, or its English translation when that parsed better."""
    translated: bool = False
    pivot_text: str | None = None
    engine: str | None = None
    original: Parse | None = None
    pivot: Parse | None = None
    reason: str = "not needed"

    def as_payload(self) -> dict[str, Any] | None:
        """What is stored with the message (None when the fallback was not tried)."""
        if self.pivot_text is None:
            return None
        return {
            "used": self.translated,
            "text": self.pivot_text,
            "engine": self.engine,
            "original_intent": self.original.intent if self.original else None,
            "original_confidence": round(self.original.confidence, 4) if self.original else None,
            "pivot_intent": self.pivot.intent if self.pivot else None,
            "pivot_confidence": round(self.pivot.confidence, 4) if self.pivot else None,
        }


class PivotFallback:
    """Decides per message whether the English translation parses better than the original."""

    def __init__(
        self, *, settings: Settings, rasa: RasaClient, service: TranslationService | None = None
    ) -> None:
        self.settings = settings
        self.rasa = rasa
        self._service = service

    @property
    def service(self) -> TranslationService:
        if self._service is None:
            self._service = get_translation_service(self.settings)
        return self._service

    def applies(self, text: str, language: str) -> bool:
        """Only for real text in a non-pivot language with an installed model to English."""
        if not self.settings.nlu_fallback or language == PIVOT or not text or text.startswith("/"):
            return False
        try:
            return self.service.available(language, PIVOT)
        except Exception:  # a broken backend must never stop the message path
            log.exception("translation backend check failed")
            return False

    async def choose(self, text: str, language: str) -> Choice:
        """The text to send to the dialogue for ``text`` written in ``language``."""
        if not await in_thread(self.applies, text, language):
            return Choice(text)
        weak = language in self.settings.nlu_weak_language_codes
        original: Parse | None = None
        try:
            if not weak:
                original = Parse.from_rasa(await self.rasa.parse(text))
                if original.score >= self.settings.nlu_fallback_threshold:
                    return Choice(text, original=original, reason="confident")
            try:
                translation = await in_thread(self.service.translate, text, source=language, target=PIVOT)
            except TranslationError as exc:
                log.warning("pivot translation %s→%s failed: %s", language, PIVOT, exc)
                return Choice(text, original=original, reason="translation failed")
            if weak:
                original = Parse.from_rasa(await self.rasa.parse(text))
            pivot = Parse.from_rasa(await self.rasa.parse(translation.text))
        except RasaUnavailable:
            # The real send reports Rasa's state; the fallback just steps aside.
            return Choice(text, original=original, reason="rasa unavailable")
        assert original is not None
        better = pivot.score > original.score
        return Choice(
            translation.text if better else text,
            translated=better,
            pivot_text=translation.text,
            engine=translation.engine,
            original=original,
            pivot=pivot,
            reason="pivot parsed better" if better else "original parsed better",
        )
