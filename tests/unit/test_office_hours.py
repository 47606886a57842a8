"""Office hours: parsing, open/closed and the next opening (fixed datetimes, DST changes)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.office_hours import OfficeHoursError, office_status, parse_office_hours
from tests.conftest import make_settings

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = parse_office_hours("mon-fri 08:00-16:00")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_parse_groups_lists_and_breaks() -> None:
    hours = parse_office_hours("mon-thu 08:00-12:00 13:00-16:00; fri,sat 9:30-12:00", "Europe/Berlin")
    assert hours.periods[0] == ((time(8), time(12)), (time(13), time(16)))
    assert hours.periods[4] == hours.periods[5] == ((time(9, 30), time(12)),)
    assert hours.periods[6] == ()


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("", "empty"),
        ("mon-fri", "no time range"),
        ("monday 08:00-16:00", "unknown day"),
        ("fri-mon 08:00-16:00", "backwards"),
        ("mon-fri 8-16", "HH:MM-HH:MM"),
        ("mon-fri 16:00-08:00", "must end after"),
        ("mon-fri 08:00-25:00", "impossible"),
        ("mon 08:00-12:00 11:00-14:00", "overlapping"),
    ],
)
def test_invalid_specs_say_why(spec: str, reason: str) -> None:
    with pytest.raises(OfficeHoursError, match=reason):
        parse_office_hours(spec)


def test_settings_reject_bad_hours_and_zones_at_start_up() -> None:
    with pytest.raises(ValidationError, match=r"LOTSE_OFFICE_HOURS='mo-fr 8-16'.*unknown day"):
        make_settings(office_hours="mo-fr 8-16")
    with pytest.raises(ValidationError, match=r"LOTSE_OFFICE_TIMEZONE.*Mars/Olympus"):
        make_settings(office_timezone="Mars/Olympus")
    assert make_settings(office_hours="mon 09:00-10:00").office.periods[0] == ((time(9), time(10)),)


def test_within_office_hours() -> None:
    status = office_status(WEEKDAYS, at(2026, 11, 25, 10, 30))  # Wednesday
    assert status.is_open and status.closes_at == at(2026, 11, 25, 16)
    assert status.next_opening == at(2026, 11, 26, 8)


def test_before_opening_the_same_day() -> None:
    status = office_status(WEEKDAYS, at(2026, 11, 25, 7, 59))
    assert not status.is_open and status.closes_at is None
    assert status.next_opening == at(2026, 11, 25, 8)


def test_closing_time_itself_is_closed() -> None:
    status = office_status(WEEKDAYS, at(2026, 11, 25, 16))
    assert not status.is_open and status.next_opening == at(2026, 11, 26, 8)


def test_friday_evening_and_weekend_open_on_monday() -> None:
    for now in (at(2026, 11, 27, 16, 1), at(2026, 11, 28, 12), at(2026, 11, 29, 23, 59)):
        status = office_status(WEEKDAYS, now)
        assert not status.is_open and status.next_opening == at(2026, 11, 30, 8), now


def test_lunch_break_opens_again_the_same_day() -> None:
    hours = parse_office_hours("mon-fri 08:00-12:00 13:00-16:00")
    status = office_status(hours, at(2026, 11, 25, 12, 15))
    assert not status.is_open and status.next_opening == at(2026, 11, 25, 13)
    morning = office_status(hours, at(2026, 11, 25, 9))
    assert morning.closes_at == at(2026, 11, 25, 12)


def test_one_day_a_week_opens_again_a_week_later() -> None:
    hours = parse_office_hours("tue 09:00-11:00")
    status = office_status(hours, at(2026, 11, 24, 10))
    assert status.is_open and status.next_opening == at(2026, 12, 1, 9)


def test_utc_input_is_read_in_office_time() -> None:
    # 06:30 UTC on a winter Wednesday is 07:30 in Berlin: closed, opens at 08:00 = 07:00 UTC
    status = office_status(WEEKDAYS, datetime(2026, 11, 25, 6, 30, tzinfo=UTC))
    assert not status.is_open
    assert status.next_opening.astimezone(UTC) == datetime(2026, 11, 25, 7, tzinfo=UTC)


def test_spring_forward_weekend() -> None:
    # Berlin goes from CET (+1) to CEST (+2) on Sunday 2026-03-29
    status = office_status(WEEKDAYS, at(2026, 3, 27, 18))
    assert status.next_opening.astimezone(UTC) == datetime(2026, 3, 30, 6, tzinfo=UTC)
    before = office_status(WEEKDAYS, at(2026, 3, 27, 9))
    assert before.closes_at is not None
    assert before.closes_at.astimezone(UTC) == datetime(2026, 3, 27, 15, tzinfo=UTC)


def test_fall_back_weekend() -> None:
    # CEST (+2) back to CET (+1) on Sunday 2026-10-25
    status = office_status(WEEKDAYS, at(2026, 10, 23, 17))
    assert status.next_opening.astimezone(UTC) == datetime(2026, 10, 26, 7, tzinfo=UTC)


def test_opening_inside_the_skipped_hour_moves_forward() -> None:
    hours = parse_office_hours("sun 02:30-04:00")
    status = office_status(hours, at(2026, 3, 29, 0, 30))
    assert status.next_opening.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert status.next_opening.hour == 3  # 02:30 does not exist that night: 03:30 CEST


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        office_status(WEEKDAYS, datetime(2026, 11, 25, 10))


# Public holidays (Germany and Thuringia by default, from the `holidays` library)


def test_german_unity_day_is_closed_all_day() -> None:
    # Saturday 3 October 2026 is not a working day anyway; 2025's fell on a Friday
    status = office_status(WEEKDAYS, at(2025, 10, 3, 10))
    assert not status.is_open and status.closes_at is None
    assert status.next_opening == at(2025, 10, 6, 8)  # Monday
    evening_before = office_status(WEEKDAYS, at(2025, 10, 2, 17))
    assert evening_before.next_opening == at(2025, 10, 6, 8)


def test_thuringian_holidays_are_closed() -> None:
    # Weltkindertag (20 September) is a public holiday only in Thuringia: Monday 20 September 2027
    status = office_status(WEEKDAYS, at(2027, 9, 20, 9))
    assert not status.is_open and status.next_opening == at(2027, 9, 21, 8)
    # Reformationstag, Saturday 31 October 2026 -> Friday 31 October 2025
    assert not office_status(WEEKDAYS, at(2025, 10, 31, 9)).is_open
    elsewhere = parse_office_hours("mon-fri 08:00-16:00", holidays="DE-BY")  # Bavaria keeps them open
    assert office_status(elsewhere, at(2027, 9, 20, 9)).is_open


def test_christmas_and_easter_runs_open_after_the_last_holiday() -> None:
    # Thursday 24 Dec 2026 after closing: 25th (Fri) holiday, weekend, open Monday 28th
    assert office_status(WEEKDAYS, at(2026, 12, 24, 16, 30)).next_opening == at(2026, 12, 28, 8)
    # Maundy Thursday 2026 (2 April) evening: Good Friday, weekend, Easter Monday -> Tuesday 7 April
    status = office_status(WEEKDAYS, at(2026, 4, 2, 12))
    assert status.is_open and status.next_opening == at(2026, 4, 7, 8)
    assert office_status(WEEKDAYS, at(2026, 4, 6, 10)).next_opening == at(2026, 4, 7, 8)


def test_one_weekly_day_on_a_holiday_skips_to_the_next_week() -> None:
    hours = parse_office_hours("thu 09:00-11:00")  # Ascension Day, Thursday 14 May 2026
    status = office_status(hours, at(2026, 5, 13, 12))
    assert status.next_opening == at(2026, 5, 21, 9)


def test_holidays_can_be_switched_off_or_changed() -> None:
    none = parse_office_hours("mon-fri 08:00-16:00", holidays="none")
    assert office_status(none, at(2025, 10, 3, 10)).is_open
    assert parse_office_hours("mon 08:00-09:00", holidays="de-th").holidays == ("DE", "TH")
    assert parse_office_hours("mon 08:00-09:00", holidays="DE").holidays == ("DE", None)
    with pytest.raises(OfficeHoursError, match="unknown public holiday region 'DE-XX'"):
        parse_office_hours("mon 08:00-09:00", holidays="DE-XX")


def test_settings_use_thuringia_by_default_and_check_the_region() -> None:
    settings = make_settings()
    assert settings.office.holidays == ("DE", "TH")
    assert not office_status(settings.office, at(2025, 10, 3, 10)).is_open
    with pytest.raises(ValidationError, match=r"LOTSE_OFFICE_HOLIDAYS.*'XX'"):
        make_settings(office_holidays="XX")
    assert make_settings(office_holidays="none").office.holidays is None
