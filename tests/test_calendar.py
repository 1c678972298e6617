"""Tests for district_portal.services.calendar.

Expected values are computed by hand against the official 2026 calendar as
reported by the ``holidays`` package (holidays.VN(years=2026)):

    2026-01-01 Thu  New Year's Day
    2026-02-16 Mon .. 2026-02-20 Fri  Tết (Lunar New Year's Eve + days 1-4)
    2026-04-26 Sun  Hùng Kings' Commemoration Day
    2026-04-27 Mon  Hùng Kings' Commemoration Day (observed)
    2026-04-30 Thu  Reunification Day
    2026-05-01 Fri  International Labour Day
    2026-08-31 Mon  Day off (substituted from Sat 2026-08-22)
    2026-09-01 Tue, 2026-09-02 Wed  National Day
    2026-11-24 Tue  Vietnam Cultural Day

Default office hours: 07:00-11:30 and 13:30-17:00 (8 hours a day).
"""

from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from district_portal.services.calendar import worktime as calendar_module
from district_portal.services.calendar.worktime import (
    DEFAULT_HOURS,
    CalendarScanError,
    WorkCalendar,
    from_local,
    parse_hours,
    to_local,
)


def local(y, m, d, hh=0, mm=0, ss=0):
    """Aware UTC datetime for a Hanoi wall-clock time."""
    return from_local(datetime(y, m, d, hh, mm, ss))


@pytest.fixture
def cal():
    return WorkCalendar()


@pytest.fixture
def cal_730():
    """An office working 7.5 hours a day."""
    return WorkCalendar(hours=parse_hours(["07:30-11:30", "13:30-17:00"]))


# --------------------------------------------------------------------------
# The holidays package itself: guard our hand-computed expectations.
# --------------------------------------------------------------------------


def test_holidays_package_reports_the_2026_days_off_these_tests_rely_on():
    vn = holidays.VN(years=2026)
    for d in [
        date(2026, 1, 1),
        date(2026, 2, 16),
        date(2026, 2, 17),
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
    ]:
        assert d in vn, d
    assert date(2026, 2, 13) not in vn
    assert date(2026, 2, 23) not in vn


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def test_from_local_interprets_wall_clock_in_hanoi_and_returns_utc():
    result = from_local(datetime(2026, 3, 2, 9, 0))
    assert result == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_to_local_converts_utc_to_hanoi_time_of_the_same_instant():
    result = to_local(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    assert result.replace(tzinfo=None) == datetime(2026, 3, 2, 9, 0)
    assert result.utcoffset() == timedelta(hours=7)


def test_to_local_rejects_naive_datetime():
    with pytest.raises(ValueError):
        to_local(datetime(2026, 3, 2, 9, 0))


def test_from_local_rejects_an_already_aware_datetime():
    with pytest.raises(ValueError):
        from_local(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


# --------------------------------------------------------------------------
# parse_hours
# --------------------------------------------------------------------------


def test_parse_hours_returns_time_pairs_in_order():
    assert parse_hours(["07:30-11:30", "13:30-17:00"]) == (
        (time(7, 30), time(11, 30)),
        (time(13, 30), time(17, 0)),
    )


def test_parse_hours_tolerates_spaces_and_single_digit_hours():
    assert parse_hours([" 7:00 - 11:30 "]) == ((time(7, 0), time(11, 30)),)


def test_default_hours_are_seven_to_half_past_eleven_and_half_past_one_to_five():
    assert DEFAULT_HOURS == parse_hours(["07:00-11:30", "13:30-17:00"])


def test_parse_hours_allows_touching_periods():
    assert parse_hours(["08:00-12:00", "12:00-13:00"])[1] == (time(12), time(13))


@pytest.mark.parametrize(
    "specs",
    [
        [],
        ["11:30-07:00"],
        ["07:00-07:00"],
        ["13:30-17:00", "07:00-11:30"],
        ["07:00-12:00", "11:30-17:00"],
        ["07:00-11:30", "08:00-09:00"],
        ["7h-11h"],
        ["25:00-26:00"],
        ["07:61-08:00"],
        ["07:00"],
        [None],
    ],
)
def test_parse_hours_rejects_bad_hours(specs):
    with pytest.raises(ValueError):
        parse_hours(specs)


def test_parse_hours_error_message_is_in_vietnamese():
    with pytest.raises(ValueError, match="giờ bắt đầu phải trước giờ kết thúc"):
        parse_hours(["17:00-13:30"])


def test_constructor_rejects_overlapping_hour_tuples():
    with pytest.raises(ValueError):
        WorkCalendar(hours=((time(7), time(12)), (time(11), time(17))))


def test_constructor_rejects_a_date_that_is_both_day_off_and_make_up_day():
    with pytest.raises(ValueError):
        WorkCalendar(days_off={date(2026, 3, 4)}, make_up_days={date(2026, 3, 4)})


def test_constructor_rejects_datetimes_in_day_sets():
    with pytest.raises(TypeError):
        WorkCalendar(days_off={datetime(2026, 3, 4)})


# --------------------------------------------------------------------------
# is_working_day
# --------------------------------------------------------------------------


def test_ordinary_weekdays_are_working_days(cal):
    for d in range(2, 7):  # Mon 2 Mar .. Fri 6 Mar 2026
        assert cal.is_working_day(date(2026, 3, d))


def test_saturday_and_sunday_are_not_working_days(cal):
    assert not cal.is_working_day(date(2026, 3, 7))
    assert not cal.is_working_day(date(2026, 3, 8))


def test_tet_2026_monday_16_to_friday_20_february_are_not_working_days(cal):
    for d in range(16, 21):
        assert not cal.is_working_day(date(2026, 2, d))
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))


