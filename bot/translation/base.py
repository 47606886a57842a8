"""The interface every translation backend implements, and its errors."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class TranslationError(RuntimeError):
    """A translation could not be made (backend down, model broken, ...)."""


class MissingPairError(TranslationError):
    """No installed model translates ``source`` into ``target`` (not even through English)."""

    def __init__(self, source: str, target: str, hint: str) -> None:
        self.source = source
        self.target = target
        self.hint = hint
        super().__init__(f"no translation model for {source} → {target}; {hint}")


@runtime_checkable
class Translator(Protocol):
    """A machine translation engine that translates between some language pairs."""

    @property
    def name(self) -> str:
        """Short engine name, stored with every machine translation (``argos``, ``libretranslate``)."""
        ...

    def pairs(self) -> frozenset[tuple[str, str]]:
        """The (source, target) pairs this engine translates directly."""
        ...

    def can_translate(self, source: str, target: str) -> bool:
        """True when ``source → target`` is one of :meth:`pairs`."""
        ...

    def translate(self, text: str, *, source: str, target: str) -> str:
        """Translate ``text``; raises :class:`MissingPairError` for a pair it does not have."""
        ...

    def install_hint(self, source: str, target: str) -> str:
        """What an operator does to make ``source → target`` available."""
        ...


class NoTranslator:
    """Machine translation switched off (``LOTSE_TRANSLATION_BACKEND=none``)."""

    name = "none"

    def pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset()

    def can_translate(self, source: str, target: str) -> bool:
        return False

    def translate(self, text: str, *, source: str, target: str) -> str:
        raise MissingPairError(source, target, self.install_hint(source, target))

    def install_hint(self, source: str, target: str) -> str:
        return (
            "machine translation is switched off (LOTSE_TRANSLATION_BACKEND=none); set it to 'argos' and "
            f"run: lotse translate install --file translate-{source}_{target}.argosmodel"
        )
