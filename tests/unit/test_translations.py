"""The content files are complete: every key in every required language, nothing empty."""

from __future__ import annotations

import re

import pytest

from bot.content.domain import DOMAIN_RESPONSES, domain_responses_yaml
from bot.content.models import ContentKind
from bot.content.render import ANSWER_TOPICS
from bot.content.service import load_catalog, load_language_file
from bot.guided.keys import is_guided_key
from bot.language.languages import BEST_EFFORT_LANGUAGES, LANGUAGES, REQUIRED_LANGUAGES

CATALOG = load_catalog()


@pytest.mark.parametrize("language", REQUIRED_LANGUAGES)
def test_required_language_has_every_key(language: str) -> None:
    texts = load_language_file(language)
    missing = sorted(set(CATALOG) - set(texts))
    empty = sorted(k for k, v in texts.items() if not v.strip())
    assert not missing, f"{language}: missing {missing}"
    assert not empty, f"{language}: empty {empty}"


@pytest.mark.parametrize("language", BEST_EFFORT_LANGUAGES)
def test_best_effort_language_has_every_fixed_turn(language: str) -> None:
    """Fixed turns in the language; the guided flows run in English there (with the fallback note)."""
    texts = load_language_file(language)
    needed = {k for k, e in CATALOG.items() if e.kind != ContentKind.FAQ and not is_guided_key(k)}
    missing = sorted(needed - set(texts))
    assert not missing, f"{language}: missing {missing}"
    assert all(v.strip() for v in texts.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_unknown_keys(language: str) -> None:
    assert set(load_language_file(language)) <= set(CATALOG)


@pytest.mark.parametrize("language", LANGUAGES)
def test_crisis_text_has_every_emergency_number(language: str) -> None:
    crisis = re.sub(r"\s+", " ", load_language_file(language)["utter_crisis"])
    for number in ("110", "112", "0800 111 0 111", "0800 111 0 222", "116 016"):
        assert number in crisis, f"{language}: {number} missing from utter_crisis"


def test_every_factual_answer_has_sources_and_a_topic() -> None:
    faqs = [e for e in CATALOG.values() if e.kind == ContentKind.FAQ]
    assert len(faqs) >= 40
    for entry in faqs:
        assert entry.sources, entry.key
        assert entry.topic in ANSWER_TOPICS, entry.key
    per_topic: dict[str, int] = {}
    for entry in faqs:
        per_topic[entry.topic] = per_topic.get(entry.topic, 0) + 1
    assert all(per_topic[t] >= 8 for t in ("family_reunification", "asylum_appeal", "housing", "education"))


def test_appeal_deadlines_are_stated_correctly() -> None:
    """The two appeal deadlines (§ 74 and § 36 AsylG) appear in every required language's answer."""
    for language in REQUIRED_LANGUAGES:
        text = load_language_file(language)["utter_faq_appeal/deadline"]
        assert "2" in text and "1" in text, language
    de = load_language_file("de")["utter_faq_appeal/deadline"]
    assert "2 Wochen" in de and "1 Woche" in de


def test_domain_responses_are_generated_from_the_catalogue() -> None:
    assert DOMAIN_RESPONSES.read_text(encoding="utf-8") == domain_responses_yaml(), (
        "run `lotse content domain`"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_office_notice_keeps_its_placeholders_and_has_seven_weekdays(language: str) -> None:
    texts = load_language_file(language)
    assert set(re.findall(r"\{(\w+)\}", texts["meta_office_open"])) == {"until"}, language
    assert set(re.findall(r"\{(\w+)\}", texts["meta_office_closed"])) == {"day", "time"}, language
    weekdays = [d for d in texts["meta_weekdays"].splitlines() if d.strip()]
    assert len(weekdays) == len(set(weekdays)) == 7, language


def test_there_are_six_to_eight_canned_replies_and_none_reaches_rasa() -> None:
    canned = [k for k in CATALOG if k.startswith("canned_")]
    assert 6 <= len(canned) <= 8
    assert all(CATALOG[k].topic == "other" and CATALOG[k].kind == ContentKind.FIXED for k in canned)
    assert not any(k in DOMAIN_RESPONSES.read_text(encoding="utf-8") for k in canned)