def test_hung_kings_observed_monday_27_april_2026_is_not_a_working_day(cal):
    assert not cal.is_working_day(date(2026, 4, 27))
    assert cal.is_working_day(date(2026, 4, 28))


def test_national_day_2026_substitute_31_august_and_1_2_september_are_off(cal):
    assert not cal.is_working_day(date(2026, 8, 31))
    assert not cal.is_working_day(date(2026, 9, 1))
    assert not cal.is_working_day(date(2026, 9, 2))
    assert cal.is_working_day(date(2026, 9, 3))


def test_official_make_up_saturday_22_august_2026_is_off_unless_admin_enters_it(cal):
    # Judgement call: the package marks 31 Aug as "substituted from 22 Aug" but
    # make-up working days come from the admin, not from the package.
    assert not cal.is_working_day(date(2026, 8, 22))
    assert WorkCalendar(make_up_days={date(2026, 8, 22)}).is_working_day(date(2026, 8, 22))


def test_admin_day_off_is_not_a_working_day():
    cal = WorkCalendar(days_off={date(2026, 3, 4)})
    assert not cal.is_working_day(date(2026, 3, 4))
    assert cal.is_working_day(date(2026, 3, 5))


def test_make_up_day_is_working_even_on_a_public_holiday():
    cal = WorkCalendar(make_up_days={date(2026, 2, 17)})
    assert cal.is_working_day(date(2026, 2, 17))


def test_is_working_day_rejects_a_datetime(cal):
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2026, 3, 4, 9))


def test_holiday_lookup_is_built_once_per_year_and_cached(cal, monkeypatch):
    calls = []
    real_vn = holidays.VN

    def counting_vn(*args, **kwargs):
        calls.append(kwargs.get("years"))
        return real_vn(*args, **kwargs)

    monkeypatch.setattr(calendar_module.holidays, "VN", counting_vn)
    calendar_module.public_holidays.cache_clear()
    for d in range(1, 29):
        cal.is_working_day(date(2026, 2, d))
    cal.is_working_day(date(2027, 1, 4))
    cal.is_working_day(date(2027, 1, 5))
    assert calls == [2026, 2027]
    # A second calendar (the next request) reuses the process-wide cache.
    calendar_module.WorkCalendar().is_working_day(date(2026, 3, 2))
    assert calls == [2026, 2027]
    calendar_module.public_holidays.cache_clear()


