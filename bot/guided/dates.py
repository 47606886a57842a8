"""Deadline arithmetic for the guided flows: pure functions, the caller passes "today".

Appeal periods (weeks), § 57 Abs. 2 VwGO with § 222 ZPO and §§ 187 Abs. 1, 188 Abs. 2 BGB:

* the day of delivery is not counted (§ 187 Abs. 1 BGB: the event happens during the day);
* a period in weeks ends at the end of the day of the last week that has the same weekday name as the
  delivery day (§ 188 Abs. 2 BGB): delivered on a Thursday, a 2-week period ends on the Thursday two
  weeks later;
* if that day is a Saturday, a Sunday or a general public holiday, the period ends at the end of the next
  working day (§ 222 Abs. 2 ZPO), so the shift is repeated while the day is still not a working day
  (Christmas on a Friday: 25 Dec, 26 Dec, Sunday -> Monday 28 Dec). The holidays are those at the court's
  seat, by default Thuringia (``holidays.country_holidays("DE", subdiv="TH")``), which has Reformation Day
  (31 October) and Weltkindertag (20 September, since 2019).

Months (family reunification notice, § 29 Abs. 2 AufenthG: 3 months after the recognition became final),
§§ 187 Abs. 1, 188 Abs. 2 and 3 BGB: the day of the event is not counted; the period ends on the day of the
last month with the same number as the start day; if that month has no such day, on its last day. There is
deliberately NO weekend/holiday shift here, see :func:`months_deadline`.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

ShiftKind = Literal["saturday", "sunday", "holiday"]

_MAX_SHIFT_DAYS = 14
"""A run of non-working days is never this long; the bound only guards the loop."""


@dataclass(frozen=True, slots=True)
class ShiftReason:
    """Why ``day`` is not the last day: it is a Saturday, a Sunday or a public holiday.

    A public holiday that falls on a weekend is reported as ``"holiday"`` (with its name), because that
    is the more specific reason; ``name`` is the German name from the ``holidays`` library and is set
    only for holidays.
    """

    day: date
    kind: ShiftKind
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Deadline:
    """The result of :func:`appeal_deadline`.

    ``nominal``: the day the period ends by the calendar (§ 188 Abs. 2 BGB), before any shift;
    ``last_day``: the day the period really ends (at 24:00); ``shifted``: ``last_day != nominal``;
    ``reasons``: one entry for the nominal day and each further skipped day, in order (empty when not
    shifted).
    """

    nominal: date
    last_day: date
    shifted: bool
    reasons: tuple[ShiftReason, ...]


@lru_cache(maxsize=1)
def _german_subdivisions() -> frozenset[str]:
    return frozenset(holiday_calendars.list_supported_countries()["DE"])


@lru_cache(maxsize=64)
def _holiday_names(subdivision: str, year: int) -> dict[date, str]:
    calendar_ = holiday_calendars.country_holidays("DE", subdiv=subdivision, years=year, language="de")
    return dict(calendar_.items())


def holiday_name(day: date, subdivision: str = "TH") -> str | None:
    """The German name of the public holiday on ``day`` in Germany + ``subdivision``, or None."""
    return _holiday_names(subdivision, day.year).get(day)


def non_working_reason(day: date, subdivision: str = "TH") -> ShiftReason | None:
    """Why ``day`` is not a working day in the sense of § 222 Abs. 2 ZPO, or None when it is one."""
    name = holiday_name(day, subdivision)
    if name is not None:
        return ShiftReason(day=day, kind="holiday", name=name)
    if day.weekday() == 5:
        return ShiftReason(day=day, kind="saturday")
    if day.weekday() == 6:
        return ShiftReason(day=day, kind="sunday")
    return None


def appeal_deadline(delivered: date, weeks: int, *, subdivision: str = "TH") -> Deadline:
    """The last day of a period of ``weeks`` weeks that starts with delivery on ``delivered``.

    The nominal end is ``delivered + weeks`` weeks (same weekday); when that day is a Saturday, Sunday or a
    public holiday in Germany + ``subdivision`` (the court's seat, default Thuringia), the period ends on
    the next working day. Raises ValueError for ``weeks < 1`` or an unknown subdivision.
    """
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"weeks must be a positive whole number, not {weeks!r}")
    if subdivision not in _german_subdivisions():
        raise ValueError(f"unknown German subdivision {subdivision!r}")
    nominal = delivered + timedelta(weeks=weeks)
    day = nominal
    reasons: list[ShiftReason] = []
    while (reason := non_working_reason(day, subdivision)) is not None:
        reasons.append(reason)
        day += timedelta(days=1)
        if len(reasons) > _MAX_SHIFT_DAYS:  # pragma: no cover - no calendar has such a run
            raise RuntimeError(f"more than {_MAX_SHIFT_DAYS} non-working days after {nominal}")
    return Deadline(nominal=nominal, last_day=day, shifted=day != nominal, reasons=tuple(reasons))


def months_deadline(start: date, months: int) -> date:
    """The last day of a period of ``months`` months that starts with the event on ``start``.

    §§ 187 Abs. 1, 188 Abs. 2 and 3 BGB: the day with the same number in the last month, or that month's
    last day when it is shorter (31 Jan + 1 month -> 28/29 Feb; 30 Nov 2027 + 3 months -> 29 Feb 2028).

    Deliberately NO shift for weekends or public holidays: § 193 BGB would move a last day that is a
    Saturday, Sunday or holiday to the next working day, but the family reunification notice (§ 29
    Abs. 2 Satz 2 Nr. 1 AufenthG) can be sent online on any day, and the flow gives the earlier date so
    that nobody relies on a shift that an authority might see differently. The result is therefore never
    later than the legal last day.
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a positive whole number, not {months!r}")
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def days_left(last_day: date, today: date) -> int:
    """Days from ``today`` to ``last_day``: 0 when today is the last day, negative when it has passed."""
    return (last_day - today).days


def reminder_days(last_day: date, offsets: Sequence[int], today: date) -> list[date]:
    """The days ``last_day - n`` for each ``n`` in ``offsets`` that are still after ``today``.

    Sorted ascending, without duplicates; a reminder day equal to today (or earlier) is left out, since
    a reminder for today is sent by the flow itself. ``offsets`` must not be negative (0 = the last day).
    """
    days: set[date] = set()
    for offset in offsets:
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"reminder offsets must be whole numbers >= 0, not {offset!r}")
        day = last_day - timedelta(days=offset)
        if day > today:
            days.add(day)
    return sorted(days)


def local_today(tz: str = "Europe/Berlin", now: datetime | None = None) -> date:
    """Today's date in the time zone ``tz`` (the court's and the office's, by default).

    ``now`` (for tests) must be timezone-aware; without it the current time is used. A naive ``now`` is
    refused, because shortly after midnight the UTC and the Berlin date differ.
    """
    zone = ZoneInfo(tz)
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(zone).date()
