"""Working-hours calendars: office hours per weekday in a local zone, minus Indonesian days off."""
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

WIB, WITA, WIT = 'Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'

_MON_THU = ((time(8), time(16)),)
_FRI = ((time(8), time(16, 30)),)
# Read-only because every calendar without its own hours shares this object.
DEFAULT_OFFICE_HOURS: Mapping[int, tuple[tuple[time, time], ...]] = MappingProxyType(
    {0: _MON_THU, 1: _MON_THU, 2: _MON_THU, 3: _MON_THU, 4: _FRI, 5: (), 6: ()}
)

# A calendar with no working time at all would otherwise make the searches below loop forever.
_GIVE_UP_AFTER_IDLE_DAYS = 3 * 366
_ONE_DAY = timedelta(days=1)

# Built once: the object fills in each year on first lookup, so later lookups are dict hits.
_INDONESIAN_DAYS_OFF = holidays.country_holidays(
    'ID', categories=('public', 'government'), language='id'
)


def indonesian_day_off(day: date) -> str | None:
    """Name of the national holiday or collective leave (cuti bersama) on that date, else None."""
    return _INDONESIAN_DAYS_OFF.get(day)


def to_utc(dt: datetime) -> datetime:
    """The same instant in UTC; ValueError if dt is naive."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f'naive datetime {dt!r}: pass an aware datetime')
    return dt.astimezone(UTC)


def _checked_hours(office_hours: Mapping) -> Mapping[int, tuple[tuple[time, time], ...]]:
    """A read-only copy of office_hours, sorted per weekday; ValueError on bad intervals."""
    checked = {}
    for weekday, intervals in office_hours.items():
        if weekday not in range(7):
            raise ValueError(f'weekday must be 0 (Monday) to 6, got {weekday!r}')
        intervals = tuple(sorted((opens, closes) for opens, closes in intervals))
        for opens, closes in intervals:
            if not opens < closes:
                raise ValueError(f'interval {opens}-{closes} is empty or crosses midnight')
        for (_, earlier_close), (later_open, _) in zip(intervals, intervals[1:]):
            if later_open < earlier_close:
                raise ValueError(f'overlapping office hours on weekday {weekday}')
        checked[weekday] = intervals
    return MappingProxyType(checked)


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours per weekday in one zone; national holidays and extra days off are closed."""

    timezone: str
    # A factory, not a plain default, because dataclasses refuse unhashable defaults.
    office_hours: Mapping[int, tuple[tuple[time, time], ...]] = field(
        default_factory=lambda: DEFAULT_OFFICE_HOURS
    )
    extra_days_off: frozenset[date] = frozenset()
    use_national_holidays: bool = True

    def __post_init__(self):
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f'unknown time zone {self.timezone!r}') from exc
        # Copied so a caller mutating its dict later cannot change a calendar in use.
        object.__setattr__(self, 'office_hours', _checked_hours(self.office_hours))
        object.__setattr__(self, 'extra_days_off', frozenset(self.extra_days_off))

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's zone (ZoneInfo caches instances, so this is cheap)."""
        return ZoneInfo(self.timezone)

    def local_date(self, dt: datetime) -> date:
        """The calendar-local date of an aware instant."""
        return to_utc(dt).astimezone(self.zone).date()

    def is_working_day(self, day: date) -> bool:
        """Whether the local date has office hours and is not a day off."""
        if not self.office_hours.get(day.weekday()) or day in self.extra_days_off:
            return False
        return not (self.use_national_holidays and indonesian_day_off(day) is not None)

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals on a local date as aware UTC (start, end) pairs; [] on days off."""
        if not self.is_working_day(day):
            return []
        zone = self.zone
        return [
            (
                datetime.combine(day, opens, tzinfo=zone).astimezone(UTC),
                datetime.combine(day, closes, tzinfo=zone).astimezone(UTC),
            )
            for opens, closes in self.office_hours[day.weekday()]
        ]

    def is_working_moment(self, dt: datetime) -> bool:
        """Whether dt lies in a working interval (opening included, closing excluded)."""
        dt = to_utc(dt)
        return any(start <= dt < end for start, end in self.intervals_on(self.local_date(dt)))

    def next_working_moment(self, dt: datetime) -> datetime:
        """dt itself (in UTC) if it is a working moment, else the next opening."""
        dt = to_utc(dt)
        start, _ = next(self.intervals_after(dt))
        return max(start, dt)

    def working_days_from(self, day: date) -> Iterator[tuple[date, list[tuple[datetime, datetime]]]]:
        """Working local dates from `day` on, with their intervals; ValueError after 3 idle years."""
        idle_days = 0
        while idle_days < _GIVE_UP_AFTER_IDLE_DAYS:
            intervals = self.intervals_on(day)
            if intervals:
                idle_days = 0
                yield day, intervals
            else:
                idle_days += 1
            day += _ONE_DAY
        raise ValueError(f'no working time within three years after {day - _ONE_DAY * idle_days}')

    def intervals_after(self, dt: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals that end after dt, in order (the first may contain dt)."""
        dt = to_utc(dt)
        for _, intervals in self.working_days_from(self.local_date(dt)):
            for start, end in intervals:
                if end > dt:
                    yield start, end


def add_working_time(start: datetime, delta: timedelta, calendar: WorkingCalendar) -> datetime:
    """The UTC instant at which `delta` of working time has elapsed, counting from `start`."""
    if delta <= timedelta(0):
        raise ValueError(f'delta must be positive, got {delta}')
    start = to_utc(start)
    remaining = delta
    for opens, closes in calendar.intervals_after(start):
        counted_from = max(opens, start)
        available = closes - counted_from
        # `<=` so an exact fit ends at this closing, not at the next day's opening.
        if remaining <= available:
            return counted_from + remaining
        remaining -= available
    raise AssertionError('unreachable: intervals_after never ends without raising')


def working_time_between(a: datetime, b: datetime, calendar: WorkingCalendar) -> timedelta:
    """Working time inside [a, b); zero if b <= a."""
    a, b = to_utc(a), to_utc(b)
    total = timedelta(0)
    day, last_day = calendar.local_date(a), calendar.local_date(b)
    while day <= last_day:
        for opens, closes in calendar.intervals_on(day):
            overlap = min(closes, b) - max(opens, a)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total


def close_of_working_day(start: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    """Closing instant (UTC) of the Nth working day after start's local date."""
    if working_days < 1:
        raise ValueError(f'working_days must be at least 1, got {working_days}')
    first_candidate = calendar.local_date(start) + _ONE_DAY
    for count, (_, intervals) in enumerate(calendar.working_days_from(first_candidate), start=1):
        if count == working_days:
            return intervals[-1][1]
    raise AssertionError('unreachable: working_days_from never ends without raising')