# --------------------------------------------------------------------------
# is_open / next_opening
# --------------------------------------------------------------------------


def test_office_is_open_at_opening_and_closed_at_closing(cal):
    assert cal.is_open(local(2026, 3, 2, 7, 0))
    assert cal.is_open(local(2026, 3, 2, 16, 59, 59))
    assert not cal.is_open(local(2026, 3, 2, 17, 0))
    assert not cal.is_open(local(2026, 3, 2, 6, 59))


def test_office_is_closed_during_lunch(cal):
    assert not cal.is_open(local(2026, 3, 2, 11, 30))
    assert not cal.is_open(local(2026, 3, 2, 12, 15))
    assert cal.is_open(local(2026, 3, 2, 13, 30))


def test_office_is_closed_on_saturday_and_during_tet(cal):
    assert not cal.is_open(local(2026, 3, 7, 9))
    assert not cal.is_open(local(2026, 2, 17, 9))


def test_is_open_rejects_naive_datetime(cal):
    with pytest.raises(ValueError):
        cal.is_open(datetime(2026, 3, 2, 9))


def test_next_opening_inside_hours_is_the_instant_itself(cal):
    at = local(2026, 3, 2, 9, 17, 3)
    assert cal.next_opening(at) == at


def test_next_opening_returns_utc_even_for_non_utc_aware_input(cal):
    at = to_local(local(2026, 3, 2, 9))
    result = cal.next_opening(at)
    assert result == at and result.tzinfo is UTC


def test_next_opening_before_opening_is_today_at_seven(cal):
    assert cal.next_opening(local(2026, 3, 2, 5, 0)) == local(2026, 3, 2, 7, 0)


def test_next_opening_during_lunch_is_half_past_one(cal):
    assert cal.next_opening(local(2026, 3, 2, 12, 0)) == local(2026, 3, 2, 13, 30)


def test_next_opening_after_closing_on_friday_is_monday_morning(cal):
    assert cal.next_opening(local(2026, 3, 6, 17, 0)) == local(2026, 3, 9, 7, 0)


def test_next_opening_during_tet_is_monday_23_february(cal):
    assert cal.next_opening(local(2026, 2, 13, 17, 30)) == local(2026, 2, 23, 7, 0)


def test_next_opening_gives_up_when_no_working_day_exists_for_years():
    everything_off = {date(2026, 1, 1) + timedelta(days=i) for i in range(4 * 366)}
    cal = WorkCalendar(days_off=everything_off)
    with pytest.raises(CalendarScanError):
        cal.next_opening(local(2026, 1, 1, 9))
    with pytest.raises(CalendarScanError):
        cal.add_working_days(local(2026, 1, 1, 9), 1)
    with pytest.raises(CalendarScanError):
        cal.add_working_hours(local(2026, 1, 1, 9), 1)


# --------------------------------------------------------------------------
# add_working_days
# --------------------------------------------------------------------------


def test_acceptance_on_monday_at_0900_with_three_working_days_is_due_thursday_at_0900(cal):
    assert cal.add_working_days(local(2026, 3, 2, 9), 3) == local(2026, 3, 5, 9)


def test_acceptance_on_thursday_with_two_working_days_skips_the_weekend(cal):
    assert cal.add_working_days(local(2026, 3, 5, 10), 2) == local(2026, 3, 9, 10)


def test_acceptance_at_1659_with_one_working_day_is_due_next_working_day_at_1659(cal):
    assert cal.add_working_days(local(2026, 3, 2, 16, 59), 1) == local(2026, 3, 3, 16, 59)


def test_acceptance_at_1701_with_one_working_day_is_due_two_working_days_later_at_0700(cal):
    # 17:01 is after closing: next opening is Tue 07:00, plus one working day.
    assert cal.add_working_days(local(2026, 3, 2, 17, 1), 1) == local(2026, 3, 4, 7, 0)


