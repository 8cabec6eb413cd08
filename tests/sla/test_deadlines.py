"""Tests for response deadlines, resolution due dates, pauses and the SLA state."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import WIB, WIT, WITA, WorkingCalendar, working_time_between
from sla.deadlines import (
    AT_RISK,
    BREACHED,
    ON_TRACK,
    WALL_CLOCK,
    WORKING_HOURS,
    ResponseDeadlines,
    ResponsePolicy,
    compute_resolution_due,
    compute_response_deadlines,
    response_sla_state,
    resume_resolution_due,
)


def local(zone, *args):
    """An aware datetime in the given IANA zone."""
    return datetime(*args, tzinfo=ZoneInfo(zone))


arrivals = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.sampled_from([ZoneInfo(WIB), ZoneInfo(WITA), ZoneInfo(WIT)]),
)
windows = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=30))
calendars = st.sampled_from([WorkingCalendar(WIB), WorkingCalendar(WITA), WorkingCalendar(WIT)])
fast = settings(max_examples=200, deadline=None)


@fast
@given(arrival=arrivals, window=windows, calendar=calendars)
def test_working_hours_thresholds_are_ordered(arrival, window, calendar):
    d = compute_response_deadlines(arrival, ResponsePolicy(window, WORKING_HOURS), calendar)
    assert arrival < d.warn_dt <= d.due_dt <= d.level2_dt


@fast
@given(arrival=arrivals, window=windows, calendar=calendars)
def test_wall_clock_due_is_exactly_one_window_later(arrival, window, calendar):
    d = compute_response_deadlines(arrival, ResponsePolicy(window, WALL_CLOCK), calendar)
    assert d.due_dt - arrival == window
    assert d.level2_dt - arrival == 2 * window
    assert arrival < d.warn_dt <= d.due_dt <= d.level2_dt


def test_wednesday_afternoon_complaint_on_both_clocks():
    arrival = local(WIB, 2026, 5, 13, 15)
    calendar = WorkingCalendar(WIB)

    wall = compute_response_deadlines(arrival, ResponsePolicy(), calendar)
    assert wall == ResponseDeadlines(
        local(WIB, 2026, 5, 13, 18), local(WIB, 2026, 5, 13, 19), local(WIB, 2026, 5, 13, 23)
    )

    # Thu 14 May (Ascension), Fri 15 (cuti bersama) and the weekend are skipped.
    working = compute_response_deadlines(arrival, ResponsePolicy(clock=WORKING_HOURS), calendar)
    assert working == ResponseDeadlines(
        local(WIB, 2026, 5, 18, 10), local(WIB, 2026, 5, 18, 11), local(WIB, 2026, 5, 18, 15)
    )
    assert working.due_dt.utcoffset() == timedelta(0)


def test_resolution_due_is_closing_of_the_nth_working_day():
    due = compute_resolution_due(local(WIB, 2026, 7, 7, 10), 3, WorkingCalendar(WIB))
    assert due == local(WIB, 2026, 7, 10, 16, 30)


def test_pause_pushes_resolution_due_by_the_paused_working_time():
    calendar = WorkingCalendar(WIB)
    due = local(WIB, 2026, 7, 10, 16, 30)
    paused, resumed = local(WIB, 2026, 7, 8, 12), local(WIB, 2026, 7, 13, 12)
    # 20.5 h remained (Wed 4 h, Thu 8 h, Fri 8.5 h); from Mon 12:00 that ends Thu 08:30.
    new_due = resume_resolution_due(paused, resumed, due, calendar)
    assert new_due == local(WIB, 2026, 7, 16, 8, 30)
    assert working_time_between(due, new_due, calendar) == working_time_between(paused, resumed, calendar)


def test_pause_over_a_weekend_leaves_due_unchanged():
    due = local(WIB, 2026, 7, 15, 16)
    paused, resumed = local(WIB, 2026, 7, 11, 9), local(WIB, 2026, 7, 12, 20)
    assert resume_resolution_due(paused, resumed, due, WorkingCalendar(WIB)) == due


def test_pause_after_the_due_date_leaves_due_unchanged():
    due = local(WIB, 2026, 7, 10, 16, 30)
    paused, resumed = local(WIB, 2026, 7, 13, 9), local(WIB, 2026, 7, 20, 9)
    assert resume_resolution_due(paused, resumed, due, WorkingCalendar(WIB)) == due


def test_sla_state_moves_from_on_track_to_at_risk_to_breached():
    d = ResponseDeadlines(
        local(WIB, 2026, 7, 7, 12), local(WIB, 2026, 7, 7, 13), local(WIB, 2026, 7, 7, 17)
    )
    assert response_sla_state(local(WIB, 2026, 7, 7, 11, 59), d, None) == ON_TRACK
    assert response_sla_state(local(WIB, 2026, 7, 7, 12), d, None) == AT_RISK
    assert response_sla_state(local(WIB, 2026, 7, 7, 12, 59), d, None) == AT_RISK
    assert response_sla_state(local(WIB, 2026, 7, 7, 13), d, None) == BREACHED
    assert response_sla_state(local(WIB, 2026, 7, 8, 9), d, None) == BREACHED


def test_answered_ticket_has_no_sla_state():
    d = ResponseDeadlines(
        local(WIB, 2026, 7, 7, 12), local(WIB, 2026, 7, 7, 13), local(WIB, 2026, 7, 7, 17)
    )
    assert response_sla_state(local(WIB, 2026, 7, 8, 9), d, local(WIB, 2026, 7, 7, 14)) is None


def test_naive_now_is_rejected():
    d = ResponseDeadlines(
        local(WIB, 2026, 7, 7, 12), local(WIB, 2026, 7, 7, 13), local(WIB, 2026, 7, 7, 17)
    )
    with pytest.raises(ValueError):
        response_sla_state(datetime(2026, 7, 7, 12), d, None)


@pytest.mark.parametrize(
    'kwargs',
    [{'window': timedelta(0)}, {'clock': 'lunar'}, {'warning_ratio': 1.5}],
)
def test_invalid_policies_are_rejected(kwargs):
    with pytest.raises(ValueError):
        ResponsePolicy(**kwargs)
