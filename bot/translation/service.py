"""Translation service: backend from the settings, English pivot, bounded LRU cache, and the
bilingual helpers caseworkers use.

Every result says which engine made it and that it is a machine translation; the helpers for
caseworkers never raise and never drop the original text: for a language without a model
(Tigrinya, Pashto, Somali, Kurdish have none in the Argos index) the result says so.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.translation.base import MissingPairError, NoTranslator, TranslationError, Translator

if TYPE_CHECKING:
    from bot.config import Settings

PIVOT = "en"
GERMAN = "de"


@dataclass(frozen=True, slots=True)
class Translation:
    """One machine translation."""

    text: str
    source: str
    target: str
    engine: str
    """``argos``, ``libretranslate``, or ``argos via en`` when it went through English."""
    pivot: str | None = None
    cached: bool = False
    machine_translated: bool = True


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0


class TranslationService:
    """Translate through one backend, via English when there is no direct pair, with a cache."""

    def __init__(self, backend: Translator, *, cache_size: int = 2048) -> None:
        self.backend = backend
        self.cache_size = cache_size
        self.stats = CacheStats()
        self._cache: OrderedDict[tuple[str, str, str, str], Translation] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        return self.backend.name

    def route(self, source: str, target: str) -> list[tuple[str, str]]:
        """The hops of ``source → target``: the direct pair, or through English."""
        if self.backend.can_translate(source, target):
            return [(source, target)]
        if PIVOT not in (source, target):
            hops = [(source, PIVOT), (PIVOT, target)]
            if all(self.backend.can_translate(s, t) for s, t in hops):
                return hops
        hint = self.backend.install_hint(source, target)
        if PIVOT not in (source, target):
            missing = [
                f"{s} → {t}"
                for s, t in ((source, PIVOT), (PIVOT, target))
                if not self.backend.can_translate(s, t)
            ]
            hint = f"none through English either ({' and '.join(missing)} missing); {hint}"
        raise MissingPairError(source, target, hint)

    def available(self, source: str, target: str) -> bool:
        try:
            self.route(source, target)
        except TranslationError:
            return False
        return True

    def translate(self, text: str, *, source: str, target: str) -> Translation:
        """Translate ``text``; raises :class:`MissingPairError` (naming the pair and the install
        command) or :class:`TranslationError`."""
        if source == target:
            return Translation(text, source, target, engine="identity", machine_translated=False)
        key = (self.backend.name, source, target, text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.stats.hits += 1
                return Translation(hit.text, source, target, engine=hit.engine, pivot=hit.pivot, cached=True)
            self.stats.misses += 1
        hops = self.route(source, target)
        result = text
        for hop_source, hop_target in hops:
            result = self.backend.translate(result, source=hop_source, target=hop_target)
        pivot = PIVOT if len(hops) > 1 else None
        engine = f"{self.backend.name} via {pivot}" if pivot else self.backend.name
        translation = Translation(result, source, target, engine=engine, pivot=pivot)
        with self._lock:
            self._cache[key] = translation
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return translation

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self.stats = CacheStats()

    def forget(self, texts: Collection[str]) -> int:
        """Drop every cached translation of or into one of ``texts`` (a person's erased messages);
        returns how many entries went."""
        if not texts:
            return 0
        with self._lock:
            gone = [key for key, hit in self._cache.items() if key[3] in texts or hit.text in texts]
            for key in gone:
                del self._cache[key]
        return len(gone)


def make_backend(settings: Settings) -> Translator:
    """The backend ``LOTSE_TRANSLATION_BACKEND`` names."""
    if settings.translation_backend == "argos":
        from bot.translation.argos import ArgosTranslator

        return ArgosTranslator(settings.argos_packages_dir, index_url=settings.argos_index_url)
    if settings.translation_backend == "libretranslate":
        from bot.translation.libretranslate import LibreTranslateTranslator

        return LibreTranslateTranslator(settings.libretranslate_url, timeout_s=settings.translation_timeout_s)
    return NoTranslator()


_services: dict[tuple[str, str, str, str], TranslationService] = {}
_services_lock = threading.Lock()


def forget_translations(texts: Collection[str]) -> int:
    """Drop cached translations of ``texts`` from every translation service of this process."""
    with _services_lock:
        services = list(_services.values())
    return sum(service.forget(texts) for service in services)


def get_translation_service(settings: Settings | None = None) -> TranslationService:
    """One service (and cache) per configuration, created on first use."""
    if settings is None:
        from bot.config import get_settings

        settings = get_settings()
    key = (
        settings.translation_backend,
        str(settings.argos_packages_dir),
        settings.libretranslate_url,
        settings.argos_index_url,
    )
    with _services_lock:
        service = _services.get(key)
        if service is None:
            service = TranslationService(make_backend(settings), cache_size=settings.translation_cache_size)
            _services[key] = service
    return service


# ---------------------------------------------------------------------- for caseworkers


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A text and its machine translation, side by side; the original is always kept."""

    original: str
    original_language: str
    translation: str | None
    """The text in ``translation_language``, or None when no model translates it."""
    translation_language: str
    engine: str | None
    machine_translated: bool
    unavailable_reason: str | None = None

    @property
    def available(self) -> bool:
        return self.translation is not None

    @property
    def german(self) -> str | None:
        """The German side: the translation for a caseworker, the original for a person."""
        if self.original_language == GERMAN:
            return self.original
        return self.translation if self.translation_language == GERMAN else None


def _bilingual(text: str, source: str, target: str, service: TranslationService | None) -> Bilingual:
    if source == target:
        return Bilingual(text, source, text, target, engine=None, machine_translated=False)
    try:
        svc = service or get_translation_service()
        result = svc.translate(text, source=source, target=target)
    except TranslationError as exc:  # including MissingPairError
        return Bilingual(
            text,
            source,
            None,
            target,
            engine=None,
            machine_translated=False,
            unavailable_reason=f"no machine translation available: {exc}",
        )
    return Bilingual(text, source, result.text, target, engine=result.engine, machine_translated=True)


def translate_for_caseworker(
    text: str, source_language: str, *, service: TranslationService | None = None
) -> Bilingual:
    """A person's message with its German machine translation for the caseworker."""
    return _bilingual(text, source_language, GERMAN, service)


def translate_for_person(
    german_text: str, target_language: str, *, service: TranslationService | None = None
) -> Bilingual:
    """A caseworker's German text with its machine translation into the person's language."""
    return _bilingual(german_text, GERMAN, target_language, service)
