"""Response-deadline compliance per agency, per officer and per ISO week, and the CSV export rows.

Every figure describes the tickets *received* in a period ([start_dt, end_dt), UTC), except the
backlog, which is the open tickets at `now` whatever their age:

- received: tickets that arrived in the period, counted under the agency that holds them now;
- measured: of those, the ones whose outcome is known at `now`: answered, or unanswered past their
  deadline. A ticket still inside its window is not counted for or against anyone yet;
- answered_in_time: measured tickets with first_response_dt <= response_due_dt (the stored deadline,
  so a category on a working-hours clock is judged by its own calendar);
- share_in_time: answered_in_time / measured, None when nothing is measured (0 % would read as
  "failed every ticket");
- median_response, p90_response: over the answered tickets, first_response_dt - received_dt in wall
  time, linear interpolation between ranks (as PostgreSQL's percentile_cont and numpy's default);
- breaches: level-1 response escalations of those tickets, under the agency and the officer the
  escalation names: who was responsible at the moment of breach, not who answered later;
- backlog: open tickets now, under the officer answering for each now (the active assignee, else the
  agency's duty officer), as the sweep would pick them.

A ticket counts, per officer, for the officer who first answered it, or, unanswered and breached, for
the officer named in the breach; unanswered tickets nobody was blamed for fall under "no officer".

Percentiles are computed in Python over the durations fetched with one query: a city's few thousand
tickets a month fit in memory easily. At many times that volume, move them to percentile_cont in SQL.
"""
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401

from accounts.models import User
from complaints.models import OPEN_STATUSES, Agency, Category, Ticket
from core.extensions import db
from sla.models import RESPONSE, WARNING, Escalation, SanctionNote, SanctionRecord

#: Rows fetched per round trip while streaming an export.
EXPORT_BATCH = 500


# -- figures -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compliance:
    """The figures of one group of tickets (an agency, an officer, a week, everything)."""

    received: int = 0
    measured: int = 0
    answered: int = 0
    answered_in_time: int = 0
    median_response: timedelta | None = None
    p90_response: timedelta | None = None
    breaches: int = 0
    backlog: int = 0

    @property
    def share_in_time(self):
        """answered_in_time / measured, or None when no ticket is measured yet."""
        return self.answered_in_time / self.measured if self.measured else None


@dataclass(frozen=True)
class AgencyCompliance:
    """One agency's row."""

    agency_id: int
    code: str
    name: str
    stats: Compliance


@dataclass(frozen=True)
class OfficerCompliance:
    """One officer's row, within the agency the tickets (or the breaches) belong to."""

    agency_id: int
    agency_code: str
    #: None: tickets no officer answered or was blamed for (still inside their window, or closed unanswered).
    officer_id: int | None
    officer_name: str | None
    officer_email: str | None
    stats: Compliance


@dataclass(frozen=True)
class ComplianceReport:
    """Rows per agency and per officer, and the total over all the agencies asked for."""

    start_dt: datetime
    end_dt: datetime
    now: datetime
    total: Compliance
    agencies: list[AgencyCompliance]
    officers: list[OfficerCompliance]


@dataclass(frozen=True)
class WeekPoint:
    """One ISO week (of local dates) of the period."""

    iso_year: int
    iso_week: int
    #: The Monday of the week (local date), possibly before the period's first day.
    monday: date
    received: int
    measured: int
    answered_in_time: int
    breaches: int

    @property
    def share_in_time(self):
        """answered_in_time / measured, or None when no ticket is measured yet."""
        return self.answered_in_time / self.measured if self.measured else None