def test_acceptance_at_1701_on_friday_with_one_working_day_is_due_tuesday_at_0700(cal):
    assert cal.add_working_days(local(2026, 3, 6, 17, 1), 1) == local(2026, 3, 10, 7, 0)


def test_acceptance_during_lunch_with_one_working_day_is_due_next_day_at_1330(cal):
    assert cal.add_working_days(local(2026, 3, 2, 12, 10), 1) == local(2026, 3, 3, 13, 30)


def test_acceptance_on_saturday_with_one_working_day_is_due_tuesday_at_0700(cal):
    assert cal.add_working_days(local(2026, 3, 7, 10), 1) == local(2026, 3, 10, 7, 0)


def test_zero_working_days_returns_the_opening_adjusted_start(cal):
    assert cal.add_working_days(local(2026, 3, 2, 9), 0) == local(2026, 3, 2, 9)
    assert cal.add_working_days(local(2026, 3, 7, 10), 0) == local(2026, 3, 9, 7)


def test_acceptance_friday_13_february_2026_at_0900_with_three_days_is_due_wednesday_25_february(
    cal,
):
    # holidays.VN(2026) marks Mon 16 .. Fri 20 Feb as Tết; Sat 21 / Sun 22 are
    # the weekend. Working days after Fri 13 Feb: Mon 23 (1), Tue 24 (2),
    # Wed 25 (3) -> due Wed 25 Feb 09:00.
    assert cal.add_working_days(local(2026, 2, 13, 9), 3) == local(2026, 2, 25, 9)


def test_acceptance_before_hung_kings_day_skips_the_observed_monday_and_may_holidays(cal):
    # Fri 24 Apr: Mon 27 (observed), Thu 30 Apr and Fri 1 May are off.
    assert cal.add_working_days(local(2026, 4, 24, 9), 1) == local(2026, 4, 28, 9)
    # Tue 28 (1), Wed 29 (2), Mon 4 May (3).
    assert cal.add_working_days(local(2026, 4, 24, 9), 3) == local(2026, 5, 4, 9)


def test_acceptance_before_national_day_2026_skips_31_august_and_1_2_september(cal):
    # Fri 28 Aug: Sat/Sun, Mon 31 Aug (substitute), Tue 1 and Wed 2 Sep off.
    assert cal.add_working_days(local(2026, 8, 28, 10), 1) == local(2026, 9, 3, 10)


def test_make_up_saturday_counts_as_a_working_day():
    cal = WorkCalendar(make_up_days={date(2026, 8, 22)})
    assert cal.add_working_days(local(2026, 8, 21, 9), 1) == local(2026, 8, 22, 9)
    assert cal.add_working_days(local(2026, 8, 21, 9), 2) == local(2026, 8, 24, 9)


def test_acceptance_on_a_make_up_saturday_is_counted_from_that_saturday():
    cal = WorkCalendar(make_up_days={date(2026, 8, 22)})
    assert cal.add_working_days(local(2026, 8, 22, 8), 1) == local(2026, 8, 24, 8)


def test_admin_day_off_is_skipped_by_working_days():
    cal = WorkCalendar(days_off={date(2026, 3, 4)})
    assert cal.add_working_days(local(2026, 3, 3, 9), 1) == local(2026, 3, 5, 9)


def test_working_days_keep_the_time_of_day_for_a_7_5_hour_office(cal_730):
    # 07:10 is before the 07:30 opening, so the position is 07:30.
    assert cal_730.add_working_days(local(2026, 3, 2, 7, 10), 2) == local(2026, 3, 4, 7, 30)


def test_working_days_result_is_utc(cal):
    assert cal.add_working_days(local(2026, 3, 2, 9), 1).tzinfo is UTC


@pytest.mark.parametrize("n", [-1, 1.5, True, "2"])
def test_working_days_rejects_a_bad_count(cal, n):
    with pytest.raises(ValueError):
        cal.add_working_days(local(2026, 3, 2, 9), n)


