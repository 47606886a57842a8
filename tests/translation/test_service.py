"""Translation service: English pivot, cache, errors, the caseworker helpers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.translation.base import MissingPairError, NoTranslator, TranslationError
from bot.translation.service import (
    TranslationService,
    get_translation_service,
    make_backend,
    translate_for_caseworker,
    translate_for_person,
)
from tests.conftest import make_settings

Installed = Callable[..., TranslationService]


class Counting:
    """A fake backend that upper-cases and counts calls (for cache and routing logic)."""

    name = "fake"

    def __init__(self, pairs: set[tuple[str, str]]) -> None:
        self._pairs = frozenset(pairs)
        self.calls: list[tuple[str, str, str]] = []

    def pairs(self) -> frozenset[tuple[str, str]]:
        return self._pairs

    def can_translate(self, source: str, target: str) -> bool:
        return (source, target) in self._pairs

    def translate(self, text: str, *, source: str, target: str) -> str:
        self.calls.append((text, source, target))
        return f"{text}|{target}"

    def install_hint(self, source: str, target: str) -> str:
        return f"install {source}-{target}"


def test_pivot_through_english_with_two_argos_packages(installed: Installed) -> None:
    service = installed(("ar", "en"), ("en", "de"))
    result = service.translate("Hello, how are you?", source="ar", target="de")
    assert result.text == "Hello, how are you?"
    assert (result.engine, result.pivot) == ("argos via en", "en")
    assert service.route("ar", "de") == [("ar", "en"), ("en", "de")]


def test_cache_hit_skips_the_backend() -> None:
    backend = Counting({("en", "de")})
    service = TranslationService(backend, cache_size=2)
    first = service.translate("a", source="en", target="de")
    second = service.translate("a", source="en", target="de")
    assert first.text == second.text == "a|de"
    assert (first.cached, second.cached) == (False, True)
    assert len(backend.calls) == 1 and (service.stats.hits, service.stats.misses) == (1, 1)
    service.translate("b", source="en", target="de")
    service.translate("c", source="en", target="de")  # evicts "a" (size 2, least recently used)
    service.translate("a", source="en", target="de")
    assert len(backend.calls) == 4


def test_cache_hit_with_argos(installed: Installed) -> None:
    service = installed(("en", "de"))
    service.translate("Thank you very much.", source="en", target="de")
    assert service.translate("Thank you very much.", source="en", target="de").cached
    assert (service.stats.hits, service.stats.misses) == (1, 1)


def test_missing_pair_names_the_pair_and_the_install_command(installed: Installed) -> None:
    service = installed(("en", "de"))
    with pytest.raises(MissingPairError) as err:
        service.translate("ሰላም", source="ti", target="de")
    message = str(err.value)
    assert "ti → de" in message and "ti → en missing" in message and "en → de" not in message.split(";")[1]
    assert "lotse translate install --file translate-ti_de.argosmodel" in message


def test_same_language_is_not_a_machine_translation() -> None:
    result = TranslationService(NoTranslator()).translate("Hallo", source="de", target="de")
    assert result.text == "Hallo" and not result.machine_translated


def test_caseworker_and_person_keep_both_texts(installed: Installed) -> None:
    service = installed(("ar", "en"), ("en", "de"), ("de", "en"), ("en", "fa"))
    incoming = translate_for_caseworker("Hello, I need help.", "ar", service=service)
    assert incoming.original == "Hello, I need help." and incoming.original_language == "ar"
    assert incoming.german == "Hello, I need help." and incoming.available
    assert incoming.engine == "argos via en" and incoming.machine_translated

    outgoing = translate_for_person("Bitte bringen Sie den Bescheid mit.", "fa", service=service)
    assert outgoing.original == outgoing.german == "Bitte bringen Sie den Bescheid mit."
    assert outgoing.translation == "Bitte bringen Sie den Bescheid mit."
    assert (outgoing.translation_language, outgoing.engine) == ("fa", "argos via en")


@pytest.mark.parametrize("language", ["ti", "ps", "so", "ku"])
def test_languages_without_a_model_keep_the_text_and_say_so(installed: Installed, language: str) -> None:
    service = installed(("ar", "en"), ("en", "de"), ("de", "en"))
    incoming = translate_for_caseworker("some text", language, service=service)
    assert incoming.original == "some text" and incoming.translation is None and not incoming.available
    assert incoming.unavailable_reason and f"{language} → de" in incoming.unavailable_reason
    outgoing = translate_for_person("Ein Text", language, service=service)
    assert outgoing.original == outgoing.german == "Ein Text" and outgoing.translation is None
    assert outgoing.unavailable_reason and not outgoing.machine_translated


def test_backend_errors_do_not_reach_the_caseworker() -> None:
    class Broken(Counting):
        def translate(self, text: str, *, source: str, target: str) -> str:
            raise TranslationError("model file is damaged")

    service = TranslationService(Broken({("ar", "de")}))
    result = translate_for_caseworker("text", "ar", service=service)
    assert result.original == "text" and result.translation is None
    assert result.unavailable_reason and "damaged" in result.unavailable_reason


def test_backend_from_settings(tmp_path: object) -> None:
    assert make_backend(make_settings(translation_backend="none")).name == "none"
    assert make_backend(make_settings(translation_backend="libretranslate")).name == "libretranslate"
    settings = make_settings(translation_backend="argos", argos_packages_dir=str(tmp_path))
    service = get_translation_service(settings)
    assert service.engine == "argos" and get_translation_service(settings) is service