def percentile(sorted_values, fraction):
    """The `fraction` percentile (0..1) of ascending values, interpolating linearly between ranks;
    None for no values. Works on numbers and on timedeltas."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


@dataclass
class _Tally:
    received: int = 0
    measured: int = 0
    answered_in_time: int = 0
    durations: list = field(default_factory=list)
    breaches: int = 0
    backlog: int = 0

    def add_ticket(self, ticket, now):
        self.received += 1
        if ticket.first_response_dt is not None:
            self.durations.append(ticket.first_response_dt - ticket.received_dt)
            self.measured += 1
            self.answered_in_time += ticket.first_response_dt <= ticket.response_due_dt
        elif ticket.response_due_dt <= now:
            self.measured += 1

    def merge(self, other):
        self.received += other.received
        self.measured += other.measured
        self.answered_in_time += other.answered_in_time
        self.durations.extend(other.durations)
        self.breaches += other.breaches
        self.backlog += other.backlog

    def freeze(self):
        durations = sorted(self.durations)
        return Compliance(received=self.received, measured=self.measured, answered=len(durations),
                          answered_in_time=self.answered_in_time, median_response=percentile(durations, 0.5),
                          p90_response=percentile(durations, 0.9), breaches=self.breaches, backlog=self.backlog)


def _level1():
    return sa.orm.aliased(Escalation, name='level1')


def _cohort(agency_ids, start_dt, end_dt):
    """The tickets received in the period, with the officer blamed at their level-1 breach, if any."""
    level1 = _level1()
    query = (sa.select(Ticket.agency_id, Ticket.received_dt, Ticket.response_due_dt, Ticket.first_response_dt,
                       Ticket.first_response_by_id, level1.id.label('breach_id'),
                       level1.officer_id.label('breach_officer_id'))
             .outerjoin(level1, sa.and_(level1.ticket_id == Ticket.id, level1.kind == RESPONSE, level1.level == 1))
             .where(Ticket.agency_id.in_(agency_ids), Ticket.received_dt >= start_dt, Ticket.received_dt < end_dt))
    return db.session.execute(query).all()


def _breaches(agency_ids, start_dt, end_dt):
    """Level-1 response escalations of tickets received in the period, under the agency and officer
    recorded at the breach (a transfer afterwards does not move the blame)."""
    query = (sa.select(Escalation.agency_id, Escalation.officer_id, Ticket.received_dt)
             .join(Ticket, Ticket.id == Escalation.ticket_id)
             .where(Escalation.kind == RESPONSE, Escalation.level == 1, Escalation.agency_id.in_(agency_ids),
                    Ticket.received_dt >= start_dt, Ticket.received_dt < end_dt))
    return db.session.execute(query).all()


def _backlog(agency_ids):
    """(agency_id, responsible officer id, open tickets) now."""
    assignee = sa.orm.aliased(User, name='assignee')
    responsible = sa.case((assignee.is_active.is_(True), Ticket.assignee_id), else_=Agency.duty_officer_id)
    query = (sa.select(Ticket.agency_id, responsible.label('officer_id'), sa.func.count())
             .join(Agency, Agency.id == Ticket.agency_id)
             .outerjoin(assignee, assignee.id == Ticket.assignee_id)
             .where(Ticket.agency_id.in_(agency_ids), Ticket.status.in_(OPEN_STATUSES))
             .group_by(Ticket.agency_id, responsible))
    return db.session.execute(query).all()


def compliance_report(agency_ids, start_dt, end_dt, now):
    """Compliance of the given agencies for tickets received in [start_dt, end_dt): one row per agency
    (every agency asked for, with zeros when it had nothing), one per officer with any figure, and the total."""
    agency_ids = list(agency_ids)
    by_agency = defaultdict(_Tally)
    by_officer = defaultdict(_Tally)
    if agency_ids:
        for ticket in _cohort(agency_ids, start_dt, end_dt):
            officer_id = ticket.first_response_by_id
            if officer_id is None and ticket.breach_id is not None:
                officer_id = ticket.breach_officer_id
            by_agency[ticket.agency_id].add_ticket(ticket, now)
            by_officer[ticket.agency_id, officer_id].add_ticket(ticket, now)
        for agency_id, officer_id, _received_dt in _breaches(agency_ids, start_dt, end_dt):
            by_agency[agency_id].breaches += 1
            by_officer[agency_id, officer_id].breaches += 1
        for agency_id, officer_id, count in _backlog(agency_ids):
            by_agency[agency_id].backlog += count
            by_officer[agency_id, officer_id].backlog += count

    agencies = {a.id: a for a in db.session.scalars(sa.select(Agency).where(Agency.id.in_(agency_ids)))}
    officer_ids = {officer_id for _, officer_id in by_officer if officer_id is not None}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(officer_ids)))} \
        if officer_ids else {}

    total = _Tally()
    agency_rows = []
    for agency in sorted(agencies.values(), key=lambda a: a.code):
        tally = by_agency[agency.id]
        total.merge(tally)
        agency_rows.append(AgencyCompliance(agency.id, agency.code, agency.name, tally.freeze()))
    officer_rows = []
    for (agency_id, officer_id), tally in by_officer.items():
        user = users.get(officer_id)
        officer_rows.append(OfficerCompliance(
            agency_id, agencies[agency_id].code, officer_id, user.name if user else None,
            user.email if user else None, tally.freeze()))
    # Per agency, named officers by name, then the "no officer" row.
    officer_rows.sort(key=lambda r: (r.agency_code, r.officer_id is None, (r.officer_name or '').lower(),
                                     r.officer_id or 0))
    return ComplianceReport(start_dt=start_dt, end_dt=end_dt, now=now, total=total.freeze(),
                            agencies=agency_rows, officers=officer_rows)


def _iso_key(dt, zone):
    local = dt.astimezone(zone).date()
    year, week, _ = local.isocalendar()
    return year, week


def weekly_series(agency_ids, start_dt, end_dt, now, timezone):
    """Per ISO week of the period (weeks of local dates in `timezone`), oldest first, every week present:
    tickets received, measured, answered in time, and level-1 breaches, as in `compliance_report`."""
    zone = ZoneInfo(timezone)
    agency_ids = list(agency_ids)
    first_day = start_dt.astimezone(zone).date()
    last_day = (end_dt - timedelta(microseconds=1)).astimezone(zone).date()
    weeks = {}
    monday = first_day - timedelta(days=first_day.weekday())
    while monday <= last_day:
        year, week, _ = monday.isocalendar()
        weeks[year, week] = [monday, _Tally()]
        monday += timedelta(days=7)
    if agency_ids:
        for ticket in _cohort(agency_ids, start_dt, end_dt):
            weeks[_iso_key(ticket.received_dt, zone)][1].add_ticket(ticket, now)
        for _agency_id, _officer_id, received_dt in _breaches(agency_ids, start_dt, end_dt):
            weeks[_iso_key(received_dt, zone)][1].breaches += 1
    return [WeekPoint(iso_year=year, iso_week=week, monday=monday, received=tally.received,
                      measured=tally.measured, answered_in_time=tally.answered_in_time, breaches=tally.breaches)
            for (year, week), (monday, tally) in weeks.items()]


# -- exports -------------------------------------------------------------------------------------

EXPORT_KINDS = ('tickets', 'escalations', 'sanctions')

#: Column names are stable identifiers (not translated), so spreadsheets and scripts can rely on them.
EXPORT_HEADERS = {
    'tickets': ('tracking_code', 'agency', 'category', 'channel', 'status', 'received_at', 'response_due_at',
                'first_response_at', 'first_response_by', 'response_minutes', 'answered_in_time', 'assignee',
                'resolution_due_at', 'resolved_at', 'closed_at'),
    'escalations': ('id', 'tracking_code', 'agency', 'kind', 'level', 'threshold_at', 'recorded_at', 'officer',
                    'officer_name', 'acknowledged_by', 'acknowledged_at'),
    'sanctions': ('id', 'tracking_code', 'agency', 'officer', 'officer_name', 'responsibility', 'received_at',
                  'due_at', 'breached_at', 'status', 'decided_by', 'decided_at', 'decision_reason', 'notes_count'),
}


def _iso(dt, zone):
    """ISO 8601 in the agency's zone, with its offset: 2026-11-23T09:00:00+07:00."""
    return dt.astimezone(zone).isoformat() if dt is not None else ''


