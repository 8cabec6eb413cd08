"""Office hours, extra days off, escalations and sanction records."""
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime

WARNING, RESPONSE, RESOLUTION = 'warning', 'response', 'resolution'
ESCALATION_KINDS = (WARNING, RESPONSE, RESOLUTION)

PENDING, CONFIRMED, WAIVED = 'pending', 'confirmed', 'waived'


class OfficeHours(db.Model):
    """An agency's opening interval on one weekday (local time); none means the default hours."""

    __tablename__ = 'office_hours'
    __table_args__ = (
        sa.CheckConstraint('weekday BETWEEN 0 AND 6', name='weekday'),
        sa.CheckConstraint('opens < closes', name='interval'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey('agencies.id', ondelete='CASCADE'), index=True)
    #: 0 = Monday.
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]


class ExtraDayOff(db.Model):
    """A day off the holidays package lacks (a regional decree); for one agency or, NULL, all."""

    __tablename__ = 'extra_days_off'
    __table_args__ = (sa.UniqueConstraint('day', 'agency_id'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey('agencies.id', ondelete='CASCADE'))


class Escalation(db.Model):
    """A threshold a ticket crossed: the 75 % warning, a response breach (level 1 or 2), or the
    resolution breach. One row per ticket, kind and level, whatever runs twice."""

    __tablename__ = 'escalations'
    __table_args__ = (
        sa.UniqueConstraint('ticket_id', 'kind', 'level'),
        sa.CheckConstraint("kind IN ('warning', 'response', 'resolution')", name='kind'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey('tickets.id', ondelete='CASCADE'))
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: 0 for the warning, 1 at the deadline, 2 at twice the window.
    level: Mapped[int]
    #: Snapshot at the time of recording: the agency and the officer responsible then.
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey('agencies.id'), index=True)
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'))
    threshold_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'))
    acknowledged_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket = relationship('Ticket')
    agency = relationship('Agency')
    officer = relationship('User', foreign_keys=[officer_id])
    acknowledged_by = relationship('User', foreign_keys=[acknowledged_by_id])


class SanctionRecord(db.Model):
    """Created at the level-1 breach against the officer responsible at that moment. Once a
    supervisor confirms or waives it, it is final: later words go in `SanctionNote` rows."""

    __tablename__ = 'sanction_records'
    __table_args__ = (sa.CheckConstraint("status IN ('pending', 'confirmed', 'waived')", name='status'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey('tickets.id', ondelete='CASCADE'), unique=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey('escalations.id'))
    #: Snapshot: the responsible officer and their agency at the moment of breach.
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey('agencies.id'), index=True)
    #: How the officer came to be responsible: 'assignee' or 'duty_officer'.
    responsibility: Mapped[str] = mapped_column(sa.String(16))
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    due_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    breached_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)

    ticket = relationship('Ticket')
    escalation = relationship(Escalation)
    agency = relationship('Agency')
    officer = relationship('User', foreign_keys=[officer_id])
    decided_by = relationship('User', foreign_keys=[decided_by_id])
    notes = relationship('SanctionNote', order_by='SanctionNote.id')

    @property
    def is_decided(self):
        return self.status != PENDING


class SanctionNote(db.Model):
    """A remark appended to a sanction record, before or after its decision."""

    __tablename__ = 'sanction_notes'

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(sa.ForeignKey('sanction_records.id', ondelete='CASCADE'),
                                             index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey('users.id'))
    body: Mapped[str] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    author = relationship('User')


@sa.event.listens_for(SanctionRecord, 'before_update')
def _refuse_editing_decided_records(_mapper, connection, target):
    # A last line of defence below the operations: a decided record is frozen for good.
    state = sa.inspect(target)
    status_history = state.attrs.status.history
    was_decided = (status_history.deleted and status_history.deleted[0] != PENDING) or (
        not status_history.has_changes() and target.status != PENDING)
    changed = [c.key for c in state.mapper.column_attrs if state.attrs[c.key].history.has_changes()]
    if was_decided and changed:
        raise ValueError(f'sanction record {target.id} is decided and cannot be changed')
