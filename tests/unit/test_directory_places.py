"""Place names against the shipped directory data (bot/directory/data): the examples people write."""

from __future__ import annotations

import pytest

from bot.directory.service import match_town


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("Beratung in Gotha?", "gotha"),
        ("أين أجد استشارة في ايرفورت", "erfurt"),  # a spelling the data do not list, after "in"
        ("کجا مشاوره پیدا کنم در ایرفورت", "erfurt"),
        ("Эрфурт", "erfurt"),
        ("Гота", "gotha"),
        ("Eisenach", "wartburgkreis"),  # part of the Wartburgkreis since 2021
    ],
)
def test_places_people_name_resolve_to_their_district(text: str, district: str) -> None:
    found = match_town(text)
    assert found is not None and found.key == district


def test_a_typo_in_a_short_answer_resolves() -> None:
    found = match_town("Erfurth", answer=True)
    assert found is not None and found.key == "erfurt"


@pytest.mark.parametrize(
    "text",
    ["Hinterposemuckel", "كيف الطقس بكرا", "أين أجد استشارة قانونية", "wann endet meine Frist", "ووایم"],
)
def test_words_that_are_no_place_resolve_to_nothing(text: str) -> None:
    assert match_town(text) is None
