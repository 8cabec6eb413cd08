"""The one place that reads the clock, plus UTC helpers; everything else takes `now` as an argument."""
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


_frozen_dt = None


def now_utc():
    """Return the current time, timezone-aware, in UTC (or the frozen time, in tests)."""
    if _frozen_dt is not None:
        return _frozen_dt
    return datetime.now(timezone.utc)


def freeze_time(dt):
    """Make `now_utc()` return `dt` until `freeze_time(None)`; for tests and `sla sweep --at`."""
    global _frozen_dt
    _frozen_dt = ensure_utc(dt)


def ensure_utc(dt):
    """Return `dt` in UTC; a naive value is taken to be UTC already (SQLite drops the offset)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC on every database, returned aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError('naive datetime given to a UTC column')
        value = value.astimezone(timezone.utc)
        if dialect.name == 'sqlite':
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return ensure_utc(value)
