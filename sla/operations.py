"""Deadlines on tickets, the sweep that records warnings, escalations and sanction records, and the
supervisor's decisions. Operations flush; the caller commits once."""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from accounts.models import ADMIN, SUPERVISOR
from complaints.models import OPEN_STATUSES, WAITING, Category, Ticket
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from sla.calendar import DEFAULT_OFFICE_HOURS, WorkingCalendar
from sla.deadlines import (
    AT_RISK, BREACHED, ON_TRACK, ResponsePolicy, compute_resolution_due, compute_response_deadlines,
    resume_resolution_due)
from sla.models import (
    CONFIRMED, RESOLUTION, RESPONSE, WAIVED, WARNING, Escalation, ExtraDayOff, OfficeHours,
    SanctionNote, SanctionRecord)

logger = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that lets one sweep run at a time.
SWEEP_LOCK_KEY = 0x54414E47


# -- deadlines ---------------------------------------------------------------------------------

def calendar_for(agency):
    """The agency's working calendar: its office hours (or the default), holidays, extra days off."""
    hours = {}
    rows = db.session.scalars(sa.select(OfficeHours).where(OfficeHours.agency_id == agency.id)
                              .order_by(OfficeHours.weekday, OfficeHours.opens)).all()
    for row in rows:
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    days_off = db.session.scalars(sa.select(ExtraDayOff.day).where(
        sa.or_(ExtraDayOff.agency_id.is_(None), ExtraDayOff.agency_id == agency.id))).all()
    office_hours = {day: tuple(intervals) for day, intervals in hours.items()} if rows else DEFAULT_OFFICE_HOURS
    return WorkingCalendar(timezone=agency.timezone, office_hours=office_hours,
                           extra_days_off=frozenset(days_off))


def policy_for(category):
    """The response policy of a category."""
    return ResponsePolicy(window=timedelta(minutes=category.response_window_minutes), clock=category.clock)


def apply_deadlines(ticket, *, now):
    """Compute and store the ticket's response and resolution deadlines from its arrival."""
    calendar = calendar_for(ticket.agency)
    deadlines = compute_response_deadlines(ticket.received_dt, policy_for(ticket.category), calendar)
    ticket.response_warn_dt = deadlines.warn_dt
    ticket.response_due_dt = deadlines.due_dt
    ticket.response_level2_dt = deadlines.level2_dt
    ticket.resolution_due_dt = compute_resolution_due(ticket.received_dt, ticket.category.resolution_days,
                                                      calendar)
    refresh_sla_next(ticket, now=now)


def _fired(ticket):
    if ticket.id is None:
        return set()
    rows = db.session.execute(sa.select(Escalation.kind, Escalation.level)
                              .where(Escalation.ticket_id == ticket.id)).all()
    return {(kind, level) for kind, level in rows}


def next_threshold(ticket, fired, now):
    """The earliest deadline still to act on after `now`, or None: what the sweep index holds."""
    if ticket.status not in OPEN_STATUSES:
        return None
    candidates = []
    if ticket.first_response_dt is None:
        for key, threshold in (((WARNING, 0), ticket.response_warn_dt), ((RESPONSE, 1), ticket.response_due_dt),
                               ((RESPONSE, 2), ticket.response_level2_dt)):
            if key not in fired and threshold > now:
                candidates.append(threshold)
    if ticket.status != WAITING and (RESOLUTION, 1) not in fired:
        # A resolution deadline already past but not yet recorded is still due: keep it for the sweep.
        candidates.append(ticket.resolution_due_dt)
    return min(candidates) if candidates else None


def refresh_sla_next(ticket, *, now):
    """Point the sweep index at the ticket's next pending deadline."""
    ticket.sla_next_dt = next_threshold(ticket, _fired(ticket), now)


def on_status_change(ticket, previous, *, now):
    """Pause the resolution clock while waiting on the resident; resume it after."""
    if ticket.status == WAITING and previous != WAITING:
        ticket.resolution_paused_dt = now
    elif previous == WAITING and ticket.status != WAITING and ticket.resolution_paused_dt:
        ticket.resolution_due_dt = resume_resolution_due(ticket.resolution_paused_dt, now,
                                                         ticket.resolution_due_dt, calendar_for(ticket.agency))
        ticket.resolution_paused_dt = None
    refresh_sla_next(ticket, now=now)


