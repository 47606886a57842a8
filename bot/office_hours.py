"""Office hours: parse ``LOTSE_OFFICE_HOURS`` and say whether the office is open and when it opens next.

Format: groups separated by ``;``, each ``DAYS RANGE [RANGE ...]``. ``DAYS`` is a day (``mon``), a
span (``mon-fri``) or a comma list of both (``mon,wed,fri-sat``); a ``RANGE`` is ``HH:MM-HH:MM``
in local time (the end is exclusive and must be later than the start, so a range never crosses
midnight). Examples::

    mon-fri 08:00-16:00
    mon-thu 08:00-12:00 13:00-16:00; fri 08:00-12:00

The office is closed on the public holidays of ``LOTSE_OFFICE_HOLIDAYS`` (default ``DE-TH``: Germany
and Thuringia, e.g. 3 October and Weltkindertag on 20 September), taken from the maintained
``holidays`` library, so Lotse never says "open today until 16:00" on a holiday.

Everything here is pure: the caller passes the current time, so tests use fixed datetimes.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_SEARCH_DAYS = 31
"""Days searched for the next opening: a week plus a run of holidays (Christmas, Easter)."""


class OfficeHoursError(ValueError):
    """The office hours setting cannot be understood."""


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """Weekly opening periods (weekday 0 = Monday -> sorted, non-overlapping (start, end)) in ``zone``."""

    periods: tuple[tuple[tuple[time, time], ...], ...]
    zone: ZoneInfo
    spec: str
    holidays: tuple[str, str | None] | None = None
    """(ISO country, subdivision or None) whose public holidays close the office; None: no holidays."""


@dataclass(frozen=True, slots=True)
class OfficeStatus:
    """Where ``now`` stands: open (and until when), and the next opening after now, in local time."""

    is_open: bool
    closes_at: datetime | None
    next_opening: datetime


def _day_set(text: str) -> set[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise OfficeHoursError(f"unknown day in {text!r}; use {', '.join(DAYS)} (e.g. mon-fri)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise OfficeHoursError(f"day span {part.strip()!r} runs backwards")
        days.update(range(start, end + 1))
    return days


def _range(text: str) -> tuple[time, time]:
    match = _RANGE.match(text)
    if match is None:
        raise OfficeHoursError(f"time range {text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise OfficeHoursError(f"time range {text!r} has an impossible time")
    start, end = time(h1, m1), time(h2, m2)
    if end <= start:
        raise OfficeHoursError(f"time range {text!r} must end after it starts (on the same day)")
    return start, end


def timezone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` or :class:`OfficeHoursError`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OfficeHoursError(f"unknown time zone {name!r} (an IANA name such as Europe/Berlin)") from None


def parse_holidays(text: str) -> tuple[str, str | None] | None:
    """``DE-TH`` -> ("DE", "TH"), ``DE`` -> ("DE", None), ``""``/``none`` -> None; unknown: an error."""
    text = text.strip()
    if text.lower() in ("", "none"):
        return None
    country, _, subdiv = text.partition("-")
    region = (country.strip().upper(), subdiv.strip().upper() or None)
    problem = _region_problem(*region)
    if problem is not None:
        raise OfficeHoursError(f"unknown public holiday region {text!r} ({problem}); e.g. DE-TH, or none")
    return region


@lru_cache(maxsize=16)
def _region_problem(country: str, subdiv: str | None) -> str | None:
    try:
        holiday_calendars.country_holidays(country, subdiv=subdiv)
    except NotImplementedError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=64)
def _holidays_of_year(country: str, subdiv: str | None, year: int) -> dict[date, str]:
    calendar = holiday_calendars.country_holidays(country, subdiv=subdiv, years=year, language="de")
    return {day: str(name) for day, name in calendar.items()}


def holiday(hours: OfficeHours, day: date) -> str | None:
    """The name (German) of the public holiday on ``day`` that closes the office, or None."""
    if hours.holidays is None:
        return None
    country, subdiv = hours.holidays
    return _holidays_of_year(country, subdiv, day.year).get(day)


def parse_office_hours(spec: str, zone: str = "Europe/Berlin", holidays: str = "DE-TH") -> OfficeHours:
    """Parse the setting (see the module docstring); raise :class:`OfficeHoursError` with the reason.

    ``holidays`` is the public holiday region (``LOTSE_OFFICE_HOLIDAYS``): ``DE-TH``, ``DE`` or ``none``.
    """
    per_day: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    groups = [g.strip() for g in spec.lower().split(";") if g.strip()]
    if not groups:
        raise OfficeHoursError("office hours are empty; e.g. 'mon-fri 08:00-16:00'")
    for group in groups:
        days_text, *ranges = group.split()
        if not ranges:
            raise OfficeHoursError(f"{group!r} has no time range; e.g. 'mon-fri 08:00-16:00'")
        for day in _day_set(days_text):
            per_day[day].extend(_range(r) for r in ranges)
    for day, periods in enumerate(per_day):
        periods.sort()
        for (_, end), (start, _) in itertools.pairwise(periods):
            if start < end:
                raise OfficeHoursError(f"overlapping time ranges on {DAYS[day]}")
    return OfficeHours(
        tuple(tuple(p) for p in per_day), timezone(zone), spec.strip(), parse_holidays(holidays)
    )


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at wall-clock ``at`` in ``zone``; a time skipped by a DST change moves forward."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    # A wall time that does not exist (spring forward) does not survive a round trip through UTC.
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)


def office_status(hours: OfficeHours, now: datetime) -> OfficeStatus:
    """Is the office open at ``now`` (timezone-aware), until when, and when does it open next?

    Public holidays (``hours.holidays``) have no opening periods.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(hours.zone)
    closes_at: datetime | None = None
    for offset in range(_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        if holiday(hours, day) is not None:
            continue
        for start, end in hours.periods[day.weekday()]:
            opens, closes = _local(day, start, hours.zone), _local(day, end, hours.zone)
            if opens <= local < closes:
                closes_at = closes
            elif opens > local:
                return OfficeStatus(is_open=closes_at is not None, closes_at=closes_at, next_opening=opens)
    raise OfficeHoursError("office hours have no opening at all")  # parse_office_hours prevents this
