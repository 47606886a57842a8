"""The counselling directory data (bot/directory/data): districts, gazetteer and services stay consistent."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import yaml

from bot.directory.models import SERVICE_KINDS, SERVICE_TOPICS
from bot.language.languages import LANGUAGES

DATA = Path(__file__).resolve().parents[2] / "bot" / "directory" / "data"

DISTRICT_KINDS = {"landkreis", "kreisfreie_stadt"}
TOPICS = SERVICE_TOPICS
SERVICE_FIELDS = {
    "id",
    "district",
    "kind",
    "topics",
    "name",
    "address",
    "phone",
    "email",
    "url",
    "languages",
    "opening_hours",
    "source",
    "as_of",
}


def _load(name: str) -> Any:
    with (DATA / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def districts() -> list[dict[str, Any]]:
    data = _load("districts.yml")
    return list(data["districts"])


@pytest.fixture(scope="module")
def gazetteer() -> dict[str, Any]:
    return dict(_load("gazetteer.yml"))


@pytest.fixture(scope="module")
def services() -> list[dict[str, Any]]:
    return list(_load("services.yml")["services"])


def _walk_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk_strings(v)]
    return []


def _is_url(value: str) -> bool:
    return re.fullmatch(r"https?://[^\s]+", value) is not None


def test_22_districts_with_unique_keys_and_ags(districts: list[dict[str, Any]]) -> None:
    assert len(districts) == 22
    assert len({d["key"] for d in districts}) == 22
    assert len({d["ags"] for d in districts}) == 22
    kinds = [d["kind"] for d in districts]
    assert set(kinds) <= DISTRICT_KINDS
    assert kinds.count("kreisfreie_stadt") == 5
    assert kinds.count("landkreis") == 17
    cities = {d["name"] for d in districts if d["kind"] == "kreisfreie_stadt"}
    assert cities == {"Erfurt", "Gera", "Jena", "Suhl", "Weimar"}


def test_district_fields(districts: list[dict[str, Any]]) -> None:
    for d in districts:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", d["key"]), d["key"]
        assert re.fullmatch(r"16\d{3}", d["ags"]), d
        assert d["seat"] and d["name"]
        # Thuringia lies within these bounds; 4 decimals at most.
        assert 50.1 < d["lat"] < 51.7 and 9.8 < d["lon"] < 12.7, d
        assert round(d["lat"], 4) == d["lat"] and round(d["lon"], 4) == d["lon"]
        assert _is_url(d["coords_source"]["url"])
        assert isinstance(d["alt_names"], list)


def test_eisenach_is_no_district_any_more(districts: list[dict[str, Any]], gazetteer: dict[str, Any]) -> None:
    assert "16056" not in {d["ags"] for d in districts}
    eisenach = [m for m in gazetteer["municipalities"] if m["name"] == "Eisenach"]
    assert len(eisenach) == 1
    assert eisenach[0]["district"] == "wartburgkreis" and eisenach[0]["ags"] == "16063105"


def test_every_gazetteer_row_maps_to_one_district(
    districts: list[dict[str, Any]], gazetteer: dict[str, Any]
) -> None:
    by_ags = {d["ags"]: d["key"] for d in districts}
    rows = gazetteer["municipalities"]
    assert len(rows) > 500
    assert len({r["ags"] for r in rows}) == len(rows)
    for r in rows:
        assert re.fullmatch(r"16\d{6}", r["ags"]), r
        assert r["district_ags"] == r["ags"][:5], r
        assert r["district"] == by_ags[r["district_ags"]], r
        assert r["kind"] in {"stadt", "gemeinde"}
    # every district has at least one municipality; a kreisfreie Stadt exactly one
    for d in districts:
        n = sum(1 for r in rows if r["district"] == d["key"])
        assert n >= 1, d["key"]
        if d["kind"] == "kreisfreie_stadt":
            assert n == 1, d["key"]
    municipalities = {r["ags"] for r in rows}
    for loc in gazetteer.get("localities") or []:
        assert loc["municipality_ags"] in municipalities, loc
        assert loc["district"] == by_ags[loc["district_ags"]], loc
        assert _is_url(loc["source"]["url"])


def test_services_are_complete_and_sourced(
    districts: list[dict[str, Any]], services: list[dict[str, Any]]
) -> None:
    keys = {d["key"] for d in districts} | {"thuringia"}
    ids = [s["id"] for s in services]
    assert len(ids) == len(set(ids))
    for s in services:
        assert set(s) >= SERVICE_FIELDS, (s["id"], SERVICE_FIELDS - set(s))
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s["id"]), s["id"]
        assert s["district"] in keys, s["id"]
        assert set(s.get("also_serves") or []) <= keys, s["id"]
        assert s["kind"] in SERVICE_KINDS, s["id"]
        assert s["topics"] and set(s["topics"]) <= TOPICS, s["id"]
        assert s["name"]
        assert s["source"]["title"] and _is_url(s["source"]["url"]), s["id"]
        assert s["as_of"] == dt.date(2026, 12, 6), s["id"]
        if s["url"] is not None:
            assert _is_url(s["url"]), s["id"]
        if s["email"] is not None:
            assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", s["email"]), s["id"]
        if s["languages"] is not None:
            assert s["languages"] and set(s["languages"]) <= set(LANGUAGES), s["id"]
        for extra in s.get("see_also") or []:
            assert extra["title"] and _is_url(extra["url"]), s["id"]


def test_no_empty_strings(
    districts: list[dict[str, Any]], gazetteer: dict[str, Any], services: list[dict[str, Any]]
) -> None:
    for value in _walk_strings(districts) + _walk_strings(gazetteer) + _walk_strings(services):
        assert value.strip() == value and value != "", repr(value)


def test_phone_numbers_parse_as_german(services: list[dict[str, Any]]) -> None:
    phones = [s["phone"] for s in services if s["phone"] is not None]
    assert phones
    for phone in phones:
        parsed = phonenumbers.parse(phone, "DE")
        assert parsed.country_code == 49
        assert phonenumbers.is_valid_number(parsed), phone


def test_an_immigration_authority_for_every_district(
    districts: list[dict[str, Any]], services: list[dict[str, Any]]
) -> None:
    covered = {s["district"] for s in services if s["kind"] == "immigration_authority"}
    assert covered == {d["key"] for d in districts}
