"""The date parser of the guided flows (bot/guided/date_parser.py): what people type as the day they
received a letter, in every language, both Arabic digit systems, Solar Hijri, ambiguity, garbage."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from persiantools.jdatetime import JalaliDate

from bot.guided.date_parser import AmbiguousDate, ParsedDate, fold, load_grammar, parse_date

TODAY = date(2026, 12, 6)  # a Sunday; 15 Azar 1405
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def past(value: date) -> ParsedDate:
    return ParsedDate(value, future=False)


def parse(text: str, language: str = "de", today: date = TODAY) -> ParsedDate | AmbiguousDate | None:
    return parse_date(text, language, today=today)


# ---------------------------------------------------------------------------------------- numeric


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.12.2026", date(2026, 12, 3)),
        ("03.12.2026", date(2026, 12, 3)),
        ("3.12.26", date(2026, 12, 3)),
        ("3. 12. 2026", date(2026, 12, 3)),
        ("3.12.", date(2026, 12, 3)),
        ("3.12", date(2026, 12, 3)),
        ("2026-12-03", date(2026, 12, 3)),
        ("2026/12/3", date(2026, 12, 3)),
        ("3 12 2026", date(2026, 12, 3)),
        ("13/04/2026", date(2026, 4, 13)),  # 13 cannot be a month
        ("04/13/2026", date(2026, 4, 13)),  # American order, but unambiguous
        ("13-4-2026", date(2026, 4, 13)),
        ("04/04/2026", date(2026, 4, 4)),  # equal parts
        ("1.1.2026", date(2026, 1, 1)),
        ("29.2.2024", date(2024, 2, 29)),
        ("31.12.2025", date(2025, 12, 31)),
    ],
)
def test_numeric_formats(text: str, expected: date) -> None:
    assert parse(text) == past(expected)


def test_dot_is_never_ambiguous_but_slash_and_dash_are() -> None:
    assert parse("03.04.2026") == past(date(2026, 4, 3))
    assert parse("03/04/2026") == AmbiguousDate((date(2026, 4, 3), date(2026, 3, 4)))
    assert parse("3-4-2026") == AmbiguousDate((date(2026, 4, 3), date(2026, 3, 4)))
    assert parse("3,4,2026", "ar") == AmbiguousDate((date(2026, 4, 3), date(2026, 3, 4)))
    assert parse("3/4") == AmbiguousDate((date(2026, 4, 3), date(2026, 3, 4)))


def test_an_ambiguous_option_in_the_future_is_dropped() -> None:
    # 12/05/2026 -> 12 May (past) or 5 December (past): both remain
    assert parse("05/12/2026") == AmbiguousDate((date(2026, 12, 5), date(2026, 5, 12)))
    # 06/11/2026 -> 6 November or 11 June: both past
    # 10/12/2026 -> 10 December (future) or 12 October (past): only October remains
    assert parse("10/12/2026") == past(date(2026, 10, 12))
    # 12/10/2026 -> 12 October (past) or 10 December (future)
    assert parse("12/10/2026") == past(date(2026, 10, 12))
    # 07/12/2026: 7 December is in the future, 12 July is not
    assert parse("07/12/2026") == past(date(2026, 7, 12))
    # both in the future: the day-first reading, marked future
    assert parse("03/04/2027") == ParsedDate(date(2027, 4, 3), future=True)


def test_no_year_is_the_most_recent_such_day_around_new_year() -> None:
    new_year = date(2027, 1, 5)
    assert parse("28.12", today=new_year) == past(date(2026, 12, 28))
    assert parse("28.12.", today=new_year) == past(date(2026, 12, 28))
    assert parse("5.1.", today=new_year) == past(date(2027, 1, 5))  # today itself
    assert parse("6.1.", today=new_year) == past(date(2026, 1, 6))  # tomorrow -> last year's
    assert parse("2.1", today=new_year) == past(date(2027, 1, 2))
    assert parse("28 Dezember", today=new_year) == past(date(2026, 12, 28))
    assert parse("December 28", "en", today=new_year) == past(date(2026, 12, 28))
    assert parse("vorgestern", today=new_year) == past(date(2027, 1, 3))
    assert parse("vor 7 Tagen", today=new_year) == past(date(2026, 12, 29))


def test_no_year_29_february_is_the_last_leap_day() -> None:
    assert parse("29.2.") == past(date(2024, 2, 29))
    assert parse("29.2.", today=date(2028, 2, 29)) == past(date(2028, 2, 29))


@pytest.mark.parametrize(
    "text", ["31.02.2026", "30.2.", "31.4.2026", "29.02.2027", "0.1.2026", "1.13.2026", "32.1."]
)
def test_impossible_dates(text: str) -> None:
    assert parse(text) is None


def test_future_dates_are_marked() -> None:
    assert parse("20.12.2026") == ParsedDate(date(2026, 12, 20), future=True)
    assert parse("7.12.2026") == ParsedDate(date(2026, 12, 7), future=True)
    assert parse("6.12.2026") == past(TODAY)
    assert parse("3 January 2027", "en") == ParsedDate(date(2027, 1, 3), future=True)


def test_dates_inside_sentences() -> None:
    assert parse("I got it on 3.12.2026 in the morning", "en") == past(date(2026, 12, 3))
    assert parse("Ich habe den Brief am 3.12. bekommen") == past(date(2026, 12, 3))
    assert parse("استلمت الرسالة يوم ٣/١٢/٢٠٢٦", "ar") == AmbiguousDate(
        (date(2026, 12, 3), date(2026, 3, 12))
    )
    assert parse("استلمت الرسالة يوم ٢٣/١١/٢٠٢٦", "ar") == past(date(2026, 11, 23))
    assert parse("نامه را روز ۲۵/۱۱/۲۰۲۶ گرفتم", "fa") == past(date(2026, 11, 25))
    assert parse("J'ai reçu la lettre le 1er décembre.", "fr") == past(date(2026, 12, 1))
    assert parse("Mektubu 3 Aralık'ta aldım", "tr") == past(date(2026, 12, 3))


def test_numbers_that_are_not_dates() -> None:
    assert parse("3-4 Tage") is None
    assert parse("ich habe 3,5 Stunden gewartet") is None
    assert parse("Aktenzeichen 8123456-423") is None
    assert parse("Telefon 0176 12345678") is None
    assert parse("12.50 Euro") is None  # month 50
    assert parse("um 14:30") is None
    assert parse("3.12.202") is None  # three-digit year
    assert parse("1.1.1850") is None  # neither Gregorian 1900-2199 nor Solar Hijri 1300-1499


# ------------------------------------------------------------------------------------ digit systems


@pytest.mark.parametrize("digits", [ARABIC, PERSIAN])
def test_eastern_arabic_and_persian_digits(digits: dict[int, str]) -> None:
    assert parse("23.11.2026".translate(digits), "ar") == past(date(2026, 11, 23))
    assert parse("2026-11-23".translate(digits), "ar") == past(date(2026, 11, 23))
    assert parse("23/11/2026".translate(digits), "fa") == past(date(2026, 11, 23))
    assert parse("23 11 2026".translate(digits), "fa") == past(date(2026, 11, 23))


def test_arabic_separators_and_direction_marks() -> None:
    assert parse("٢٣٫١١٫٢٠٢٦", "ar") == past(date(2026, 11, 23))  # Arabic decimal separator = dot
    assert parse("٢٣،١١،٢٠٢٦", "ar") == past(date(2026, 11, 23))  # Arabic comma
    assert parse("٢٣؍١١؍٢٠٢٦", "ar") == past(date(2026, 11, 23))  # Arabic date separator
    assert parse("\u200f٢٣\u200f/\u200f١١\u200f/\u200f٢٠٢٦\u200f", "ar") == past(date(2026, 11, 23))
    assert parse("\u2067۲۳/۱۱/۲۰۲۶\u2069", "fa") == past(date(2026, 11, 23))
    assert parse("\u061c٢٣/١١/٢٠٢٦", "ar") == past(date(2026, 11, 23))
    assert parse("\u200e23.11.2026\u200e", "de") == past(date(2026, 11, 23))
    assert parse("23\u201311\u20132026", "en") == past(date(2026, 11, 23))  # en dash


def test_mixed_digits_in_one_date() -> None:
    assert parse("٢٣.11.۲۰۲۶", "ar") == past(date(2026, 11, 23))


# -------------------------------------------------------------------------------------- month names


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # German
        ("3. Dezember 2026", "de", date(2026, 12, 3)),
        ("3 dezember", "de", date(2026, 12, 3)),
        ("am 3. Dez. 2026", "de", date(2026, 12, 3)),
        ("15. März 2026", "de", date(2026, 3, 15)),
        ("15. Maerz 2026", "de", date(2026, 3, 15)),
        ("15. MÄRZ", "de", date(2026, 3, 15)),
        ("2. Jänner 2026", "de", date(2026, 1, 2)),
        # English
        ("3 December 2026", "en", date(2026, 12, 3)),
        ("December 3, 2026", "en", date(2026, 12, 3)),
        ("Dec 3rd 2026", "en", date(2026, 12, 3)),
        ("the 21st of November", "en", date(2026, 11, 21)),
        ("on 2nd may 2026", "en", date(2026, 5, 2)),
        ("3-Dec-2026", "en", date(2026, 12, 3)),
        # French
        ("3 décembre 2026", "fr", date(2026, 12, 3)),
        ("3 decembre", "fr", date(2026, 12, 3)),
        ("1er décembre", "fr", date(2026, 12, 1)),
        ("le 14 février 2026", "fr", date(2026, 2, 14)),
        ("15 août", "fr", date(2026, 8, 15)),
        ("2 févr. 2026", "fr", date(2026, 2, 2)),
        # Turkish
        ("3 Aralık 2026", "tr", date(2026, 12, 3)),
        ("3 ARALIK 2026", "tr", date(2026, 12, 3)),
        ("3 aralik", "tr", date(2026, 12, 3)),
        ("3 Şubat 2026", "tr", date(2026, 2, 3)),
        ("3 şubat 2026", "tr", date(2026, 2, 3)),
        ("20 Ağustos", "tr", date(2026, 8, 20)),
        ("1 Eylül 2026", "tr", date(2026, 9, 1)),
        # Russian (genitive and nominative)
        ("3 декабря 2026 г.", "ru", date(2026, 12, 3)),
        ("3 декабря", "ru", date(2026, 12, 3)),
        ("1 сентября 2026 года", "ru", date(2026, 9, 1)),
        ("15 мая 2026", "ru", date(2026, 5, 15)),
        ("3-го декабря", "ru", date(2026, 12, 3)),
        ("10 февр. 2026", "ru", date(2026, 2, 10)),
        ("5 ёлок, декабрь 2026", "ru", None),  # a month and a year, but no day
        # Ukrainian
        ("3 грудня", "uk", date(2026, 12, 3)),
        ("3 грудня 2026 р.", "uk", date(2026, 12, 3)),
        ("25 листопада 2026", "uk", date(2026, 11, 25)),
        ("8 березня", "uk", date(2026, 3, 8)),
        ("1 квітня 2026", "uk", date(2026, 4, 1)),
        ("24 серпня 2026", "uk", date(2026, 8, 24)),
        # Arabic: Egypt/Gulf, Levant/Iraq, Maghreb
        ("٣ ديسمبر ٢٠٢٦", "ar", date(2026, 12, 3)),
        ("3 ديسمبر 2026", "ar", date(2026, 12, 3)),
        ("٣ كانون الأول ٢٠٢٦", "ar", date(2026, 12, 3)),
        ("٣ كانون الاول", "ar", date(2026, 12, 3)),
        ("١٥ كانون الثاني ٢٠٢٦", "ar", date(2026, 1, 15)),
        ("١٤ شباط ٢٠٢٦", "ar", date(2026, 2, 14)),
        ("١٤ فبراير", "ar", date(2026, 2, 14)),
        ("٢١ آذار", "ar", date(2026, 3, 21)),
        ("٢١ اذار", "ar", date(2026, 3, 21)),
        ("١ نيسان ٢٠٢٦", "ar", date(2026, 4, 1)),
        ("١ أيار ٢٠٢٦", "ar", date(2026, 5, 1)),
        ("١ تموز ٢٠٢٦", "ar", date(2026, 7, 1)),
        ("١ آب ٢٠٢٦", "ar", date(2026, 8, 1)),
        ("١ أيلول ٢٠٢٦", "ar", date(2026, 9, 1)),
        ("١ تشرين الأول ٢٠٢٦", "ar", date(2026, 10, 1)),
        ("١ تشرين الثاني ٢٠٢٦", "ar", date(2026, 11, 1)),
        ("٥ جانفي ٢٠٢٦", "ar", date(2026, 1, 5)),
        ("٥ جويلية ٢٠٢٦", "ar", date(2026, 7, 5)),
        ("٥ غشت ٢٠٢٦", "ar", date(2026, 8, 5)),
        ("٣ من شهر ديسمبر سنة ٢٠٢٦", "ar", date(2026, 12, 3)),
        ("ديسمبر ٣", "ar", date(2026, 12, 3)),
        # Persian (Iran and Afghanistan) Gregorian month names
        ("۳ دسامبر ۲۰۲۶", "fa", date(2026, 12, 3)),
        ("3 دسامبر 2026", "fa", date(2026, 12, 3)),
        ("۱ ژانویه ۲۰۲۶", "fa", date(2026, 1, 1)),
        ("۱ ژانوئیه ۲۰۲۶", "fa", date(2026, 1, 1)),
        ("۱۰ فوریه ۲۰۲۶", "fa", date(2026, 2, 10)),
        ("۱۰ مارس ۲۰۲۶", "fa", date(2026, 3, 10)),
        ("۱۰ آوریل ۲۰۲۶", "fa", date(2026, 4, 10)),
        ("۱۰ مه ۲۰۲۶", "fa", date(2026, 5, 10)),
        ("۱۰ ژوئن ۲۰۲۶", "fa", date(2026, 6, 10)),
        ("۱۰ ژوئیه ۲۰۲۶", "fa", date(2026, 7, 10)),
        ("۱۰ ژوییه ۲۰۲۶", "fa", date(2026, 7, 10)),
        ("۱۰ اوت ۲۰۲۶", "fa", date(2026, 8, 10)),
        ("۱۰ سپتامبر ۲۰۲۶", "fa", date(2026, 9, 10)),
        ("۱۰ اکتبر ۲۰۲۶", "fa", date(2026, 10, 10)),
        ("۱۰ نوامبر ۲۰۲۶", "fa", date(2026, 11, 10)),
        ("۱۰ جنوری ۲۰۲۶", "fa", date(2026, 1, 10)),  # Afghan spelling
        ("۱۰ نومبر ۲۰۲۶", "fa", date(2026, 11, 10)),
        ("۳ دسمبر", "fa", date(2026, 12, 3)),
        # Arabic-script letter variants: Arabic yeh/kaf typed on an Arabic keyboard
        ("۱۰ اكتبر ۲۰۲۶", "fa", date(2026, 10, 10)),
        ("٣ يناير ٢٠٢٦", "fa", date(2026, 1, 3)),
    ],
)
def test_month_names(text: str, language: str, expected: date | None) -> None:
    assert parse(text, language) == (past(expected) if expected else None)


def test_month_names_are_found_whatever_the_chosen_language() -> None:
    # a person whose chat language is Arabic may write the date in English or German
    assert parse("3 December 2026", "ar") == past(date(2026, 12, 3))
    assert parse("3. Dezember", "uk") == past(date(2026, 12, 3))
    assert parse("3 грудня", "ru") == past(date(2026, 12, 3))


def test_month_name_alone_or_with_only_a_year_is_no_date() -> None:
    assert parse("Dezember") is None
    assert parse("Dezember 2026") is None
    assert parse("in May", "en") is None
    assert parse("I may come", "en") is None


def test_month_tables_have_no_conflicting_names() -> None:
    grammar = load_grammar()
    for name, meanings in grammar.months.items():
        assert len({(m.calendar, m.month) for m in meanings}) == 1, name
    for word, relative in grammar.relative.items():
        assert len({days for _, days in relative}) == 1, word


def test_every_language_has_all_twelve_months() -> None:
    grammar = load_grammar()
    for language in ("de", "en", "fr", "tr", "ru", "uk", "ar", "fa"):
        months = {m.month for ms in grammar.months.values() for m in ms if m.language == language}
        assert months == set(range(1, 13)), language


# --------------------------------------------------------------------------------------- relative


@pytest.mark.parametrize(
    ("text", "language", "days"),
    [
        ("heute", "de", 0),
        ("gestern", "de", 1),
        ("Vorgestern", "de", 2),
        ("today", "en", 0),
        ("Yesterday.", "en", 1),
        ("the day before yesterday", "en", 2),
        ("aujourd'hui", "fr", 0),
        ("aujourd’hui", "fr", 0),
        ("hier", "fr", 1),
        ("avant-hier", "fr", 2),
        ("bugün", "tr", 0),
        ("BUGÜN", "tr", 0),
        ("dün", "tr", 1),
        ("dun", "tr", 1),
        ("evvelsi gün", "tr", 2),
        ("сегодня", "ru", 0),
        ("вчера", "ru", 1),
        ("позавчера", "ru", 2),
        ("сьогодні", "uk", 0),
        ("вчора", "uk", 1),
        ("учора", "uk", 1),
        ("позавчора", "uk", 2),
        ("اليوم", "ar", 0),
        ("أمس", "ar", 1),
        ("امس", "ar", 1),
        ("امبارح", "ar", 1),
        ("البارحة", "ar", 1),
        ("أول أمس", "ar", 2),
        ("اول امبارح", "ar", 2),
        ("قبل يومين", "ar", 2),
        ("امروز", "fa", 0),
        ("دیروز", "fa", 1),
        ("ديروز", "fa", 1),  # Arabic yeh
        ("پریروز", "fa", 2),
        ("maanta", "so", 0),
        ("shalay", "so", 1),
        ("ትማሊ", "ti", 1),
        ("pêr", "ku", 2),
        ("نن", "ps", 0),
        ("پرون", "ps", 1),
        # inside a sentence
        ("Ich habe ihn gestern bekommen", "de", 1),
        ("I received it yesterday evening", "en", 1),
        ("Я получил письмо вчера", "ru", 1),
        ("استلمت الرسالة امبارح", "ar", 1),
        ("نامه را دیروز گرفتم", "fa", 1),
        ("Mektubu dün aldım", "tr", 1),
    ],
)
def test_today_yesterday_day_before(text: str, language: str, days: int) -> None:
    assert parse(text, language) == past(TODAY - timedelta(days=days))


@pytest.mark.parametrize(
    ("text", "language", "days"),
    [
        ("vor 3 Tagen", "de", 3),
        ("vor 1 Tag", "de", 1),
        ("5 days ago", "en", 5),
        ("il y a 4 jours", "fr", 4),
        ("3 gün önce", "tr", 3),
        ("5 дней назад", "ru", 5),
        ("3 дня назад", "ru", 3),
        ("3 дні тому", "uk", 3),
        ("10 днів тому", "uk", 10),
        ("قبل ٣ أيام", "ar", 3),
        ("منذ 5 ايام", "ar", 5),
        ("۴ روز پیش", "fa", 4),
        ("۴ روز قبل", "fa", 4),
    ],
)
def test_days_ago(text: str, language: str, days: int) -> None:
    assert parse(text, language) == past(TODAY - timedelta(days=days))


def test_words_that_only_contain_a_relative_word_are_not_dates() -> None:
    assert parse("heutealles", "de") is None
    assert parse("hierarchy", "en") is None  # French "hier" inside an English word
    assert parse("Vorgesternabend", "de") is None
    assert parse("vor 999 Tagen", "de") is None  # more than a year: no


def test_several_dates_are_offered_as_options() -> None:
    assert parse("Brief vom 1.12., bekommen gestern") == AmbiguousDate((date(2026, 12, 1), date(2026, 12, 5)))
    assert parse("Brief vom 1.12.2026, zugestellt am 3.12.2026") == AmbiguousDate(
        (date(2026, 12, 1), date(2026, 12, 3))
    )
    # the same day twice is one date
    assert parse("gestern, am 5.12.") == past(date(2026, 12, 5))
    # a future appointment next to the delivery day: the future one is dropped
    assert parse("bekommen am 3.12.2026, Termin am 20.12.2026") == past(date(2026, 12, 3))
    # at most three options
    result = parse("1.11.2026 2.11.2026 3.11.2026 4.11.2026")
    assert result == AmbiguousDate((date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)))


# ------------------------------------------------------------------------------------- Solar Hijri


@pytest.mark.parametrize(
    ("solar", "gregorian"),
    [
        ((1405, 1, 1), date(2026, 3, 21)),  # Nowruz 1405
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1399, 1, 1), date(2020, 3, 20)),  # Nowruz 2020 fell on 20 March
        ((1403, 12, 30), date(2025, 3, 20)),  # 1403 is a leap year
        ((1405, 9, 15), date(2026, 12, 6)),
    ],
)
def test_the_library_converts_known_pairs(solar: tuple[int, int, int], gregorian: date) -> None:
    assert JalaliDate(*solar).to_gregorian() == gregorian
    assert JalaliDate.to_jalali(gregorian) == JalaliDate(*solar)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("۱۴۰۵/۰۹/۱۵", date(2026, 12, 6)),
        ("1405/9/15", date(2026, 12, 6)),
        ("۱۴۰۵-۰۱-۰۱", date(2026, 3, 21)),
        ("۱۵/۰۹/۱۴۰۵", date(2026, 12, 6)),
        ("15.9.1405", date(2026, 12, 6)),
        ("۱ فروردین ۱۴۰۵", date(2026, 3, 21)),
        ("۱۵ آذر ۱۴۰۵", date(2026, 12, 6)),
        ("۱۵ آذر ماه ۱۴۰۵", date(2026, 12, 6)),
        ("۱۲ آذر", date(2026, 12, 3)),  # no year: this Solar year
        ("۱ حمل ۱۴۰۵", date(2026, 3, 21)),  # Dari month names
        ("۱۵ قوس ۱۴۰۵", date(2026, 12, 6)),
        ("۱ جدی ۱۴۰۴", date(2025, 12, 22)),
        ("۳۰ حوت ۱۴۰۳", date(2025, 3, 20)),
        ("۱۰ دی", date(2025, 12, 31)),  # 10 Dey 1404: no year, not after today
        ("۳۱ شهریور ۱۴۰۵", date(2026, 9, 22)),
    ],
)
def test_solar_hijri(text: str, expected: date) -> None:
    assert parse(text, "fa") == past(expected)


def test_solar_hijri_impossible_and_mixed() -> None:
    assert parse("۳۰ اسفند ۱۴۰۴", "fa") is None  # 1404 is not a leap year
    assert parse("۳۱ مهر ۱۴۰۵", "fa") is None  # the second half-year has 30 days
    assert parse("۱۵ آذر ۲۰۲۶", "fa") is None  # Solar month with a Gregorian year
    assert parse("۳ دسامبر ۱۴۰۵", "fa") is None  # Gregorian month with a Solar year
    assert parse("۱۴۰۶/۰۱/۰۱", "fa") == ParsedDate(date(2027, 3, 21), future=True)


def test_solar_hijri_round_trip_over_many_days() -> None:
    day = date(2020, 1, 1)
    while day <= TODAY:
        solar = JalaliDate.to_jalali(day)
        text = f"{solar.year}/{solar.month:02d}/{solar.day:02d}".translate(PERSIAN)
        assert parse(text, "fa") == past(day), text
        day += timedelta(days=3)


# --------------------------------------------------------------------------- round trips and garbage

FIRST_NAMES = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "tr": "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "uk": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
    "ar": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
    "fa": "ژانویه فوریه مارس آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر",
}


@settings(max_examples=400, deadline=None)
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=TODAY),
    st.sampled_from(sorted(FIRST_NAMES)),
    st.sampled_from(["ascii", "arabic", "persian"]),
)
def test_round_trip_day_month_name_year(day: date, language: str, digits: str) -> None:
    month = FIRST_NAMES[language].split()[day.month - 1]
    text = f"{day.day} {month} {day.year}"
    if digits != "ascii":
        text = text.translate(ARABIC if digits == "arabic" else PERSIAN)
    assert parse(text, language) == past(day)


@settings(max_examples=400, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_round_trip_numeric(day: date) -> None:
    expected = ParsedDate(day, future=day > TODAY)
    assert parse(f"{day.day}.{day.month}.{day.year}") == expected
    assert parse(f"{day.year}-{day.month:02d}-{day.day:02d}") == expected
    assert parse(f"{day.day:02d}.{day.month:02d}.{day.year % 100:02d}".translate(ARABIC), "ar") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "hello",
        "Ich weiß es nicht",
        "لا أعرف",
        "نمی‌دانم",
        "???",
        "12345678",
        "2026",
        "٢٠٢٦",
        "....////----",
        "3.",
        "3",
        "31",
        "99.99.9999",
        "0/0/0",
        "\u200f\u200e\u2066\u2069",
        "💥📅 3️⃣",
        "a" * 10_000,
    ],
)
def test_garbage(text: str) -> None:
    assert parse(text) is None


def test_mathematical_digits_are_digits() -> None:
    assert parse("𝟑.𝟏𝟐.𝟐𝟎𝟐𝟔") == past(date(2026, 12, 3))
    assert parse("３．１２．２０２６") == past(date(2026, 12, 3))  # full-width


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["de", "en", "ar", "fa", "xx"]), st.dates())
def test_never_raises_on_any_text(text: str, language: str, today: date) -> None:
    check(parse_date(text, language, today=today), today)


ALPHABET = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹./-, ٫،؍\u200f\u200e"


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=ALPHABET, max_size=6),
            st.sampled_from(
                ["dez", "Dezember", "آذر", "كانون الأول", "1er", "gestern", "vor", "Tagen", "قبل"]
            ),
        ),
        max_size=8,
    ),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
)
def test_never_raises_on_date_like_noise(parts: list[str], today: date) -> None:
    check(parse_date(" ".join(parts), "de", today=today), today)


def check(result: ParsedDate | AmbiguousDate | None, today: date) -> None:
    if isinstance(result, ParsedDate):
        assert result.future == (result.value > today)
    elif isinstance(result, AmbiguousDate):
        assert 2 <= len(result.options) <= 3
        assert len(set(result.options)) == len(result.options)
        assert all(option <= today for option in result.options)
    else:
        assert result is None


def test_random_inputs_never_raise() -> None:
    rng = random.Random(12)
    pieces = [*ALPHABET, "a", "ü", "ش", "д", " ", "\u202e", "\x00", "\ud7ff", "3", "12"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        check(parse_date(text, rng.choice(["de", "fa", "ar"]), today=TODAY), TODAY)


def test_not_a_string() -> None:
    assert parse_date(None, "de", today=TODAY) is None  # type: ignore[arg-type]
    assert parse_date(20261203, "de", today=TODAY) is None  # type: ignore[arg-type]


def test_fold() -> None:
    assert fold("  ŞUBAT\u200f  Décembre ") == "subat decembre"
    assert fold("آذار أيلول إبريل") == "اذار ایلول ابریل"
    assert fold("۱۲٫۳٬۴") == "12.3,4"
    assert fold("Straße") == "strasse"


def test_fast_enough() -> None:
    texts = [
        "3.12.2026",
        "۱۵ آذر ۱۴۰۵",
        "استلمت الرسالة يوم ٣/١٢/٢٠٢٦",
        "the day before yesterday",
        "x" * 300,
    ]
    for text in texts:
        parse(text)
    start = time.perf_counter()
    rounds = 100
    for _ in range(rounds):
        for text in texts:
            parse(text)
    per_call = (time.perf_counter() - start) / (rounds * len(texts))
    assert per_call < 0.005, per_call