def test_working_days_rejects_naive_datetime(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(datetime(2026, 3, 2, 9), 1)


def test_intake_due_equals_add_working_days(cal):
    for start in [local(2026, 2, 13, 9), local(2026, 3, 6, 17, 1), local(2026, 3, 7, 10)]:
        assert cal.intake_due(start, 2) == cal.add_working_days(start, 2)
    assert cal.intake_due(local(2026, 2, 13, 9), 3) == local(2026, 2, 25, 9)


# --------------------------------------------------------------------------
# add_working_hours
# --------------------------------------------------------------------------


def test_seven_and_a_half_hours_from_opening_end_exactly_at_closing(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 2, 7, 30), 7.5) == local(2026, 3, 2, 17, 0)


def test_eight_hours_from_opening_in_a_7_5_hour_office_is_next_morning_at_0800(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 2, 7, 30), 8) == local(2026, 3, 3, 8, 0)


def test_working_hours_skip_the_lunch_break(cal_730):
    # 11:00-11:30 (0.5h) then 13:30-14:00 (0.5h).
    assert cal_730.add_working_hours(local(2026, 3, 2, 11), 1) == local(2026, 3, 2, 14)


def test_working_hours_landing_on_lunch_start_return_the_period_end(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 2, 11), 0.5) == local(2026, 3, 2, 11, 30)


def test_working_hours_started_during_lunch_count_from_1330(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 2, 12), 1) == local(2026, 3, 2, 14, 30)


def test_working_hours_started_before_opening_count_from_0730(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 2, 6), 2) == local(2026, 3, 2, 9, 30)


def test_working_hours_overnight_continue_next_morning(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 2, 16, 30), 1) == local(2026, 3, 3, 8, 0)


def test_working_hours_from_friday_afternoon_continue_on_monday(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 6, 16), 2) == local(2026, 3, 9, 8, 30)


def test_working_hours_started_on_saturday_count_from_monday_opening(cal_730):
    assert cal_730.add_working_hours(local(2026, 3, 7, 10), 4) == local(2026, 3, 9, 11, 30)


def test_working_hours_skip_tet(cal_730):
    # Fri 13 Feb 16:00 -> 1h that day, 2h more from Mon 23 Feb 07:30.
    assert cal_730.add_working_hours(local(2026, 2, 13, 16), 3) == local(2026, 2, 23, 9, 30)


def test_sixteen_working_hours_in_default_office_are_two_full_days(cal):
    assert cal.add_working_hours(local(2026, 3, 2, 7), 16) == local(2026, 3, 3, 17)


def test_zero_working_hours_return_the_next_opening(cal):
    assert cal.add_working_hours(local(2026, 3, 2, 9), 0) == local(2026, 3, 2, 9)
    assert cal.add_working_hours(local(2026, 3, 2, 17), 0) == local(2026, 3, 3, 7)


@pytest.mark.parametrize("hours", [-1, "2", None, True])
def test_working_hours_reject_bad_amounts(cal, hours):
    with pytest.raises(ValueError):
        cal.add_working_hours(local(2026, 3, 2, 9), hours)


# --------------------------------------------------------------------------
# same_day_due
# --------------------------------------------------------------------------


def test_same_day_acceptance_before_1500_is_due_at_todays_closing(cal):
    assert cal.same_day_due(local(2026, 3, 2, 14, 59)) == local(2026, 3, 2, 17, 0)


def test_same_day_acceptance_at_1500_is_due_at_next_working_days_closing(cal):
    assert cal.same_day_due(local(2026, 3, 2, 15, 0)) == local(2026, 3, 3, 17, 0)


def test_same_day_acceptance_after_1500_is_due_at_next_working_days_closing(cal):
    assert cal.same_day_due(local(2026, 3, 2, 16, 30)) == local(2026, 3, 3, 17, 0)


def test_same_day_acceptance_on_friday_after_1500_is_due_at_monday_closing(cal):
    assert cal.same_day_due(local(2026, 3, 6, 15, 30)) == local(2026, 3, 9, 17, 0)


