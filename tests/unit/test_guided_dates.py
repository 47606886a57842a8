"""Deadline arithmetic of the guided flows (bot/guided/dates.py): appeal periods in weeks with the
§ 222 Abs. 2 ZPO shift over weekends and Thuringian holidays, months without a shift, reminders, today.

Every expected date below was worked out by hand from a calendar (weekday in the comment), not by running
the code; the property tests then check the rules on thousands of days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.guided.dates import (
    Deadline,
    ShiftReason,
    appeal_deadline,
    days_left,
    holiday_name,
    local_today,
    months_deadline,
    non_working_reason,
    reminder_days,
)

TH_HOLIDAYS = holidays.country_holidays("DE", subdiv="TH", years=range(2019, 2041), language="de")


# ------------------------------------------------------------------------------------ the holiday calendar


@pytest.mark.parametrize("year", range(2019, 2031))
def test_weltkindertag_is_a_thuringian_holiday_since_2019(year: int) -> None:
    assert holiday_name(date(year, 9, 20)) == "Weltkindertag"
    assert holiday_name(date(year, 9, 20), "BE") is None  # not in Berlin


def test_weltkindertag_was_not_a_holiday_before_2019() -> None:
    assert holiday_name(date(2018, 9, 20)) is None


@pytest.mark.parametrize("year", range(2019, 2031))
def test_reformation_day_is_a_thuringian_holiday(year: int) -> None:
    assert holiday_name(date(year, 10, 31)) == "Reformationstag"
    assert holiday_name(date(year, 10, 31), "BY") is None  # Bavaria: no


def test_german_names_of_the_holidays() -> None:
    assert holiday_name(date(2026, 10, 3)) == "Tag der Deutschen Einheit"
    assert holiday_name(date(2026, 12, 25)) == "Erster Weihnachtstag"
    assert holiday_name(date(2026, 12, 26)) == "Zweiter Weihnachtstag"
    assert holiday_name(date(2027, 1, 1)) == "Neujahr"
    assert holiday_name(date(2026, 4, 3)) == "Karfreitag"
    assert holiday_name(date(2026, 4, 6)) == "Ostermontag"
    assert holiday_name(date(2026, 5, 25)) == "Pfingstmontag"
    assert holiday_name(date(2026, 12, 24)) is None  # Christmas Eve is a working day
    assert holiday_name(date(2026, 12, 31)) is None
    assert holiday_name(date(2026, 4, 5)) is None  # Easter Sunday: a Sunday, but no holiday in Thuringia


def test_non_working_reason() -> None:
    assert non_working_reason(date(2026, 12, 5)) == ShiftReason(date(2026, 12, 5), "saturday")
    assert non_working_reason(date(2026, 12, 6)) == ShiftReason(date(2026, 12, 6), "sunday")
    assert non_working_reason(date(2026, 12, 7)) is None
    # a holiday on a Saturday is reported as the holiday, with its name
    assert non_working_reason(date(2026, 10, 3)) == ShiftReason(
        date(2026, 10, 3), "holiday", "Tag der Deutschen Einheit"
    )


# --------------------------------------------------------------------------------------------- weeks


def test_plain_two_weeks_same_weekday() -> None:
    # Wed 2 Dec 2026 -> Wed 16 Dec 2026
    result = appeal_deadline(date(2026, 12, 2), 2)
    assert result == Deadline(date(2026, 12, 16), date(2026, 12, 16), False, ())
    assert result.last_day.weekday() == date(2026, 12, 2).weekday() == 2


def test_one_week_christmas_eve_to_new_years_eve_is_not_shifted() -> None:
    # Thu 24 Dec 2026 -> Thu 31 Dec 2026 (a working day)
    result = appeal_deadline(date(2026, 12, 24), 1)
    assert (result.nominal, result.last_day, result.shifted, result.reasons) == (
        date(2026, 12, 31),
        date(2026, 12, 31),
        False,
        (),
    )


def test_two_weeks_into_new_year_holiday_and_weekend() -> None:
    # Fri 18 Dec 2026 + 2 weeks = Fri 1 Jan 2027 (Neujahr), Sat 2, Sun 3 -> Mon 4 Jan 2027
    assert date(2026, 12, 18).weekday() == 4 and date(2027, 1, 1).weekday() == 4
    result = appeal_deadline(date(2026, 12, 18), 2)
    assert result.nominal == date(2027, 1, 1)
    assert result.last_day == date(2027, 1, 4)
    assert result.last_day.weekday() == 0
    assert result.shifted
    assert result.reasons == (
        ShiftReason(date(2027, 1, 1), "holiday", "Neujahr"),
        ShiftReason(date(2027, 1, 2), "saturday"),
        ShiftReason(date(2027, 1, 3), "sunday"),
    )


def test_christmas_friday_saturday_sunday_chain() -> None:
    # Fri 18 Dec 2026 + 1 week = Fri 25 Dec (holiday), Sat 26 (holiday), Sun 27 -> Mon 28 Dec 2026
    result = appeal_deadline(date(2026, 12, 18), 1)
    assert result.last_day == date(2026, 12, 28)
    assert [r.kind for r in result.reasons] == ["holiday", "holiday", "sunday"]
    assert [r.name for r in result.reasons] == ["Erster Weihnachtstag", "Zweiter Weihnachtstag", None]


def test_christmas_on_a_weekend_2027() -> None:
    # Sat 18 Dec 2027 (delivery on a Saturday) + 1 week = Sat 25 Dec (holiday), Sun 26 (holiday) -> Mon 27
    result = appeal_deadline(date(2027, 12, 18), 1)
    assert result.nominal == date(2027, 12, 25)
    assert result.last_day == date(2027, 12, 27)
    assert [r.day.day for r in result.reasons] == [25, 26]


def test_delivered_on_christmas_day_ends_after_new_year() -> None:
    # Fri 25 Dec 2026 + 1 week = Fri 1 Jan 2027 -> Mon 4 Jan 2027
    assert appeal_deadline(date(2026, 12, 25), 1).last_day == date(2027, 1, 4)


def test_german_unity_day() -> None:
    # Fri 26 Sep 2025 + 1 week = Fri 3 Oct 2025 (holiday) -> Mon 6 Oct 2025
    result = appeal_deadline(date(2025, 9, 26), 1)
    assert result.last_day == date(2025, 10, 6)
    assert result.reasons[0] == ShiftReason(date(2025, 10, 3), "holiday", "Tag der Deutschen Einheit")


def test_reformation_day_in_thuringia_but_not_in_bavaria() -> None:
    # Fri 17 Oct 2025 + 2 weeks = Fri 31 Oct 2025: Thuringia -> Mon 3 Nov; Bavaria: stays Fri 31 Oct
    thuringia = appeal_deadline(date(2025, 10, 17), 2)
    assert thuringia.last_day == date(2025, 11, 3)
    assert thuringia.reasons[0].name == "Reformationstag"
    bavaria = appeal_deadline(date(2025, 10, 17), 2, subdivision="BY")
    assert bavaria.last_day == date(2025, 10, 31)
    assert not bavaria.shifted


def test_weltkindertag_in_thuringia_only() -> None:
    # Mon 13 Sep 2027 + 1 week = Mon 20 Sep 2027 (Weltkindertag in Thuringia) -> Tue 21 Sep
    assert appeal_deadline(date(2027, 9, 13), 1).last_day == date(2027, 9, 21)
    assert appeal_deadline(date(2027, 9, 13), 1, subdivision="BE").last_day == date(2027, 9, 20)


def test_whit_monday() -> None:
    # Mon 3 May 2027 + 2 weeks = Mon 17 May 2027 (Pfingstmontag) -> Tue 18 May
    result = appeal_deadline(date(2027, 5, 3), 2)
    assert result.last_day == date(2027, 5, 18)
    assert result.reasons == (ShiftReason(date(2027, 5, 17), "holiday", "Pfingstmontag"),)


def test_good_friday_weekend_and_easter_monday() -> None:
    # Fri 27 Mar 2026 + 1 week = Good Friday 3 Apr, Sat 4, Easter Sunday 5, Easter Monday 6 -> Tue 7 Apr 2026
    result = appeal_deadline(date(2026, 3, 27), 1)
    assert result.last_day == date(2026, 4, 7)
    assert [(r.day.day, r.kind, r.name) for r in result.reasons] == [
        (3, "holiday", "Karfreitag"),
        (4, "saturday", None),
        (5, "sunday", None),
        (6, "holiday", "Ostermontag"),
    ]


def test_easter_monday_alone() -> None:
    # Mon 30 Mar 2026 + 1 week = Easter Monday 6 Apr -> Tue 7 Apr
    assert appeal_deadline(date(2026, 3, 30), 1).last_day == date(2026, 4, 7)


def test_labour_day_and_ascension() -> None:
    # Fri 24 Apr 2026 + 1 week = Fri 1 May (holiday) -> Mon 4 May
    # Thu 7 May 2026 + 1 week = Thu 14 May (Ascension) -> Fri 15 May
    assert appeal_deadline(date(2026, 4, 24), 1).last_day == date(2026, 5, 4)
    assert appeal_deadline(date(2026, 5, 7), 1).last_day == date(2026, 5, 15)


def test_weekend_shift_without_holiday() -> None:
    # delivered on Sat 5 Dec 2026 + 2 weeks = Sat 19 Dec -> Mon 21 Dec
    result = appeal_deadline(date(2026, 12, 5), 2)
    assert result.last_day == date(2026, 12, 21)
    assert [r.kind for r in result.reasons] == ["saturday", "sunday"]
    # delivered on Sun 6 Dec 2026 + 1 week = Sun 13 Dec -> Mon 14 Dec
    assert appeal_deadline(date(2026, 12, 6), 1).last_day == date(2026, 12, 14)


def test_across_the_year_and_leap_day() -> None:
    # Mon 28 Dec 2026 + 1 week = Mon 4 Jan 2027; Tue 22 Feb 2028 + 1 week = Tue 29 Feb 2028
    assert appeal_deadline(date(2026, 12, 28), 1).last_day == date(2027, 1, 4)
    assert appeal_deadline(date(2028, 2, 22), 1).last_day == date(2028, 2, 29)


@pytest.mark.parametrize("weeks", [0, -1, True])
def test_invalid_weeks(weeks: int) -> None:
    with pytest.raises(ValueError, match="weeks"):
        appeal_deadline(date(2026, 12, 2), weeks)


def test_unknown_subdivision() -> None:
    with pytest.raises(ValueError, match="subdivision"):
        appeal_deadline(date(2026, 12, 2), 1, subdivision="XX")


def test_deadline_is_frozen() -> None:
    result = appeal_deadline(date(2026, 12, 2), 1)
    with pytest.raises(AttributeError):
        result.last_day = date(2030, 1, 1)  # type: ignore[misc]


@settings(max_examples=1500, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 1)), st.sampled_from([1, 2, 3]))
def test_property_of_every_appeal_deadline(delivered: date, weeks: int) -> None:
    result = appeal_deadline(delivered, weeks)
    assert result.nominal == delivered + timedelta(days=7 * weeks)
    assert result.nominal.weekday() == delivered.weekday()
    assert result.last_day >= result.nominal
    assert result.shifted == (result.last_day != result.nominal)
    if not result.shifted:
        assert result.last_day.weekday() == delivered.weekday()
        assert result.reasons == ()
    # the last day is a working day in Thuringia
    assert result.last_day.weekday() < 5
    assert result.last_day not in TH_HOLIDAYS
    # every skipped day is listed in order, and each really is not a working day
    skipped = [result.nominal + timedelta(days=i) for i in range((result.last_day - result.nominal).days)]
    assert [r.day for r in result.reasons] == skipped
    for reason in result.reasons:
        if reason.kind == "holiday":
            assert reason.day in TH_HOLIDAYS and reason.name == TH_HOLIDAYS[reason.day]
        else:
            assert reason.day not in TH_HOLIDAYS and reason.name is None
            assert reason.day.weekday() == {"saturday": 5, "sunday": 6}[reason.kind]
    assert (result.last_day - result.nominal).days <= 4


# -------------------------------------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # no leap year
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 10, 1), 3, date(2027, 1, 1)),  # New Year's Day, no shift
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 1, 1), 24, date(2028, 1, 1)),
    ],
)
def test_months_deadline(start: date, months: int, expected: date) -> None:
    assert months_deadline(start, months) == expected


def test_months_deadline_never_shifts_for_weekends_or_holidays() -> None:
    # 3 Jul 2026 + 3 months = Sat 3 Oct 2026, German Unity Day: stays (the earlier, safe date)
    result = months_deadline(date(2026, 7, 3), 3)
    assert result == date(2026, 10, 3)
    assert result.weekday() == 5 and result in TH_HOLIDAYS


@pytest.mark.parametrize("months", [0, -3, True])
def test_months_deadline_invalid(months: int) -> None:
    with pytest.raises(ValueError, match="months"):
        months_deadline(date(2026, 1, 1), months)


@settings(max_examples=500, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 36))
def test_property_months_deadline(start: date, months: int) -> None:
    result = months_deadline(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.day == start.day or (result + timedelta(days=1)).day == 1  # else the month's last day
    assert result > start


# ---------------------------------------------------------------------------------- days, reminders


def test_days_left() -> None:
    assert days_left(date(2026, 12, 16), date(2026, 12, 6)) == 10
    assert days_left(date(2026, 12, 16), date(2026, 12, 16)) == 0
    assert days_left(date(2026, 12, 16), date(2026, 12, 17)) == -1
    assert days_left(date(2027, 1, 4), date(2026, 12, 28)) == 7


def test_reminder_days_sorted_unique_and_only_after_today() -> None:
    last = date(2026, 12, 20)
    # 7 days before = 13 Dec = today: left out; 3 given twice
    assert reminder_days(last, [7, 3, 1, 0, 3], today=date(2026, 12, 13)) == [
        date(2026, 12, 17),
        date(2026, 12, 19),
        date(2026, 12, 20),
    ]
    assert reminder_days(last, [1], today=date(2026, 12, 19)) == []
    assert reminder_days(last, [0], today=date(2026, 12, 19)) == [last]
    assert reminder_days(last, [], today=date(2026, 12, 1)) == []
    assert reminder_days(last, [3, 1], today=date(2026, 12, 25)) == []


def test_reminder_days_reject_negative_offsets() -> None:
    with pytest.raises(ValueError, match="offsets"):
        reminder_days(date(2026, 12, 20), [1, -1], today=date(2026, 12, 1))


# -------------------------------------------------------------------------------------------- today


def test_local_today_uses_berlin_not_utc() -> None:
    # 23:30 UTC on 5 Dec is 00:30 on 6 Dec in Berlin (UTC+1); in summer 22:30 UTC is 00:30 (UTC+2)
    assert local_today(now=datetime(2026, 12, 5, 23, 30, tzinfo=UTC)) == date(2026, 12, 6)
    assert local_today(now=datetime(2026, 12, 5, 22, 30, tzinfo=UTC)) == date(2026, 12, 5)
    assert local_today(now=datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == date(2026, 7, 1)
    assert local_today(now=datetime(2026, 6, 30, 21, 30, tzinfo=UTC)) == date(2026, 6, 30)


def test_local_today_other_zone_and_now() -> None:
    assert local_today("America/New_York", datetime(2026, 12, 6, 3, 0, tzinfo=UTC)) == date(2026, 12, 5)
    real = local_today()
    assert abs((real - datetime.now(ZoneInfo("Europe/Berlin")).date()).days) <= 1


def test_local_today_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_today(now=datetime(2026, 12, 6, 12, 0))
