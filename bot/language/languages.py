"""The languages Lotse supports: codes, names in their own script, writing direction.

Codes are ISO 639-1 where one exists. Persian (``fa``) covers Dari: the written languages are
close enough that one text serves both, and no offline detector separates them. ``ku`` is
Kurmanji (Northern Kurdish, Latin script).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class Language:
    """One supported language."""

    code: str
    english_name: str
    native_name: str
    direction: Literal["ltr", "rtl"]
    required: bool
    """Required languages have every response reviewed; best-effort ones have the fixed turns."""


LANGUAGES: Final[dict[str, Language]] = {
    lang.code: lang
    for lang in (
        Language("de", "German", "Deutsch", "ltr", True),
        Language("en", "English", "English", "ltr", True),
        Language("ar", "Arabic", "العربية", "rtl", True),
        Language("fa", "Persian/Dari", "فارسی / دری", "rtl", True),
        Language("uk", "Ukrainian", "Українська", "ltr", True),
        Language("ru", "Russian", "Русский", "ltr", True),
        Language("tr", "Turkish", "Türkçe", "ltr", True),
        Language("fr", "French", "Français", "ltr", True),
        Language("ps", "Pashto", "پښتو", "rtl", False),
        Language("ti", "Tigrinya", "ትግርኛ", "ltr", False),
        Language("so", "Somali", "Soomaali", "ltr", False),
        Language("ku", "Kurdish (Kurmanji)", "Kurmancî", "ltr", False),
    )
}

REQUIRED_LANGUAGES: Final[tuple[str, ...]] = tuple(c for c, lang in LANGUAGES.items() if lang.required)
BEST_EFFORT_LANGUAGES: Final[tuple[str, ...]] = tuple(c for c, lang in LANGUAGES.items() if not lang.required)
FALLBACK_LANGUAGE: Final = "en"
"""Language of last resort for a text that has no version in the person's language."""


def is_supported(code: str | None) -> bool:
    """Return True when ``code`` is one of Lotse's language codes."""
    return code is not None and code in LANGUAGES


def normalise_code(code: str | None) -> str | None:
    """Map a client hint such as ``pt-BR``, ``prs`` or ``kmr`` to a supported code, or None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    aliases = {"prs": "fa", "pes": "fa", "arz": "ar", "apc": "ar", "ary": "ar", "kmr": "ku", "pbt": "ps"}
    base = aliases.get(base, base)
    return base if base in LANGUAGES else None
