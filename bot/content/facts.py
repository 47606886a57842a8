"""Key facts of a content item, and checking a text against them.

``_catalog.yml`` lists each factual item's critical facts (``key_facts``): numbers, phone numbers,
paragraph references, dates and required warnings (markers). Every translation must state them all,
so that a translation cannot silently drop a deadline or a warning. Marker patterns and the few
number words a language needs (Arabic duals such as "أسبوعين", two weeks) live in
``translations/_markers.yml``; this module only applies them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

MARKERS_FILE = "_markers.yml"
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s\u00a0\u202f\-/]+(?=\d)")
_NUMBER = re.compile(r"(?<![A-Za-z\d])\d+(?![A-Za-z\d])")
"""A run of digits not glued to Latin letters: "A1", "B2" or "§ 60c" are no numbers (Arabic "و100",
"and 100", is one)."""
_THOUSANDS = re.compile(r"(?<=\d)[.,\u066c\u00a0\u202f](?=\d{3}(?!\d))")


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What every translation of an item must state."""

    numbers: tuple[int, ...] = ()
    phones: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    markers: tuple[str, ...] = ()

    @classmethod
    def from_yaml(cls, raw: Mapping[str, Any] | None) -> KeyFacts:
        raw = raw or {}
        unknown = set(raw) - {"numbers", "phones", "paragraphs", "dates", "markers"}
        if unknown:
            raise ValueError(f"unknown key_facts fields {sorted(unknown)}")
        return cls(
            numbers=tuple(int(n) for n in raw.get("numbers", [])),
            phones=tuple(str(p) for p in raw.get("phones", [])),
            paragraphs=tuple(str(p) for p in raw.get("paragraphs", [])),
            dates=tuple(date.fromisoformat(str(d)) for d in raw.get("dates", [])),
            markers=tuple(str(m) for m in raw.get("markers", [])),
        )

    def __bool__(self) -> bool:
        return any((self.numbers, self.phones, self.paragraphs, self.dates, self.markers))


@dataclass(frozen=True, slots=True)
class Marker:
    """A required warning: per language, regular expressions of which one must match."""

    id: str
    brief: str
    patterns: Mapping[str, tuple[re.Pattern[str], ...]]


@dataclass(frozen=True, slots=True)
class FactRules:
    """The contents of ``_markers.yml``."""

    markers: Mapping[str, Marker] = field(default_factory=dict)
    number_words: Mapping[str, Mapping[int, tuple[str, ...]]] = field(default_factory=dict)


def load_rules(directory: Path) -> FactRules:
    """Parse ``<directory>/_markers.yml`` (an absent file means: no markers, no number words)."""
    path = directory / MARKERS_FILE
    if not path.exists():
        return FactRules()
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    markers = {
        str(marker_id): Marker(
            id=str(marker_id),
            brief=str(spec.get("brief", "")),
            patterns={
                str(lang): tuple(re.compile(str(p), re.IGNORECASE) for p in pats)
                for lang, pats in (spec.get("patterns") or {}).items()
            },
        )
        for marker_id, spec in (raw.get("markers") or {}).items()
    }
    words = {
        str(lang): {int(n): tuple(str(w) for w in ws) for n, ws in (table or {}).items()}
        for lang, table in (raw.get("number_words") or {}).items()
    }
    return FactRules(markers=markers, number_words=words)


def normalise_digits(text: str) -> str:
    """Eastern Arabic (٠-٩) and Persian (۰-۹) digits as Western ones."""
    return text.translate(_DIGITS)


def numbers_in(text: str) -> set[int]:
    """Every number in ``text``, in any of the three digit scripts (thousands separators allowed)."""
    plain = _THOUSANDS.sub("", normalise_digits(text))
    return {int(n) for n in _NUMBER.findall(plain)}


def _digits_only(text: str) -> str:
    return _BETWEEN_DIGITS.sub("", normalise_digits(text))


def has_phone(text: str, phone: str) -> bool:
    """``phone`` appears digit for digit (spaces, dashes, slashes between digits do not matter)."""
    wanted = re.sub(r"\D", "", normalise_digits(phone))
    return re.search(rf"(?<!\d){wanted}(?!\d)", _digits_only(text)) is not None


def has_number(text: str, number: int, words: Mapping[int, tuple[str, ...]]) -> bool:
    """``number`` appears as digits, or as one of the language's accepted number words."""
    if number in numbers_in(text):
        return True
    lowered = text.casefold()
    return any(w.casefold() in lowered for w in words.get(number, ()))


def _squash(text: str) -> str:
    return " ".join(normalise_digits(text).replace("\u00a0", " ").split())


def problems(text: str, facts: KeyFacts, *, language: str, rules: FactRules) -> list[str]:
    """What ``text`` (in ``language``) fails to state of ``facts``; empty when everything is there."""
    found: list[str] = []
    words = rules.number_words.get(language, {})
    found += [f"number {n}" for n in facts.numbers if not has_number(text, n, words)]
    found += [f"phone {p}" for p in facts.phones if not has_phone(text, p)]
    squashed = _squash(text)
    found += [f"paragraph {p!r}" for p in facts.paragraphs if _squash(p) not in squashed]
    for day in facts.dates:
        if not {day.day, day.year} <= numbers_in(text):
            found.append(f"date {day.isoformat()} (day and year)")
    for marker_id in facts.markers:
        marker = rules.markers.get(marker_id)
        if marker is None:
            found.append(f"marker {marker_id!r} is not defined in {MARKERS_FILE}")
        elif language not in marker.patterns:
            found.append(f"marker {marker_id!r} has no patterns for {language}")
        elif not any(p.search(text) for p in marker.patterns[language]):
            found.append(f"warning {marker_id!r} ({marker.brief})")
    return found