def recompute_open_tickets(*, now, agency_id=None, category_id=None):
    """After a policy or calendar edit: recompute open tickets' deadlines. Recorded escalations and
    sanction records are history and stay as they are."""
    query = sa.select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
    if agency_id is not None:
        query = query.where(Ticket.agency_id == agency_id)
    if category_id is not None:
        query = query.where(Ticket.category_id == category_id)
    count = 0
    for ticket in db.session.scalars(query):
        if ticket.status == WAITING:
            continue  # its resolution deadline is rebuilt when the pause ends
        apply_deadlines(ticket, now=now)
        count += 1
    db.session.flush()
    return count


def sla_state_filter(state, now):
    """A SQL condition selecting unanswered tickets in the given SLA state."""
    unanswered = Ticket.first_response_dt.is_(None)
    if state == ON_TRACK:
        return sa.and_(unanswered, Ticket.response_warn_dt > now)
    if state == AT_RISK:
        return sa.and_(unanswered, Ticket.response_warn_dt <= now, Ticket.response_due_dt > now)
    if state == BREACHED:
        return sa.and_(unanswered, Ticket.response_due_dt <= now)
    raise Invalid(f'Unknown SLA state {state!r}.', fields={'sla': [f'One of {ON_TRACK}, {AT_RISK}, {BREACHED}.']})


# -- the sweep ---------------------------------------------------------------------------------

@dataclass
class SweepReport:
    """What one sweep did, line by line."""

    lines: list = field(default_factory=list)
    warnings: int = 0
    escalations: int = 0
    sanctions: int = 0
    resolution_breaches: int = 0

    def add(self, line):
        self.lines.append(line)


def responsible_officer(ticket):
    """(officer, 'assignee' | 'duty_officer' | 'nobody'): who answers for the ticket right now."""
    if ticket.assignee is not None and ticket.assignee.is_active:
        return ticket.assignee, 'assignee'
    if ticket.agency.duty_officer is not None:
        return ticket.agency.duty_officer, 'duty_officer'
    return None, 'nobody'


def _record(ticket, kind, level, threshold_dt, officer, now):
    # The unique constraint is the guarantee; a clash means another sweep recorded it first.
    escalation = Escalation(ticket=ticket, kind=kind, level=level, agency=ticket.agency, officer=officer,
                            threshold_dt=threshold_dt, recorded_dt=now)
    try:
        with db.session.begin_nested():
            db.session.add(escalation)
            db.session.flush()
    except IntegrityError:
        return None
    return escalation


def sweep(*, now):
    """Record every warning, escalation, resolution breach and sanction record due at `now`, each
    exactly once per ticket and level."""
    from complaints.operations import record_event, staff_of_agency
    from notifications.recipients import notify_staff

    if db.session.get_bind().dialect.name == 'postgresql':
        # Held until commit: a second sweep waits, then finds the work done.
        db.session.execute(sa.text('SELECT pg_advisory_xact_lock(:key)'), {'key': SWEEP_LOCK_KEY})
    report = SweepReport()
    # Many tickets of one agency breach together: read each agency's supervisors once per sweep.
    staff_cache = {}

    def staff_of_agency_once(agency_id, *roles):
        key = (agency_id, roles)
        if key not in staff_cache:
            staff_cache[key] = staff_of_agency(agency_id, *roles)
        return staff_cache[key]

    due_ids = db.session.scalars(sa.select(Ticket.id).where(Ticket.sla_next_dt <= now)
                                 .order_by(Ticket.sla_next_dt)).all()
    for ticket_id in due_ids:
        # Re-read under a row lock: a reply committed meanwhile must stop the escalation.
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.id == ticket_id)
                                   .with_for_update().execution_options(populate_existing=True))
        fired = _fired(ticket)
        if ticket.is_open and ticket.first_response_dt is None:
            _sweep_response(ticket, fired, now, report, notify_staff, staff_of_agency_once, record_event)
        if ticket.is_open and ticket.status != WAITING and ticket.resolution_due_dt <= now \
                and (RESOLUTION, 1) not in fired:
            _sweep_resolution(ticket, now, report, notify_staff, staff_of_agency_once, record_event)
        ticket.sla_next_dt = next_threshold(ticket, _fired(ticket), now)
    db.session.flush()
    return report


