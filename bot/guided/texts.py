"""Texts of the guided flows: labels, dates in the reader's language, and what people type to stop."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy.orm import Session

from bot.content.render import fill
from bot.content.service import resolve

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NOT_WORD = re.compile(r"[^\w\s]+")


def label(session: Session, key: str, language: str) -> str:
    resolved = resolve(session, key=key, language=language)
    return resolved.text.strip() if resolved else key


def lines(session: Session, key: str, language: str) -> list[str]:
    resolved = resolve(session, key=key, language=language)
    return [line.strip() for line in resolved.text.splitlines() if line.strip()] if resolved else []


def format_date(session: Session, day: date, language: str) -> str:
    """``day`` as the language writes it ("Montag, 28. Dezember 2026"); ISO when a text is missing."""
    weekdays = lines(session, "meta_weekdays", language)
    months = lines(session, "meta_months", language)
    pattern = resolve(session, key="meta_date_format", language=language)
    if len(weekdays) != 7 or len(months) != 12 or pattern is None:
        return day.isoformat()
    return fill(
        pattern.text.strip(),
        {
            "weekday": weekdays[day.weekday()],
            "day": str(day.day),
            "month": months[day.month - 1],
            "year": str(day.year),
        },
    )


def normalise(text: str) -> str:
    """For comparing what a person typed with labels and word lists: case, accents, digits, punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_DIGITS)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def phrases(session: Session, key: str, languages: tuple[str, ...]) -> set[str]:
    """The normalised phrases of a word list (``meta_*_stop_words``) in the given languages."""
    found: set[str] = set()
    for language in languages:
        found |= {normalise(p) for p in lines(session, key, language)}
    return {p for p in found if p}


def says(text: str, words: set[str]) -> bool:
    """Whether a short message is one of ``words`` (whole message, or one word of at most three)."""
    norm = normalise(text)
    if norm in words:
        return True
    tokens = norm.split()
    return len(tokens) <= 3 and any(t in words for t in tokens)
