"""Tests for working-hours calendars: holidays, office hours and working-time arithmetic."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    DEFAULT_OFFICE_HOURS,
    WIB,
    WIT,
    WITA,
    WorkingCalendar,
    add_working_time,
    close_of_working_day,
    indonesian_day_off,
    working_time_between,
)

FOUR_HOURS = timedelta(hours=4)


def local(zone, *args):
    """An aware datetime in the given IANA zone."""
    return datetime(*args, tzinfo=ZoneInfo(zone))


def in_working_hours(calendar, dt):
    """Whether dt lies in an interval, its closing instant allowed (a deadline may end there)."""
    day = dt.astimezone(calendar.zone).date()
    return any(start < dt <= end for start, end in calendar.intervals_on(day))


# Friday prayers break the day in two, which exercises days with several intervals.
FRIDAY_BREAK_HOURS = {
    **DEFAULT_OFFICE_HOURS,
    4: ((time(8), time(11, 30)), (time(13), time(16, 30))),
}
CALENDARS = [
    WorkingCalendar(WIB),
    WorkingCalendar(WITA),
    WorkingCalendar(WIT),
    WorkingCalendar(WIB, office_hours=FRIDAY_BREAK_HOURS),
]
ZONES = [ZoneInfo(WIB), ZoneInfo(WITA), ZoneInfo(WIT)]

arrivals = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.sampled_from(ZONES)
)
windows = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=30))
calendars = st.sampled_from(CALENDARS)
fast = settings(max_examples=200, deadline=None)


# --- properties ------------------------------------------------------------------------------


@fast
@given(arrival=arrivals, window=windows, calendar=calendars)
def test_deadline_is_after_arrival_and_inside_working_hours(arrival, window, calendar):
    due = add_working_time(arrival, window, calendar)
    assert due.utcoffset() == timedelta(0)
    assert due > arrival
    assert in_working_hours(calendar, due)


@fast
@given(arrival=arrivals, window=windows, calendar=calendars)
def test_working_time_up_to_the_deadline_is_exactly_the_window(arrival, window, calendar):
    due = add_working_time(arrival, window, calendar)
    assert working_time_between(arrival, due, calendar) == window


@fast
@given(arrival=arrivals, window=windows, calendar=calendars, data=st.data())
def test_adding_in_two_steps_equals_adding_once(arrival, window, calendar, data):
    first = timedelta(microseconds=data.draw(st.integers(1, window // timedelta(microseconds=1) - 1)))
    in_two_steps = add_working_time(add_working_time(arrival, first, calendar), window - first, calendar)
    assert in_two_steps == add_working_time(arrival, window, calendar)


# --- holidays --------------------------------------------------------------------------------


def test_independence_day_is_named_in_indonesian():
    assert indonesian_day_off(date(2026, 8, 17)) == 'Hari Kemerdekaan Republik Indonesia'


def test_collective_leave_counts_as_a_day_off():
    assert indonesian_day_off(date(2026, 3, 20)) is not None


def test_ordinary_tuesday_is_not_a_day_off():
    assert indonesian_day_off(date(2026, 7, 7)) is None


# --- concrete deadlines (4-hour working-hours window, default hours) -------------------------


def test_wednesday_afternoon_before_ascension_long_weekend():
    # 1 h left on Wed 13 May; Thu 14 Ascension, Fri 15 cuti bersama, then the weekend.
    due = add_working_time(local(WIB, 2026, 5, 13, 15), FOUR_HOURS, WorkingCalendar(WIB))
    assert due == local(WIB, 2026, 5, 18, 11)


def test_friday_afternoon_before_waisak_and_pancasila_long_weekend():
    # 1.5 h left on Fri 29 May (closes 16:30); Sun 31 Waisak, Mon 1 June Pancasila.
    due = add_working_time(local(WIB, 2026, 5, 29, 15), FOUR_HOURS, WorkingCalendar(WIB))
    assert due == local(WIB, 2026, 6, 2, 10, 30)


def test_lebaran_2026_collective_leave_is_skipped():
    # 1 h on Tue 17 Mar; 18-24 Mar are Nyepi, Idul Fitri and their cuti bersama.
    due = add_working_time(local(WIB, 2026, 3, 17, 15), FOUR_HOURS, WorkingCalendar(WIB))
    assert due == local(WIB, 2026, 3, 25, 11)


def test_arrival_in_makassar_uses_wita_office_hours():
    due = add_working_time(local(WITA, 2026, 7, 9, 15), FOUR_HOURS, WorkingCalendar(WITA))
    assert due == local(WITA, 2026, 7, 10, 11)


def test_same_instant_has_a_different_deadline_in_jakarta_and_makassar():
    # 07:00 WIB is 08:00 WITA: Makassar is already open, Jakarta is not.
    arrival = local(WIB, 2026, 7, 7, 7)
    assert add_working_time(arrival, FOUR_HOURS, WorkingCalendar(WITA)) == local(WIB, 2026, 7, 7, 11)
    assert add_working_time(arrival, FOUR_HOURS, WorkingCalendar(WIB)) == local(WIB, 2026, 7, 7, 12)


def test_jayapura_morning_is_still_the_previous_day_in_utc():
    # 07:00 WIT on Monday is 22:00 UTC on Sunday; the office day is Monday.
    due = add_working_time(local(WIT, 2026, 7, 6, 7), FOUR_HOURS, WorkingCalendar(WIT))
    assert due == local(WIT, 2026, 7, 6, 12)


@pytest.mark.parametrize(
    'arrival, expected',
    [
        pytest.param(local(WIB, 2026, 7, 7, 6), local(WIB, 2026, 7, 7, 12), id='before-opening'),
        pytest.param(local(WIB, 2026, 7, 5, 10), local(WIB, 2026, 7, 6, 12), id='sunday'),
        pytest.param(local(WIB, 2026, 8, 17, 9), local(WIB, 2026, 8, 18, 12), id='independence-day'),
        pytest.param(local(WIB, 2026, 7, 7, 18), local(WIB, 2026, 7, 8, 12), id='after-closing'),
    ],
)
def test_counting_starts_at_the_next_opening(arrival, expected):
    assert add_working_time(arrival, FOUR_HOURS, WorkingCalendar(WIB)) == expected


def test_extra_day_off_is_skipped():
    arrival = local(WIB, 2026, 7, 7, 15)
    regional_decree = WorkingCalendar(WIB, extra_days_off=frozenset({date(2026, 7, 8)}))
    assert add_working_time(arrival, FOUR_HOURS, WorkingCalendar(WIB)) == local(WIB, 2026, 7, 8, 11)
    assert add_working_time(arrival, FOUR_HOURS, regional_decree) == local(WIB, 2026, 7, 9, 11)


def test_exact_fit_ends_at_closing_not_next_opening():
    due = add_working_time(local(WIB, 2026, 7, 7, 12), FOUR_HOURS, WorkingCalendar(WIB))
    assert due == local(WIB, 2026, 7, 7, 16)


def test_national_holidays_can_be_ignored():
    calendar = WorkingCalendar(WIB, use_national_holidays=False)
    assert calendar.is_working_day(date(2026, 8, 17))
    assert not WorkingCalendar(WIB).is_working_day(date(2026, 8, 17))


# --- close_of_working_day --------------------------------------------------------------------


def test_three_working_days_end_at_friday_closing():
    due = close_of_working_day(local(WIB, 2026, 7, 7, 10), 3, WorkingCalendar(WIB))
    assert due == local(WIB, 2026, 7, 10, 16, 30)


def test_fourteen_working_days_skip_independence_day_and_maulid():
    # From Tue 11 Aug: Mon 17 Aug and Tue 25 Aug are holidays, so day 14 is Wed 2 Sep.
    due = close_of_working_day(local(WIB, 2026, 8, 11, 10), 14, WorkingCalendar(WIB))
    assert due == local(WIB, 2026, 9, 2, 16)


def test_working_days_count_from_the_local_date():
    # 06:00 WIT on Monday is Sunday in UTC; day 1 is still Tuesday.
    due = close_of_working_day(local(WIT, 2026, 7, 13, 6), 3, WorkingCalendar(WIT))
    assert due == local(WIT, 2026, 7, 16, 16)


# --- calendar queries and input checks -------------------------------------------------------


def test_working_moment_includes_opening_and_excludes_closing():
    calendar = WorkingCalendar(WIB)
    assert calendar.is_working_moment(local(WIB, 2026, 7, 7, 8))
    assert not calendar.is_working_moment(local(WIB, 2026, 7, 7, 16))
    assert calendar.next_working_moment(local(WIB, 2026, 7, 7, 16)) == local(WIB, 2026, 7, 8, 8)
    assert calendar.next_working_moment(local(WIB, 2026, 7, 7, 9)) == local(WIB, 2026, 7, 7, 9)


def test_working_time_between_spans_a_weekend():
    calendar = WorkingCalendar(WIB)
    friday, monday = local(WIB, 2026, 7, 10, 15), local(WIB, 2026, 7, 13, 9)
    assert working_time_between(friday, monday, calendar) == timedelta(hours=2, minutes=30)
    assert working_time_between(monday, friday, calendar) == timedelta(0)


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        add_working_time(datetime(2026, 7, 7, 9), FOUR_HOURS, WorkingCalendar(WIB))


def test_non_positive_delta_is_rejected():
    with pytest.raises(ValueError):
        add_working_time(local(WIB, 2026, 7, 7, 9), timedelta(0), WorkingCalendar(WIB))


def test_calendar_without_any_hours_gives_up():
    with pytest.raises(ValueError):
        add_working_time(local(WIB, 2026, 7, 7, 9), FOUR_HOURS, WorkingCalendar(WIB, office_hours={}))


def test_overlapping_office_hours_are_rejected():
    with pytest.raises(ValueError):
        WorkingCalendar(WIB, office_hours={0: ((time(8), time(12)), (time(11), time(16)))})