def _cell(text):
    """Free text as a spreadsheet shows it, never as a formula (CSV injection)."""
    text = text or ''
    return "'" + text if text[:1] in ('=', '+', '-', '@', '\t', '\r') else text


@functools.lru_cache(maxsize=16)
def _zone(name):
    return ZoneInfo(name)


def export_rows(kind, agency_ids, start_dt, end_dt):
    """The header, then one list of strings per row of `kind` in the period, fetched in batches so a
    long period never sits in memory whole. Tickets by arrival, escalations by when they were recorded
    (warnings left out), sanction records by breach time. Resident contacts are not exported."""
    yield list(EXPORT_HEADERS[kind])
    rows = {'tickets': _ticket_rows, 'escalations': _escalation_rows, 'sanctions': _sanction_rows}[kind]
    yield from rows(list(agency_ids), start_dt, end_dt)


def _stream(query):
    return db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))


def _ticket_rows(agency_ids, start_dt, end_dt):
    responder = sa.orm.aliased(User, name='responder')
    assignee = sa.orm.aliased(User, name='assignee')
    query = (sa.select(Ticket.tracking_code, Agency.code, Agency.timezone, Category.code.label('category'),
                       Ticket.channel, Ticket.status, Ticket.received_dt, Ticket.response_due_dt,
                       Ticket.first_response_dt, responder.email.label('responder'),
                       assignee.email.label('assignee'), Ticket.resolution_due_dt, Ticket.resolved_dt,
                       Ticket.closed_dt)
             .join(Agency, Agency.id == Ticket.agency_id).join(Category, Category.id == Ticket.category_id)
             .outerjoin(responder, responder.id == Ticket.first_response_by_id)
             .outerjoin(assignee, assignee.id == Ticket.assignee_id)
             .where(Ticket.agency_id.in_(agency_ids), Ticket.received_dt >= start_dt, Ticket.received_dt < end_dt)
             .order_by(Ticket.received_dt, Ticket.id))
    for row in _stream(query):
        zone = _zone(row.timezone)
        answered = row.first_response_dt is not None
        yield [row.tracking_code, row.code, row.category, row.channel, row.status, _iso(row.received_dt, zone),
               _iso(row.response_due_dt, zone), _iso(row.first_response_dt, zone), row.responder or '',
               str(int((row.first_response_dt - row.received_dt).total_seconds() // 60)) if answered else '',
               ('yes' if row.first_response_dt <= row.response_due_dt else 'no') if answered else '',
               row.assignee or '', _iso(row.resolution_due_dt, zone), _iso(row.resolved_dt, zone),
               _iso(row.closed_dt, zone)]


def _escalation_rows(agency_ids, start_dt, end_dt):
    officer = sa.orm.aliased(User, name='officer')
    acknowledger = sa.orm.aliased(User, name='acknowledger')
    query = (sa.select(Escalation.id, Ticket.tracking_code, Agency.code, Agency.timezone, Escalation.kind,
                       Escalation.level, Escalation.threshold_dt, Escalation.recorded_dt,
                       officer.email.label('officer'), officer.name.label('officer_name'),
                       acknowledger.email.label('acknowledged_by'), Escalation.acknowledged_dt)
             .join(Ticket, Ticket.id == Escalation.ticket_id).join(Agency, Agency.id == Escalation.agency_id)
             .outerjoin(officer, officer.id == Escalation.officer_id)
             .outerjoin(acknowledger, acknowledger.id == Escalation.acknowledged_by_id)
             .where(Escalation.agency_id.in_(agency_ids), Escalation.kind != WARNING,
                    Escalation.recorded_dt >= start_dt, Escalation.recorded_dt < end_dt)
             .order_by(Escalation.recorded_dt, Escalation.id))
    for row in _stream(query):
        zone = _zone(row.timezone)
        yield [str(row.id), row.tracking_code, row.code, row.kind, str(row.level), _iso(row.threshold_dt, zone),
               _iso(row.recorded_dt, zone), row.officer or '', _cell(row.officer_name),
               row.acknowledged_by or '', _iso(row.acknowledged_dt, zone)]


def _sanction_rows(agency_ids, start_dt, end_dt):
    officer = sa.orm.aliased(User, name='officer')
    decider = sa.orm.aliased(User, name='decider')
    notes = (sa.select(sa.func.count(SanctionNote.id)).where(SanctionNote.sanction_id == SanctionRecord.id)
             .correlate(SanctionRecord).scalar_subquery())
    query = (sa.select(SanctionRecord.id, Ticket.tracking_code, Agency.code, Agency.timezone,
                       officer.email.label('officer'), officer.name.label('officer_name'),
                       SanctionRecord.responsibility, SanctionRecord.received_dt, SanctionRecord.due_dt,
                       SanctionRecord.breached_dt, SanctionRecord.status, decider.email.label('decided_by'),
                       SanctionRecord.decided_dt, SanctionRecord.decision_reason, notes.label('notes_count'))
             .join(Ticket, Ticket.id == SanctionRecord.ticket_id).join(Agency, Agency.id == SanctionRecord.agency_id)
             .outerjoin(officer, officer.id == SanctionRecord.officer_id)
             .outerjoin(decider, decider.id == SanctionRecord.decided_by_id)
             .where(SanctionRecord.agency_id.in_(agency_ids), SanctionRecord.breached_dt >= start_dt,
                    SanctionRecord.breached_dt < end_dt)
             .order_by(SanctionRecord.breached_dt, SanctionRecord.id))
    for row in _stream(query):
        zone = _zone(row.timezone)
        yield [str(row.id), row.tracking_code, row.code, row.officer or '', _cell(row.officer_name),
               row.responsibility, _iso(row.received_dt, zone), _iso(row.due_dt, zone),
               _iso(row.breached_dt, zone), row.status, row.decided_by or '', _iso(row.decided_dt, zone),
               _cell(row.decision_reason), str(row.notes_count)]
