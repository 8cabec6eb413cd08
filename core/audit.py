"""The administration audit log: who changed what, when, from which value to which.

Rows are only ever added, in the same transaction as the change they describe, so a rolled-back change
leaves no entry and a committed one always has its entry.
"""
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime


class AuditEntry(db.Model):
    """One administrative change: `changes` maps each field to `[old, new]` (old is None on create)."""

    __tablename__ = 'audit_log'

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NULL when the system or a command-line script made the change.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'))
    #: '<thing>.<verb>', e.g. 'category.update', 'office_hours.replace'.
    action: Mapped[str] = mapped_column(sa.String(64))
    #: '<thing>:<key>', e.g. 'category:bansos', 'agency:DINSOS', 'user:ani@dinsos.example'.
    target: Mapped[str] = mapped_column(sa.String(200))
    changes: Mapped[dict] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    actor = relationship('User')

    def __repr__(self):
        return f'<AuditEntry {self.action} {self.target}>'


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime('%H:%M')
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def record_audit(actor, action, target, changes, *, now):
    """Add one audit entry (flushed, not committed): the caller commits it with the change itself."""
    entry = AuditEntry(actor_id=actor.id if actor is not None else None, action=action, target=target,
                       changes={field: _jsonable(list(pair)) for field, pair in changes.items()},
                       created_dt=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def apply_changes(obj, values):
    """Set each attribute in `values` on `obj`; return `{field: [old, new]}` for those that changed."""
    changes = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            setattr(obj, field, new)
            changes[field] = [old, new]
    return changes


def latest_entries(limit=100):
    """The newest audit entries first."""
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.created_dt.desc(), AuditEntry.id.desc())
                              .limit(limit)).all()
