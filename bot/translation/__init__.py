"""Offline machine translation: one interface, backends (Argos in process, a LibreTranslate server,
none), a caching service with an English pivot, and bilingual helpers for caseworkers.

Nothing is imported or loaded at import time; the Argos library is imported on first use.
"""

from bot.translation.base import MissingPairError, TranslationError, Translator
from bot.translation.service import (
    Bilingual,
    Translation,
    TranslationService,
    get_translation_service,
    translate_for_caseworker,
    translate_for_person,
)

__all__ = [
    "Bilingual",
    "MissingPairError",
    "Translation",
    "TranslationError",
    "TranslationService",
    "Translator",
    "get_translation_service",
    "translate_for_caseworker",
    "translate_for_person",
]
