"""Every translation states its item's key facts: numbers, phone numbers, paragraphs, dates, warnings.

The facts are listed in ``translations/_catalog.yml`` (``key_facts``), the warning patterns in
``translations/_markers.yml``. A failure names the item, the language and what is missing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content.facts import FactRules, KeyFacts, has_phone, load_rules, numbers_in, problems
from bot.content.service import TRANSLATIONS_DIR, load_catalog, load_language_file
from bot.language.languages import LANGUAGES

CATALOG = load_catalog()
RULES = load_rules(TRANSLATIONS_DIR)
TEXTS = {language: load_language_file(language) for language in LANGUAGES}
CHECKED = sorted(key for key, entry in CATALOG.items() if entry.key_facts)


def key_fact_failures(directory: Path = TRANSLATIONS_DIR) -> list[str]:
    """Every (item, language, missing fact) of the translations in ``directory``."""
    catalog = load_catalog(directory)
    rules = load_rules(directory)
    failures: list[str] = []
    for language in LANGUAGES:
        texts = load_language_file(language, directory)
        for key, entry in sorted(catalog.items()):
            if entry.key_facts and key in texts:
                failures += [
                    f"{key} [{language}]: {p}"
                    for p in problems(texts[key], entry.key_facts, language=language, rules=rules)
                ]
    return failures


@pytest.mark.parametrize("key", CHECKED)
def test_every_translation_states_the_key_facts(key: str) -> None:
    facts = CATALOG[key].key_facts
    failures = {
        language: found
        for language, texts in TEXTS.items()
        if key in texts and (found := problems(texts[key], facts, language=language, rules=RULES))
    }
    assert not failures, f"{key}: {failures}"


def test_the_named_warnings_are_required() -> None:
    """The warnings issue 10 found missing stay required, so they cannot be dropped again."""
    assert "subsidiary_special_rules" in CATALOG["utter_faq_family/who_can_come"].key_facts.markers
    for key in ("appeal/manifestly_unfounded", "appeal/how_to_file", "appeal/deadline", "appeal/dublin"):
        assert "from_delivery" in CATALOG[f"utter_faq_{key}"].key_facts.markers, key


def test_every_marker_used_is_defined_for_every_language_that_needs_it() -> None:
    for key in CHECKED:
        for marker_id in CATALOG[key].key_facts.markers:
            assert marker_id in RULES.markers, f"{key}: unknown marker {marker_id}"
            needed = {lang for lang, texts in TEXTS.items() if key in texts}
            assert needed <= set(RULES.markers[marker_id].patterns), (marker_id, key)


def test_the_german_text_states_its_numbers_and_most_answers_have_key_facts() -> None:
    """Key facts come from the German reference text; an answer with numbers has them listed."""
    faqs = [k for k, e in CATALOG.items() if e.kind.value == "faq"]
    assert len(CHECKED) >= len(faqs) * 0.6
    for key in faqs:
        if numbers_in(TEXTS["de"][key]) - {
            n for p in CATALOG[key].key_facts.paragraphs for n in numbers_in(p)
        }:
            assert CATALOG[key].key_facts, f"{key}: the German text has numbers but no key_facts"


# ---------------------------------------------------------------------- the checker itself

RULES_FOR_TESTS = load_rules(TRANSLATIONS_DIR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("innerhalb von 2 Wochen", {2}),
        ("خلال ٢ أسبوع", {2}),
        ("ظرف ۲ هفته", {2}),
        ("Deutsch A1, B2 und § 60c", set()),
        ("Gebühr 1.000 Euro, 255 Euro", {1000, 255}),
    ],
)
def test_numbers_are_found_in_every_digit_script(text: str, expected: set[int]) -> None:
    assert numbers_in(text) == expected


def test_phone_numbers_match_digit_for_digit_in_any_script() -> None:
    assert has_phone("اتصل على ٠٨٠٠ ١١١ ٠ ١١١", "0800 111 0 111")
    assert has_phone("Telefon 0800-111-0-111", "0800 111 0 111")
    assert not has_phone("Telefon 0800 111 0 222", "0800 111 0 111")
    assert not has_phone("Notruf 1120", "112")


def test_a_missing_number_paragraph_date_or_warning_is_reported() -> None:
    facts = KeyFacts(
        numbers=(1,),
        paragraphs=("§ 80 Abs. 5 VwGO",),
        dates=(date(2027, 7, 23),),
        markers=("from_delivery",),
    )
    good = "Sie haben 1 Woche ab Zustellung (§ 80 Abs. 5 VwGO), bis 23. Juli 2027."
    assert problems(good, facts, language="de", rules=RULES_FOR_TESTS) == []
    bad = "Sie haben eine Woche (§ 80 VwGO), bis Juli 2027."
    found = problems(bad, facts, language="de", rules=RULES_FOR_TESTS)
    assert [f.split()[0] for f in found] == ["number", "paragraph", "date", "warning"]


def test_arabic_number_words_count_only_where_listed() -> None:
    facts = KeyFacts(numbers=(2,))
    assert problems("خلال أسبوعين", facts, language="ar", rules=RULES_FOR_TESTS) == []
    assert problems("خلال أسبوعين", facts, language="fa", rules=RULES_FOR_TESTS) == ["number 2"]


def test_a_marker_without_patterns_for_the_language_fails() -> None:
    facts = KeyFacts(markers=("from_delivery",))
    assert problems("ti text", facts, language="ti", rules=RULES_FOR_TESTS) == [
        "marker 'from_delivery' has no patterns for ti"
    ]
    assert problems("x", KeyFacts(markers=("nope",)), language="de", rules=FactRules()) == [
        "marker 'nope' is not defined in _markers.yml"
    ]
