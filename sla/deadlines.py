"""Deadline rules: response warning/due/level-2 instants, resolution due dates and SLA state."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.calendar import (
    WorkingCalendar,
    add_working_time,
    close_of_working_day,
    to_utc,
    working_time_between,
)

WALL_CLOCK, WORKING_HOURS = 'wall', 'working'
ON_TRACK, AT_RISK, BREACHED = 'on_track', 'at_risk', 'breached'


@dataclass(frozen=True)
class ResponsePolicy:
    """How long an agency has to answer, and on which clock."""

    window: timedelta = timedelta(hours=4)
    clock: str = WALL_CLOCK
    warning_ratio: float = 0.75

    def __post_init__(self):
        if self.window <= timedelta(0):
            raise ValueError(f'window must be positive, got {self.window}')
        if self.clock not in (WALL_CLOCK, WORKING_HOURS):
            raise ValueError(f'clock must be {WALL_CLOCK!r} or {WORKING_HOURS!r}, got {self.clock!r}')
        if not 0 < self.warning_ratio <= 1:
            raise ValueError(f'warning_ratio must be in (0, 1], got {self.warning_ratio}')


@dataclass(frozen=True)
class ResponseDeadlines:
    """The three response thresholds of one ticket, in UTC."""

    warn_dt: datetime
    due_dt: datetime
    level2_dt: datetime


def compute_response_deadlines(
    received_dt: datetime, policy: ResponsePolicy, calendar: WorkingCalendar
) -> ResponseDeadlines:
    """Warning, due and level-2 instants for a ticket received at received_dt."""
    received_dt = to_utc(received_dt)
    offsets = (policy.window * policy.warning_ratio, policy.window, policy.window * 2)
    if policy.clock == WALL_CLOCK:
        return ResponseDeadlines(*(received_dt + offset for offset in offsets))
    return ResponseDeadlines(*(add_working_time(received_dt, offset, calendar) for offset in offsets))


def compute_resolution_due(received_dt: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    """Resolution due date: closing time of the Nth working day after the day of receipt."""
    return close_of_working_day(received_dt, working_days, calendar)


def resume_resolution_due(
    paused_dt: datetime, resumed_dt: datetime, due_dt: datetime, calendar: WorkingCalendar
) -> datetime:
    """New resolution due date after a pause: the working time left at pausing, from resumed_dt."""
    if to_utc(resumed_dt) < to_utc(paused_dt):
        raise ValueError('resumed_dt is before paused_dt')
    remaining = working_time_between(paused_dt, due_dt, calendar)
    # Pausing an already late ticket must not hand the agency a fresh deadline.
    if not remaining:
        return to_utc(due_dt)
    return add_working_time(resumed_dt, remaining, calendar)


def response_sla_state(
    now: datetime, deadlines: ResponseDeadlines, first_response_dt: datetime | None
) -> str | None:
    """ON_TRACK, AT_RISK or BREACHED for an unanswered ticket; None once answered."""
    now = to_utc(now)
    if first_response_dt is not None:
        return None
    if now >= deadlines.due_dt:
        return BREACHED
    if now >= deadlines.warn_dt:
        return AT_RISK
    return ON_TRACK