def test_same_day_acceptance_before_opening_counts_as_before_1500(cal):
    assert cal.same_day_due(local(2026, 3, 2, 6, 0)) == local(2026, 3, 2, 17, 0)


def test_same_day_acceptance_during_lunch_is_due_at_todays_closing(cal):
    assert cal.same_day_due(local(2026, 3, 2, 12, 0)) == local(2026, 3, 2, 17, 0)


def test_same_day_acceptance_after_closing_is_due_next_working_day(cal):
    assert cal.same_day_due(local(2026, 3, 2, 20, 0)) == local(2026, 3, 3, 17, 0)


def test_same_day_acceptance_on_saturday_morning_is_due_monday_closing(cal):
    assert cal.same_day_due(local(2026, 3, 7, 9, 0)) == local(2026, 3, 9, 17, 0)


def test_same_day_acceptance_on_friday_before_tet_after_1500_is_due_23_february(cal):
    assert cal.same_day_due(local(2026, 2, 13, 15, 5)) == local(2026, 2, 23, 17, 0)


def test_same_day_acceptance_on_a_make_up_saturday_is_due_that_saturday():
    cal = WorkCalendar(make_up_days={date(2026, 8, 22)})
    assert cal.same_day_due(local(2026, 8, 22, 10)) == local(2026, 8, 22, 17)


def test_same_day_uses_the_end_of_the_last_period_of_the_office():
    cal = WorkCalendar(hours=parse_hours(["07:30-11:30", "13:30-16:30"]))
    assert cal.same_day_due(local(2026, 3, 2, 10)) == local(2026, 3, 2, 16, 30)


def test_same_day_for_a_morning_only_office_after_closing_is_due_next_day():
    cal = WorkCalendar(hours=parse_hours(["07:00-11:30"]))
    assert cal.same_day_due(local(2026, 3, 2, 13)) == local(2026, 3, 3, 11, 30)


# --------------------------------------------------------------------------
# due_at
# --------------------------------------------------------------------------


def test_due_at_dispatches_working_days(cal):
    assert cal.due_at(local(2026, 2, 13, 9), 3, "working_days") == local(2026, 2, 25, 9)


def test_due_at_dispatches_working_hours(cal_730):
    assert cal_730.due_at(local(2026, 3, 2, 7, 30), 8, "working_hours") == local(2026, 3, 3, 8)


def test_due_at_dispatches_same_day(cal):
    assert cal.due_at(local(2026, 3, 6, 15, 30), 0, "same_day") == local(2026, 3, 9, 17)


def test_due_at_rejects_an_unknown_unit_with_a_vietnamese_message(cal):
    with pytest.raises(ValueError, match="không hợp lệ"):
        cal.due_at(local(2026, 3, 2, 9), 3, "calendar_days")


# --------------------------------------------------------------------------
# working_time_between
# --------------------------------------------------------------------------


def test_working_time_between_within_one_period(cal):
    assert cal.working_time_between(local(2026, 3, 2, 8), local(2026, 3, 2, 10)) == timedelta(
        hours=2
    )


def test_working_time_between_excludes_lunch(cal):
    assert cal.working_time_between(local(2026, 3, 2, 11), local(2026, 3, 2, 14)) == timedelta(
        hours=1
    )


def test_working_time_between_across_a_night(cal):
    # Mon 16:00-17:00 (1h) + Tue 07:00-08:00 (1h).
    assert cal.working_time_between(local(2026, 3, 2, 16), local(2026, 3, 3, 8)) == timedelta(
        hours=2
    )


def test_working_time_between_across_a_weekend(cal):
    # Fri 16:00-17:00 (1h) + Mon 07:00-09:00 (2h).
    assert cal.working_time_between(local(2026, 3, 6, 16), local(2026, 3, 9, 9)) == timedelta(
        hours=3
    )


def test_working_time_between_a_full_week_is_forty_hours(cal):
    assert cal.working_time_between(local(2026, 3, 2), local(2026, 3, 9)) == timedelta(hours=40)