def _minutes(delta):
    return max(0, int(delta.total_seconds() // 60))


def _sweep_response(ticket, fired, now, report, notify_staff, staff_of_agency, record_event):
    officer, responsibility = responsible_officer(ticket)
    code = ticket.tracking_code
    if ticket.response_warn_dt <= now < ticket.response_due_dt and (WARNING, 0) not in fired:
        if _record(ticket, WARNING, 0, ticket.response_warn_dt, officer, now):
            notify_staff([officer], 'warning', ticket, now=now, due_dt=ticket.response_due_dt,
                         minutes_left=_minutes(ticket.response_due_dt - now))
            report.warnings += 1
            report.add(f'{code} warning: {_minutes(ticket.response_due_dt - now)} min left, '
                       f'reminded {officer.email if officer else "nobody (no duty officer)"}')
    if now >= ticket.response_due_dt and (RESPONSE, 1) not in fired:
        escalation = _record(ticket, RESPONSE, 1, ticket.response_due_dt, officer, now)
        if escalation:
            supervisors = staff_of_agency(ticket.agency_id, SUPERVISOR)
            notify_staff(supervisors, 'escalation', ticket, now=now, due_dt=ticket.response_due_dt, level=1,
                         minutes_late=_minutes(now - ticket.response_due_dt),
                         officer_name=officer.name if officer else '-')
            record_event(ticket, None, 'escalated', to_value='level 1', now=now)
            report.escalations += 1
            report.add(f'{code} level-1 escalation to {len(supervisors)} supervisor(s) of {ticket.agency.code}')
            _record_sanction(ticket, escalation, officer, responsibility, now, report, notify_staff)
    if now >= ticket.response_level2_dt and (RESPONSE, 2) not in fired:
        if _record(ticket, RESPONSE, 2, ticket.response_level2_dt, officer, now):
            head = ticket.agency.head
            recipients = [head] if head is not None else staff_of_agency(ticket.agency_id, SUPERVISOR)
            notify_staff(recipients, 'escalation', ticket, now=now, due_dt=ticket.response_due_dt, level=2,
                         minutes_late=_minutes(now - ticket.response_due_dt),
                         officer_name=officer.name if officer else '-')
            record_event(ticket, None, 'escalated', to_value='level 2', now=now)
            report.escalations += 1
            report.add(f'{code} level-2 escalation to {", ".join(u.email for u in recipients) or "nobody"}')


def _record_sanction(ticket, escalation, officer, responsibility, now, report, notify_staff):
    record = SanctionRecord(ticket=ticket, escalation=escalation, officer=officer, agency=ticket.agency,
                            responsibility=responsibility, received_dt=ticket.received_dt,
                            due_dt=ticket.response_due_dt, breached_dt=now)
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        return
    if officer is not None:
        notify_staff([officer], 'sanction_recorded', ticket, now=now, due_dt=ticket.response_due_dt)
    report.sanctions += 1
    report.add(f'{ticket.tracking_code} sanction record against '
               f'{officer.email if officer else "nobody (no assignee, no duty officer)"} ({responsibility})')


def _sweep_resolution(ticket, now, report, notify_staff, staff_of_agency, record_event):
    officer, _ = responsible_officer(ticket)
    if not _record(ticket, RESOLUTION, 1, ticket.resolution_due_dt, officer, now):
        return
    recipients = staff_of_agency(ticket.agency_id, SUPERVISOR) + ([officer] if officer else [])
    notify_staff(recipients, 'resolution_breach', ticket, now=now, due_dt=ticket.resolution_due_dt,
                 officer_name=officer.name if officer else '-')
    record_event(ticket, None, 'resolution_overdue', now=now)
    report.resolution_breaches += 1
    report.add(f'{ticket.tracking_code} resolution deadline passed; told {len(recipients)} member(s) of staff')


# -- supervisors ---------------------------------------------------------------------------------

def _check_agency(user, agency_id, what):
    if user.role != ADMIN and user.agency_id != agency_id:
        raise NotFound(f'No {what} in your agency.')


def list_escalations(user, *, state=None, limit=50, offset=0):
    """Escalations (levels 1 and 2, response and resolution) of the user's agency, newest first."""
    query = sa.select(Escalation).where(Escalation.kind != WARNING)
    if user.role != ADMIN:
        query = query.where(Escalation.agency_id == user.agency_id)
    if state == 'open':
        query = query.where(Escalation.acknowledged_dt.is_(None))
    elif state == 'acknowledged':
        query = query.where(Escalation.acknowledged_dt.is_not(None))
    elif state is not None:
        raise Invalid(f'Unknown state {state!r}.', fields={'state': ['One of open, acknowledged.']})
    # The desk and the API show each row's ticket, agency and people: load them with the page, not per row.
    query = query.options(selectinload(Escalation.ticket), selectinload(Escalation.agency),
                          selectinload(Escalation.officer), selectinload(Escalation.acknowledged_by))
    return db.session.scalars(query.order_by(Escalation.recorded_dt.desc(), Escalation.id.desc())
                              .limit(limit).offset(offset)).all()


def get_escalation(user, escalation_id):
    """An escalation of the user's agency, or NotFound."""
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None or escalation.kind == WARNING:
        raise NotFound(f'No escalation {escalation_id}.')
    _check_agency(user, escalation.agency_id, 'such escalation')
    return escalation


def acknowledge(escalation, supervisor, *, now):
    """Mark an escalation as seen by a supervisor; once only."""
    if escalation.acknowledged_dt is not None:
        raise Conflict(f'Escalation {escalation.id} was already acknowledged by '
                       f'{escalation.acknowledged_by.email} at {escalation.acknowledged_dt.isoformat()}.')
    escalation.acknowledged_by = supervisor
    escalation.acknowledged_dt = now
    db.session.flush()
    return escalation


def list_sanctions(user, *, status=None, limit=50, offset=0):
    """Sanction records of the user's agency, newest first."""
    query = sa.select(SanctionRecord)
    if user.role != ADMIN:
        query = query.where(SanctionRecord.agency_id == user.agency_id)
    if status:
        query = query.where(SanctionRecord.status == status)
    query = query.options(selectinload(SanctionRecord.ticket), selectinload(SanctionRecord.agency),
                          selectinload(SanctionRecord.officer), selectinload(SanctionRecord.decided_by),
                          selectinload(SanctionRecord.notes))
    return db.session.scalars(query.order_by(SanctionRecord.breached_dt.desc(), SanctionRecord.id.desc())
                              .limit(limit).offset(offset)).all()


def get_sanction(user, sanction_id, *, for_update=False):
    """A sanction record of the user's agency, or NotFound."""
    query = sa.select(SanctionRecord).where(SanctionRecord.id == sanction_id)
    record = db.session.scalar(query.with_for_update() if for_update else query)
    if record is None:
        raise NotFound(f'No sanction record {sanction_id}.')
    _check_agency(user, record.agency_id, 'such sanction record')
    return record


def decide_sanction(record, supervisor, decision, reason, *, now):
    """Confirm or waive a pending sanction record, with a reason. A decision is final."""
    if record.is_decided:
        raise Conflict(f'Sanction record {record.id} was already {record.status} on '
                       f'{record.decided_dt.isoformat()}; add a note instead.')
    if decision not in (CONFIRMED, WAIVED):
        raise Invalid('Decision must be confirmed or waived.', fields={'decision': ['confirmed or waived']})
    if not (reason or '').strip():
        raise Invalid('Give the reason for the decision.', fields={'reason': ['Required.']})
    if record.officer_id is not None and record.officer_id == supervisor.id:
        raise Forbidden('You cannot decide a sanction record against yourself.')
    record.status = decision
    record.decided_by = supervisor
    record.decided_dt = now
    record.decision_reason = reason.strip()
    db.session.flush()
    logger.info('Sanction record %s %s by %s', record.id, decision, supervisor.email)
    return record


def add_sanction_note(record, author, body, *, now):
    """Append a remark to a sanction record, decided or not."""
    if not (body or '').strip():
        raise Invalid('The note is empty.', fields={'body': ['Required.']})
    note = SanctionNote(sanction_id=record.id, author=author, body=body.strip(), created_dt=now)
    db.session.add(note)
    db.session.flush()
    return note


def set_category_policy(category: Category, *, now, response_window_minutes=None, clock=None,
                        resolution_days=None):
    """Change a category's deadlines and recompute its open tickets."""
    if response_window_minutes is not None:
        category.response_window_minutes = response_window_minutes
    if clock is not None:
        category.clock = clock
    if resolution_days is not None:
        category.resolution_days = resolution_days
    db.session.flush()
    return recompute_open_tickets(now=now, category_id=category.id)
