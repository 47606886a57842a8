"""What a person types as "the day I received the letter", in any of Lotse's languages and scripts.

:func:`parse_date` finds a date in a short free text and returns

* :class:`ParsedDate` (``future=True`` when it lies after ``today``; the flow says so and asks again),
* :class:`AmbiguousDate` with the candidate days (the flow asks back with one button per option), or
* ``None`` when there is no (possible) date in the text.

It never raises, whatever the input.

What it understands (the text is first folded: case, diacritics, bidi marks, Arabic/Persian letter variants
and digits, see :func:`fold`):

* digits ASCII, Eastern Arabic (٠-٩) and Persian (۰-۹); the Arabic decimal separator ٫ counts as ".",
  the Arabic comma ، as ",", the Arabic date separator ؍ as "/";
* numbers: ``D.M.YYYY``, ``D.M.YY`` (-> 20YY), ``D.M.`` / ``D.M`` (no year), ``D/M/YYYY``, ``D/M``,
  ``D-M-YYYY``, ``D,M,YYYY``, ``YYYY-MM-DD`` (and ``YYYY/MM/DD``), ``D M YYYY`` with spaces. Without a year
  the date is the most recent such day not after today (28.12 written on 5 January is last year's);
* "." (and ٫ and spaces) is the European day-month order and never ambiguous; with "/", "-" or "," the
  American month/day order is possible, so 03/04/2026 is ``AmbiguousDate((3 April, 4 March))`` (day first)
  unless the parts are equal or one is above 12 (04/13/2026 is 13 April); "-" and "," need a year
  (``3-4`` is a range, ``3,5`` a number);
* month names and abbreviations in de en fr tr ru uk ar fa (Arabic: Egyptian/Gulf, Levantine/Iraqi and
  Maghrebi names; Persian: Iranian and Afghan spellings; Russian/Ukrainian genitive; ordinals 1er, 3rd,
  3.), "December 3, 2026" as well as "3 December 2026";
* today / yesterday / the day before yesterday in de en fr tr ru uk ar fa, best effort ps so ti ku, and
  "N days ago" in most of them;
* Solar Hijri (Persian/Afghan) dates, recognised by a year 1300-1499 (۱۴۰۵/۰۹/۱۵, 15.9.1405) or by a
  Solar Hijri month name (Iranian فروردین ... اسفند, Dari حمل ... حوت, Pashto وری ... کب), converted to
  the Gregorian calendar with ``persiantools`` (typed, no dependencies; ``jdatetime`` gives the same
  results but ships no type information and pulls in ``jalali-core``).

Several dates in one text ("letter of 1.12., received yesterday") give an :class:`AmbiguousDate` with all
of them (at most :data:`MAX_OPTIONS`, in the order written) - the flow asks which one is the day of
delivery. Options after ``today`` are dropped when an option on or before today remains.

Why not ``dateparser``: measured with dateparser 1.5.0 (December 2026) it is fast enough (about 0.7 ms per
``parse``), but it does not know the Levantine Arabic months ("٣ كانون الأول ٢٠٢٦" -> None, "3 شباط 2026"
-> None), Solar Hijri month names ("۱۵ آذر ۱۴۰۵" -> None), امبارح or پریروز; its ``search_dates`` returns a
bare year as today's day and month ("٢٠٢٦" -> 6.12.2026) and has no notion of an ambiguous 03/04. The
month names are therefore DATA in ``data/months.yml`` (per language, with sources), and the grammar is the
few regular expressions below.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from persiantools.jdatetime import JalaliDate

MONTHS_FILE = Path(__file__).parent / "data" / "months.yml"
MAX_OPTIONS = 3
"""At most this many options in an :class:`AmbiguousDate` (buttons)."""
MAX_TEXT = 2000
"""Only the start of a longer text is searched (an answer to "when did you get the letter?" is short)."""
_GREGORIAN_YEARS = (1900, 2199)
_SOLAR_YEARS = (1300, 1499)
_MAX_DAYS_AGO = 400
_YEARS_BACK = 8
"""How far back a date without a year is looked for (29 February: up to the last leap year)."""

Calendar = Literal["gregorian", "solar_hijri"]


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """One date; ``future`` when it is after the ``today`` passed to :func:`parse_date`."""

    value: date
    future: bool


@dataclass(frozen=True, slots=True)
class AmbiguousDate:
    """Two or more possible days, none of them in the future, in the order to offer them."""

    options: tuple[date, ...]


# --------------------------------------------------------------------------------------------- folding

_REMOVE = dict.fromkeys(
    [
        0x200B,  # zero width space
        0x200C,  # zero width non-joiner (Persian half-space)
        0x200D,  # zero width joiner
        0x200E,  # left-to-right mark
        0x200F,  # right-to-left mark
        0x061C,  # Arabic letter mark
        0x0640,  # tatweel
        0xFEFF,  # byte order mark
        *range(0x202A, 0x202F),  # embeddings and overrides
        *range(0x2066, 0x206A),  # isolates
    ]
)
_CHARS = {
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\u060c": ",",  # Arabic comma
    "\u060d": "/",  # Arabic date separator
    "\u2044": "/",  # fraction slash
    "\u2215": "/",  # division slash
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u02bc": "'",
    "\u0131": "i",  # Turkish dotless i
    "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
    "\u0649": "\u06cc",  # alef maksura -> Persian yeh
    "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
}
_WHITESPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Fold ``text`` for matching: the same for the input and for the tables in ``months.yml``.

    Drops bidi and zero-width marks and tatweel, turns every decimal digit (Eastern Arabic, Persian, ...)
    into ASCII, maps Arabic separators, casefolds, removes diacritics (NFKD without combining marks:
    é -> e, أ -> ا, й -> и), unifies ي/ى/ی and ك/ک and dotless i, and collapses whitespace.
    """
    out: list[str] = []
    for char in text.translate(_REMOVE):
        if char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        else:
            out.append(char)
    folded = unicodedata.normalize("NFKD", "".join(out).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = "".join(_CHARS.get(c, c) for c in folded)
    return _WHITESPACE.sub(" ", folded).strip()


# ------------------------------------------------------------------------------------------------ tables


@dataclass(frozen=True, slots=True)
class _MonthMeaning:
    language: str
    calendar: Calendar
    month: int


@dataclass(frozen=True, slots=True)
class _Grammar:
    months: Mapping[str, tuple[_MonthMeaning, ...]]
    relative: Mapping[str, tuple[tuple[str, int], ...]]
    numeric_ymd: re.Pattern[str]
    numeric_dmy: re.Pattern[str]
    numeric_spaces: re.Pattern[str]
    day_month: re.Pattern[str]
    month_day: re.Pattern[str]
    relative_words: re.Pattern[str]
    days_ago: re.Pattern[str]


def _alternation(words: Iterator[str] | list[str]) -> str:
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", " ") for w in unique)


def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: expected a non-empty list of words")
    return [fold(v) for v in value]


@lru_cache(maxsize=4)
def load_grammar(path: Path = MONTHS_FILE) -> _Grammar:
    """Read and validate ``months.yml`` and compile the patterns (cached)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    months: dict[str, list[_MonthMeaning]] = {}
    for calendar_name in ("gregorian", "solar_hijri"):
        for language, table in data[calendar_name].items():
            if not isinstance(table, dict) or sorted(table) != list(range(1, 13)):
                raise ValueError(f"{path}: {calendar_name}.{language} must have the months 1..12")
            for month, names in table.items():
                for name in _str_list(names, f"{calendar_name}.{language}.{month}"):
                    meaning = _MonthMeaning(language, calendar_name, month)
                    months.setdefault(name, []).append(meaning)
    relative: dict[str, list[tuple[str, int]]] = {}
    for language, table in data["relative"].items():
        for days, words in table.items():
            if not isinstance(days, int) or not 0 <= days <= 2:
                raise ValueError(f"{path}: relative.{language}: days must be 0, 1 or 2")
            for word in _str_list(words, f"relative.{language}.{days}"):
                relative.setdefault(word, []).append((language, days))
    templates: list[str] = []
    for language, items in data["days_ago"].items():
        for template in _str_list(items, f"days_ago.{language}"):
            if template.count("{n}") != 1:
                raise ValueError(f"{path}: days_ago.{language}: {template!r} needs exactly one {{n}}")
            before, after = template.split("{n}")
            templates.append(re.escape(before) + r"([0-9]{1,4})" + re.escape(after))
    before_month = _alternation(_str_list(data["before_month"], "before_month"))
    before_year = _alternation(_str_list(data["before_year"], "before_year"))

    month_names = _alternation(list(months))
    not_letter_before = r"(?<![^\W\d_])"
    not_letter_after = r"(?![^\W\d_])"
    ordinal = r"(?:st|nd|rd|th|er|re|eme|e|\.|-?го|-?е|ام|م)?"
    year = rf"(?:[ ,.\-/]{{0,3}}(?:(?:{before_year}) ?)?([0-9]{{4}})(?![0-9]))?"
    return _Grammar(
        months={name: tuple(meanings) for name, meanings in months.items()},
        relative={word: tuple(meanings) for word, meanings in relative.items()},
        numeric_ymd=re.compile(
            r"(?<![0-9.,/\-])([0-9]{4}) ?([./\-]) ?([0-9]{1,2}) ?\2 ?([0-9]{1,2})(?![0-9])(?!\2[0-9])"
        ),
        numeric_dmy=re.compile(
            r"(?<![0-9.,/\-])([0-9]{1,2}) ?([./\-,]) ?([0-9]{1,2})"
            r"(?: ?\2 ?([0-9]{4}|[0-9]{2}))?(?![0-9])(?! ?\2 ?[0-9])"
        ),
        numeric_spaces=re.compile(
            r"(?<![0-9.,/\-])(?:([0-9]{1,2}) ([0-9]{1,2}) ([0-9]{4})|([0-9]{4}) ([0-9]{1,2}) ([0-9]{1,2}))"
            r"(?![0-9])"
        ),
        day_month=re.compile(
            rf"(?<![0-9])([0-9]{{1,2}}){ordinal}[ .\-/]{{0,3}}(?:(?:{before_month}) ?){{0,2}}"
            rf"({month_names}){not_letter_after}\.?{year}"
        ),
        month_day=re.compile(
            rf"{not_letter_before}({month_names})\.? ?([0-9]{{1,2}}){ordinal}(?![0-9])"
            rf"(?:,? ?([0-9]{{4}})(?![0-9]))?"
        ),
        relative_words=re.compile(rf"{not_letter_before}({_alternation(list(relative))}){not_letter_after}"),
        days_ago=re.compile(rf"{not_letter_before}(?:{'|'.join(templates)}){not_letter_after}"),
    )


# ------------------------------------------------------------------------------------------------ dates


def _gregorian(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _solar(year: int, month: int, day: int) -> date | None:
    try:
        return JalaliDate(year, month, day).to_gregorian()  # type: ignore[no-untyped-call]
    except (ValueError, OverflowError):
        return None


def _days_before(today: date, days: int) -> date | None:
    try:
        return today - timedelta(days=days)
    except OverflowError:  # today near 1 January of the year 1 (only in fuzz tests)
        return None


def _most_recent(calendar: Calendar, month: int, day: int, today: date) -> date | None:
    """The latest date with this month and day that is not after ``today``."""
    if calendar == "gregorian":
        start, convert = today.year, _gregorian
    else:
        try:
            start, convert = JalaliDate.to_jalali(today).year, _solar  # type: ignore[no-untyped-call]
        except ValueError:  # today before 622 or after 9999 (only in fuzz tests)
            return None
    for year in range(start, start - _YEARS_BACK - 1, -1):
        found = convert(year, month, day)
        if found is not None and found <= today:
            return found
    return None


def _full_year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _resolve(
    year: int | None, month: int, day: int, today: date, calendar: Calendar | None = None
) -> date | None:
    """A date from its parts; the calendar follows from the year unless given (month names)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if year is None:
        return _most_recent(calendar or "gregorian", month, day, today)
    if _SOLAR_YEARS[0] <= year <= _SOLAR_YEARS[1]:
        return _solar(year, month, day) if calendar in (None, "solar_hijri") else None
    if _GREGORIAN_YEARS[0] <= year <= _GREGORIAN_YEARS[1]:
        return _gregorian(year, month, day) if calendar in (None, "gregorian") else None
    return None


def _month_meaning(name: str, language: str, grammar: _Grammar) -> _MonthMeaning:
    meanings = grammar.months[name]
    for meaning in meanings:
        if meaning.language == language:
            return meaning
    return meanings[0]


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    options: tuple[date, ...]


def _numeric(grammar: _Grammar, text: str, today: date) -> Iterator[_Mention]:
    for match in grammar.numeric_ymd.finditer(text):
        found = _resolve(int(match[1]), int(match[3]), int(match[4]), today)
        yield _Mention(match.start(), match.end(), (found,) if found else ())
    for match in grammar.numeric_dmy.finditer(text):
        first, separator, second, year_text = int(match[1]), match[2], int(match[3]), match[4]
        if year_text is None and separator in "-,":
            continue  # "3-4 Tage", "3,5 Stunden": a range or a number, not a date
        year = _full_year(year_text) if year_text else None
        day_first = _resolve(year, second, first, today)
        options = [day_first] if day_first else []
        if separator in "/-," and first != second:  # month/day possible; an impossible reading drops out
            month_first = _resolve(year, first, second, today)
            if month_first:
                options.append(month_first)
        yield _Mention(match.start(), match.end(), tuple(options))
    for match in grammar.numeric_spaces.finditer(text):
        if match[1] is not None:
            found = _resolve(int(match[3]), int(match[2]), int(match[1]), today)
        else:
            found = _resolve(int(match[4]), int(match[5]), int(match[6]), today)
        yield _Mention(match.start(), match.end(), (found,) if found else ())


def _named(grammar: _Grammar, text: str, language: str, today: date) -> Iterator[_Mention]:
    for match in grammar.day_month.finditer(text):
        meaning = _month_meaning(match[2], language, grammar)
        year = int(match[3]) if match[3] else None
        found = _resolve(year, meaning.month, int(match[1]), today, meaning.calendar)
        yield _Mention(match.start(), match.end(), (found,) if found else ())
    for match in grammar.month_day.finditer(text):
        meaning = _month_meaning(match[1], language, grammar)
        year = int(match[3]) if match[3] else None
        found = _resolve(year, meaning.month, int(match[2]), today, meaning.calendar)
        yield _Mention(match.start(), match.end(), (found,) if found else ())


def _relative(grammar: _Grammar, text: str, language: str, today: date) -> Iterator[_Mention]:
    for match in grammar.relative_words.finditer(text):
        meanings = grammar.relative[match[1]]
        days = next((d for lang, d in meanings if lang == language), meanings[0][1])
        found = _days_before(today, days)
        yield _Mention(match.start(), match.end(), (found,) if found else ())
    for match in grammar.days_ago.finditer(text):
        number = next(int(group) for group in match.groups() if group is not None)
        found = _days_before(today, number) if number <= _MAX_DAYS_AGO else None
        yield _Mention(match.start(), match.end(), (found,) if found else ())


def _mentions(text: str, language: str, today: date) -> list[_Mention]:
    """All date mentions, left to right, without overlaps (the earlier, then the longer match wins)."""
    grammar = load_grammar()
    found = [
        *_numeric(grammar, text, today),
        *_named(grammar, text, language, today),
        *_relative(grammar, text, language, today),
    ]
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    chosen: list[_Mention] = []
    end = -1
    for mention in found:
        if mention.start >= end:
            chosen.append(mention)
            end = mention.end
    return chosen


def parse_date(text: str, language: str, *, today: date) -> ParsedDate | AmbiguousDate | None:
    """The date in ``text`` (the day a letter was received), see the module docstring. Never raises."""
    try:
        if not isinstance(text, str):
            return None
        folded = fold(text[:MAX_TEXT])
        options: list[date] = []
        for mention in _mentions(folded, language, today):
            options.extend(day for day in mention.options if day not in options)
    except Exception:  # pragma: no cover - a bug must not break the conversation; the flow asks again
        return None
    if not options:
        return None
    past = [day for day in options if day <= today]
    if not past:
        return ParsedDate(options[0], future=True)
    if len(past) == 1:
        return ParsedDate(past[0], future=False)
    return AmbiguousDate(tuple(past[:MAX_OPTIONS]))