def test_working_time_between_across_tet_counts_only_working_days(cal):
    # Fri 13 Feb 16:00-17:00 (1h) + Mon 23 Feb 07:00-08:00 (1h).
    assert cal.working_time_between(local(2026, 2, 13, 16), local(2026, 2, 23, 8)) == timedelta(
        hours=2
    )


def test_working_time_between_outside_hours_only_is_zero(cal):
    assert cal.working_time_between(local(2026, 3, 2, 17), local(2026, 3, 3, 7)) == timedelta(0)
    assert cal.working_time_between(local(2026, 3, 7, 8), local(2026, 3, 8, 16)) == timedelta(0)


def test_working_time_between_reversed_or_equal_bounds_is_zero(cal):
    assert cal.working_time_between(local(2026, 3, 3, 9), local(2026, 3, 2, 9)) == timedelta(0)
    assert cal.working_time_between(local(2026, 3, 2, 9), local(2026, 3, 2, 9)) == timedelta(0)


def test_working_time_between_for_a_7_5_hour_office_day(cal_730):
    assert cal_730.working_time_between(local(2026, 3, 2), local(2026, 3, 3)) == timedelta(
        hours=7.5
    )


def test_working_time_between_rejects_naive_datetimes(cal):
    with pytest.raises(ValueError):
        cal.working_time_between(datetime(2026, 3, 2, 9), local(2026, 3, 2, 10))
    with pytest.raises(ValueError):
        cal.working_time_between(local(2026, 3, 2, 9), datetime(2026, 3, 2, 10))


# --------------------------------------------------------------------------
# add_working_time and the supplement pause
# --------------------------------------------------------------------------


def test_add_working_time_lands_exactly_on_closing_instead_of_next_opening(cal):
    assert cal.add_working_time(local(2026, 3, 2, 16), timedelta(hours=1)) == local(2026, 3, 2, 17)


def test_add_working_time_rejects_negative_delta(cal):
    with pytest.raises(ValueError):
        cal.add_working_time(local(2026, 3, 2, 9), timedelta(minutes=-1))


def test_supplement_pause_spanning_tet_keeps_remaining_time_and_skips_the_holiday(cal):
    accepted = local(2026, 2, 10, 9)  # Tue
    due = cal.add_working_days(accepted, 3)
    assert due == local(2026, 2, 13, 9)  # Fri before Tết

    paused_at = local(2026, 2, 12, 10)  # Thu: officer asks for a supplement
    remaining = cal.working_time_between(paused_at, due)
    # Thu 10:00-11:30 + 13:30-17:00 (5h) + Fri 07:00-09:00 (2h).
    assert remaining == timedelta(hours=7)

    resumed_at = local(2026, 2, 18, 20, 0)  # citizen supplements online during Tết
    new_due = cal.add_working_time(resumed_at, remaining)
    # Tết is not counted: the clock restarts Mon 23 Feb 07:00; 4.5h in the
    # morning, 2.5h more from 13:30 -> 16:00.
    assert new_due == local(2026, 2, 23, 16, 0)
    assert cal.working_time_between(resumed_at, new_due) == remaining


def test_supplement_resumed_before_a_holiday_continues_after_it(cal):
    remaining = timedelta(hours=16)
    resumed_at = local(2026, 2, 13, 10)  # Fri before Tết
    new_due = cal.add_working_time(resumed_at, remaining)
    # Fri 10:00-17:00 gives 5h; Mon 23 Feb gives 8h; 3h more on Tue 24 -> 10:00.
    assert new_due == local(2026, 2, 24, 10)


