"""The decision type -> appeal period table of the appeal deadline helper (``data/appeal_periods.yml``).

The table is data with its legal source, validity and the day it was last checked (see the file header).
A period stated in the notice itself (its Rechtsbehelfsbelehrung) always wins over the table:
:meth:`PeriodTable.period_for` returns the source, "letter" or "table", so the flow can say which it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

PERIODS_FILE = Path(__file__).parent / "data" / "appeal_periods.yml"
DECISIONS = ("rejected", "manifestly", "dublin", "lower", "unknown")
"""rejected: simply unfounded; manifestly: manifestly unfounded or inadmissible; dublin: Dublin or safe
third country transfer; lower: protection granted, but a lower one; unknown: the person cannot tell."""
ALLOWED_WEEKS = frozenset({1, 2})

PeriodSource = Literal["letter", "table"]


class PeriodTableError(ValueError):
    """The period table file is missing something or has an impossible value."""


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class PeriodRule:
    weeks: int
    law: str


@dataclass(frozen=True, slots=True)
class PeriodTable:
    """The validated contents of ``appeal_periods.yml``."""

    rules: str
    valid_from: date
    checked_on: date
    note: str
    sources: tuple[Source, ...]
    decisions: Mapping[str, PeriodRule]

    def rule_for(self, decision: str) -> PeriodRule:
        """The rule for ``decision`` (one of :data:`DECISIONS`); ValueError for any other key."""
        try:
            return self.decisions[decision]
        except KeyError:
            raise ValueError(f"unknown decision type {decision!r}; expected one of {DECISIONS}") from None

    def weeks_for(self, decision: str) -> int:
        """The period in weeks that the table gives for ``decision``."""
        return self.rule_for(decision).weeks

    def period_for(self, decision: str, stated_weeks: int | None) -> tuple[int, PeriodSource]:
        """(weeks, source): the period stated in the letter if any ("letter"), else the table's ("table").

        A stated period wins even when it differs from the table: the notice is what the person holds
        (whether an incorrect Rechtsbehelfsbelehrung changes the period, § 58 VwGO, is for a counsellor,
        not for the flow). The decision type is checked in both cases so that a typo in a flow fails loudly.
        """
        rule = self.rule_for(decision)
        if stated_weeks is None:
            return rule.weeks, "table"
        if isinstance(stated_weeks, bool) or not isinstance(stated_weeks, int) or stated_weeks < 1:
            raise ValueError(f"a stated period must be a positive number of weeks, not {stated_weeks!r}")
        return stated_weeks, "letter"


def _date(data: Mapping[str, Any], key: str) -> date:
    value = data.get(key)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise PeriodTableError(f"{key} must be a date (YYYY-MM-DD), not {value!r}")
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PeriodTableError(f"{key} must be a non-empty text")
    return value.strip()


def _sources(value: Any) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise PeriodTableError("sources must be a non-empty list")
    sources = []
    for item in value:
        if not isinstance(item, dict):
            raise PeriodTableError(f"a source must be a mapping with title and url, not {item!r}")
        title, url = _text(item, "title"), _text(item, "url")
        if not url.startswith("https://"):
            raise PeriodTableError(f"source url must start with https://: {url!r}")
        sources.append(Source(title=title, url=url))
    return tuple(sources)


def _decisions(value: Any) -> Mapping[str, PeriodRule]:
    if not isinstance(value, dict):
        raise PeriodTableError("decisions must be a mapping")
    missing = sorted(set(DECISIONS) - set(value))
    extra = sorted(str(key) for key in set(value) - set(DECISIONS))
    if missing or extra:
        raise PeriodTableError(f"decisions: missing {missing}, unknown {extra}")
    rules: dict[str, PeriodRule] = {}
    for key in DECISIONS:
        entry = value[key]
        if not isinstance(entry, dict):
            raise PeriodTableError(f"decisions.{key} must be a mapping with weeks and law")
        weeks = entry.get("weeks")
        if isinstance(weeks, bool) or weeks not in ALLOWED_WEEKS:
            raise PeriodTableError(f"decisions.{key}.weeks must be 1 or 2, not {weeks!r}")
        rules[key] = PeriodRule(weeks=int(weeks), law=_text(entry, "law"))
    return MappingProxyType(rules)


@lru_cache(maxsize=8)
def load_periods(path: Path | str = PERIODS_FILE) -> PeriodTable:
    """Read and validate the period table (cached per path); PeriodTableError when it is not valid."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (
        OSError,
        ValueError,
        yaml.YAMLError,
    ) as error:  # ValueError: an impossible date such as 2024-13-01
        raise PeriodTableError(f"cannot read {path}: {error}") from error
    if not isinstance(data, dict):
        raise PeriodTableError(f"{path}: not a mapping")
    valid_from, checked_on = _date(data, "valid_from"), _date(data, "checked_on")
    if checked_on < valid_from:
        raise PeriodTableError("checked_on is before valid_from")
    return PeriodTable(
        rules=_text(data, "rules"),
        valid_from=valid_from,
        checked_on=checked_on,
        note=_text(data, "note"),
        sources=_sources(data.get("sources")),
        decisions=_decisions(data.get("decisions")),
    )
