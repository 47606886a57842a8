"""The offline sentence splitter that stands in for MiniSBD downloads (bot/translation/sentences.py)."""

from __future__ import annotations

import pytest

from bot.language.languages import LANGUAGES
from bot.translation.sentences import split_sentences


@pytest.mark.parametrize(
    ("language", "text", "sentences"),
    [
        (
            "de",
            "Ich brauche z. B. einen Termin am 3. Oktober. Wo ist das Amt? Danke!",
            ["Ich brauche z. B. einen Termin am 3. Oktober.", "Wo ist das Amt?", "Danke!"],
        ),
        (
            "en",
            'He said "Stop." Then he left... Really?!',
            ['He said "Stop."', "Then he left...", "Really?!"],
        ),
        ("ar", "مرحبا. كيف حالك؟ أحتاج مساعدة!", ["مرحبا.", "كيف حالك؟", "أحتاج مساعدة!"]),
        ("fa", "سلام. حال شما چطور است؟ ممنون", ["سلام.", "حال شما چطور است؟", "ممنون"]),
        ("ps", "سلام. ته څنګه یې؟", ["سلام.", "ته څنګه یې؟"]),
        ("ti", "ሰላም።ከመይ ኣለኹም፧ ሓገዝ የድልየኒ", ["ሰላም።", "ከመይ ኣለኹም፧", "ሓገዝ የድልየኒ"]),
        ("uk", "Привіт. Як справи? Дякую!", ["Привіт.", "Як справи?", "Дякую!"]),
        ("so", "Iska warran. Ma i caawin kartaa?", ["Iska warran.", "Ma i caawin kartaa?"]),
        ("ku", "Silav. Tu çawa yî?", ["Silav.", "Tu çawa yî?"]),
        ("tr", "Merhaba. Nasılsınız?\nTeşekkürler", ["Merhaba.", "Nasılsınız?", "Teşekkürler"]),
        ("fr", "Bonjour. Merci beaucoup, bonne journée!", ["Bonjour.", "Merci beaucoup, bonne journée!"]),
    ],
)
def test_sentences_end_at_the_languages_marks(language: str, text: str, sentences: list[str]) -> None:
    assert split_sentences(text, language) == sentences


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_supported_language_keeps_every_word(language: str) -> None:
    text = "Erster Satz. Zweiter Satz? Dritter Satz!  \n\n Vierter ohne Ende"
    parts = split_sentences(text, language)
    assert " ".join(parts).split() == text.split()
    assert split_sentences("", language) == [] and split_sentences(" \n ", language) == []