def test_supplement_pause_across_hung_kings_weekend_keeps_remaining_time(cal):
    due = local(2026, 4, 29, 9)  # Wed
    paused_at = local(2026, 4, 24, 9)  # Fri
    remaining = cal.working_time_between(paused_at, due)
    # Fri 24 from 09:00 (6h), Tue 28 (8h), Wed 29 07:00-09:00 (2h);
    # the weekend and the observed Monday 27 Apr are not counted.
    assert remaining == timedelta(hours=16)
    new_due = cal.add_working_time(local(2026, 4, 28, 9), remaining)
    # Tue 28 from 09:00 (6h), Wed 29 (8h) -> 2h left; Thu 30 Apr, Fri 1 May
    # and the weekend are off; Mon 4 May 07:00 + 2h = 09:00.
    assert new_due == local(2026, 5, 4, 9)


def _grid_of_starts():
    """Every 47 minutes from Thu 12 Feb 2026 to Wed 25 Feb 2026 (spans Tết)."""
    t = local(2026, 2, 12, 0, 3)
    end = local(2026, 2, 25, 23)
    while t < end:
        yield t
        t += timedelta(minutes=47)


DELTAS = [
    timedelta(minutes=1),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=3, minutes=30),
    timedelta(hours=4, minutes=30),
    timedelta(hours=8),
    timedelta(hours=13, seconds=7),
    timedelta(hours=40),
    timedelta(hours=7, microseconds=1),
]


@pytest.mark.parametrize("hours", [DEFAULT_HOURS, parse_hours(["07:30-11:30", "13:30-17:00"])])
def test_round_trip_working_time_between_of_add_working_time_is_the_delta(hours):
    cal = WorkCalendar(hours=hours)
    checked_inside = 0
    for start in _grid_of_starts():
        for delta in DELTAS:
            due = cal.add_working_time(start, delta)
            assert due > start
            assert cal.working_time_between(start, due) == delta, (start, delta)
            checked_inside += cal.is_open(start)
    assert checked_inside > 100  # the grid really exercised starts inside hours


def test_round_trip_add_working_time_of_working_time_between_returns_the_end(cal):
    starts = [local(2026, 2, 12, 9, 10), local(2026, 2, 13, 16, 40), local(2026, 2, 14, 8)]
    ends = [local(2026, 2, 23, 7, 1), local(2026, 2, 24, 12, 0), local(2026, 2, 25, 13, 45)]
    for start in starts:
        for end in ends:
            # 12:00 (lunch) maps back to the end of the morning period.
            expected = local(2026, 2, 24, 11, 30) if end == ends[1] else end
            assert cal.add_working_time(start, cal.working_time_between(start, end)) == expected


def test_add_working_time_result_is_utc(cal):
    result = cal.add_working_time(to_local(local(2026, 3, 2, 9)), timedelta(hours=1))
    assert result.tzinfo is UTC and result == local(2026, 3, 2, 10)


# --------------------------------------------------------------------------
# Year boundaries and configuration
# --------------------------------------------------------------------------


def test_working_days_cross_into_2027_and_skip_new_years_day(cal):
    # Thu 31 Dec 2026 + 1: Fri 1 Jan 2027 is New Year's Day -> Mon 4 Jan.
    assert cal.add_working_days(local(2026, 12, 31, 9), 1) == local(2027, 1, 4, 9)


def test_vietnam_cultural_day_2026_is_off_as_reported_by_the_holidays_package(cal):
    assert date(2026, 11, 24) in holidays.VN(years=2026)
    assert cal.add_working_days(local(2026, 11, 23, 9), 1) == local(2026, 11, 25, 9)


def test_office_is_open_on_a_make_up_saturday():
    cal = WorkCalendar(make_up_days={date(2026, 8, 22)})
    assert cal.is_open(local(2026, 8, 22, 9))
    assert cal.next_opening(local(2026, 8, 21, 18)) == local(2026, 8, 22, 7)


def test_same_day_cutoff_is_configurable():
    cal = WorkCalendar(same_day_cutoff=time(16, 0))
    assert cal.same_day_due(local(2026, 3, 2, 15, 30)) == local(2026, 3, 2, 17)


def test_same_day_cutoff_must_be_a_time():
    with pytest.raises(ValueError):
        WorkCalendar(same_day_cutoff="15:00")
