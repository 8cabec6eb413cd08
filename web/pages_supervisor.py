"""The supervisor desk: escalations to acknowledge, sanction records to decide, compliance, exports.

Supervisors see their own agency, administrators every agency. Decisions go through
`sla.operations`, exactly as the JSON API's do; a decided record only takes notes.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import wraps
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import format_date, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.exceptions import Forbidden as HTTPForbidden
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from complaints.models import Agency
from core.errors import ApiError, Invalid
from core.extensions import db
from core.timeutil import now_utc
from notifications.templates import format_local
from sla import operations, reports
from sla.models import CONFIRMED, PENDING, WAIVED

bp = Blueprint('supervisor', __name__, url_prefix='/supervisor')

SUPERVISORS = ('supervisor', 'admin')
#: How many items of each list the desk shows (newest first); older ones are in the CSV exports.
DESK_LIMIT = 100
DECIDED_LIMIT = 50
#: The longest period the compliance page draws (its charts get one bar per week).
MAX_PERIOD_DAYS = 366
#: Rows written to the CSV buffer before it is handed to the client.
CSV_CHUNK_ROWS = 200


def supervisor_required(view):
    """Signed in, as a supervisor or an administrator; officers get 403."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.role not in SUPERVISORS:
            abort(403)
        return view(*args, **kwargs)
    return login_required(wrapper)


class DecisionForm(FlaskForm):
    #: The value of the button pressed: "Konfirmasi sanksi" or "Bebaskan sanksi".
    decision = StringField(validators=[AnyOf((CONFIRMED, WAIVED))])
    reason = TextAreaField(validators=[DataRequired(), Length(max=2000)])


class NoteForm(FlaskForm):
    body = TextAreaField(validators=[DataRequired(), Length(max=2000)])


def _user():
    # Operations store the user on rows: they need the model, not Flask-Login's proxy.
    return current_user._get_current_object()


def _agency_ids():
    if current_user.role == 'admin':
        return db.session.scalars(sa.select(Agency.id).order_by(Agency.code)).all()
    return [current_user.agency_id]


# -- presentation helpers --------------------------------------------------------------------------

def _locale():
    return str(get_locale() or 'id')


def local_time(dt, timezone_name):
    """A time as read in the agency's zone, or a dash."""
    return format_local(dt, timezone_name, _locale()) if dt is not None else '–'


def duration(delta):
    """A response time in whole minutes: "2 jam 5 menit"."""
    if delta is None:
        return '–'
    seconds = delta.total_seconds()
    if seconds < 60:
        return _('< 1 menit')
    minutes = round(seconds / 60)
    if minutes < 60:
        return _('%(minutes)d menit', minutes=minutes)
    return _('%(hours)d jam %(minutes)d menit', hours=minutes // 60, minutes=minutes % 60)


def percent(share):
    """A share as a percentage in the page's locale ("66,7%"), or a dash for no data."""
    return format_percent(share, '#,##0.#%') if share is not None else '–'


def short_day(day):
    """A date as "16 Nov 2026"."""
    return format_date(day, 'd MMM yyyy')


def status_label(status):
    """The label of a sanction record's status."""
    return {PENDING: _('Menunggu keputusan'), CONFIRMED: _('Dikonfirmasi'), WAIVED: _('Dibebaskan')}[status]


def kind_label(kind):
    """The label of an escalation's kind."""
    return {'response': _('Respons'), 'resolution': _('Penyelesaian')}.get(kind, kind)


def responsibility_label(responsibility):
    """How the officer came to answer for the ticket."""
    return {'assignee': _('penerima tugas tiket'), 'duty_officer': _('petugas piket'),
            'nobody': _('tidak ada petugas')}.get(responsibility, responsibility)


@bp.context_processor
def _helpers():
    return {'local_time': local_time, 'duration': duration, 'percent': percent, 'short_day': short_day,
            'status_label': status_label, 'kind_label': kind_label, 'responsibility_label': responsibility_label}


@bp.errorhandler(ApiError)
def _api_error(exc):
    return render_template('supervisor/error.html', message=exc.message), exc.status


@bp.errorhandler(HTTPForbidden)
def _forbidden(_exc):
    return render_template('supervisor/error.html', message=_('Halaman ini hanya untuk supervisor dan '
                                                              'administrator.')), 403


# -- the desk --------------------------------------------------------------------------------------

@bp.get('/')
@supervisor_required
def desk():
    """The supervisor desk."""
    user = _user()
    decided = (operations.list_sanctions(user, status=CONFIRMED, limit=DECIDED_LIMIT)
               + operations.list_sanctions(user, status=WAIVED, limit=DECIDED_LIMIT))
    decided.sort(key=lambda r: (r.breached_dt, r.id), reverse=True)
    return render_template(
        'supervisor/desk.html',
        escalations=operations.list_escalations(user, state='open', limit=DESK_LIMIT),
        pending=operations.list_sanctions(user, status=PENDING, limit=DESK_LIMIT),
        decided=decided[:DECIDED_LIMIT], desk_limit=DESK_LIMIT, decided_limit=DECIDED_LIMIT)


def _back_to(anchor):
    return redirect(url_for('.desk') + '#' + anchor)


@bp.post('/eskalasi/<int:escalation_id>/akui')
@supervisor_required
def acknowledge(escalation_id):
    """Acknowledge an escalation ("Akui")."""
    escalation = operations.get_escalation(_user(), escalation_id)
    # Flask-WTF's CSRFProtect has already refused a POST without its token (400).
    try:
        operations.acknowledge(escalation, _user(), now=now_utc())
    except ApiError as exc:
        db.session.rollback()
        flash(exc.message, 'error')
        return _back_to('eskalasi')
    db.session.commit()
    flash(_('Eskalasi %(code)s diakui.', code=escalation.ticket.tracking_code), 'success')
    return _back_to('eskalasi')


@bp.post('/sanksi/<int:sanction_id>/keputusan')
@supervisor_required
def decide(sanction_id):
    """Confirm or waive a pending sanction record, with a reason; final once made."""
    record = operations.get_sanction(_user(), sanction_id, for_update=True)
    form = DecisionForm()
    if not form.validate_on_submit():
        if form.reason.errors:
            flash(_('Alasan keputusan wajib diisi (paling banyak 2000 karakter). Catatan sanksi %(code)s '
                    'belum diputuskan.', code=record.ticket.tracking_code), 'error')
        else:
            flash(_('Pilih konfirmasi atau bebaskan. Catatan sanksi %(code)s belum diputuskan.',
                    code=record.ticket.tracking_code), 'error')
        return _back_to(f'sanksi-{record.id}')
    try:
        operations.decide_sanction(record, _user(), form.decision.data, form.reason.data, now=now_utc())
    except ApiError as exc:
        db.session.rollback()
        flash(exc.message, 'error')
        return _back_to(f'sanksi-{sanction_id}')
    db.session.commit()
    flash(_('Catatan sanksi %(code)s: %(status)s.', code=record.ticket.tracking_code,
            status=status_label(record.status)), 'success')
    return _back_to(f'sanksi-{record.id}')


@bp.post('/sanksi/<int:sanction_id>/catatan')
@supervisor_required
def add_note(sanction_id):
    """Append a note to a sanction record: the only change a decided record takes."""
    record = operations.get_sanction(_user(), sanction_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_('Catatan kosong atau lebih dari 2000 karakter; tidak ada yang disimpan.'), 'error')
        return _back_to(f'sanksi-{record.id}')
    try:
        operations.add_sanction_note(record, _user(), form.body.data, now=now_utc())
    except ApiError as exc:
        db.session.rollback()
        flash(exc.message, 'error')
        return _back_to(f'sanksi-{sanction_id}')
    db.session.commit()
    flash(_('Catatan ditambahkan.'), 'success')
    return _back_to(f'sanksi-{record.id}')


# -- compliance and exports ----------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Local dates (both included) and the UTC instants [start_dt, end_dt) they span."""

    first_day: date
    last_day: date
    start_dt: datetime
    end_dt: datetime
    timezone: str


def _period(*, strict):
    """?from=&to= (local dates in the user's agency zone, both included); by default the last 8 ISO weeks,
    this one included. Bad input: Invalid when `strict`, else a flash and the default."""
    zone_name = current_user.agency.timezone
    zone = ZoneInfo(zone_name)
    today = now_utc().astimezone(zone).date()
    first_day, last_day = today - timedelta(days=today.weekday(), weeks=7), today
    raw_from, raw_to = request.args.get('from'), request.args.get('to')
    if raw_from or raw_to:
        try:
            chosen_from = date.fromisoformat(raw_from) if raw_from else first_day
            chosen_to = date.fromisoformat(raw_to) if raw_to else last_day
            if chosen_from > chosen_to:
                raise ValueError('from after to')
            if not strict and (chosen_to - chosen_from).days >= MAX_PERIOD_DAYS:
                raise ValueError('too long')
            first_day, last_day = chosen_from, chosen_to
        except ValueError:
            message = _('Periode tidak valid: gunakan tanggal YYYY-MM-DD, "dari" tidak setelah "sampai", '
                        'paling panjang %(days)d hari.', days=MAX_PERIOD_DAYS)
            if strict:
                raise Invalid(message, fields={'from': [message], 'to': [message]}) from None
            flash(message, 'error')

    def midnight(day):
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)

    return Period(first_day, last_day, midnight(first_day), midnight(last_day + timedelta(days=1)), zone_name)


@bp.get('/kepatuhan')
@supervisor_required
def compliance():
    """Response compliance per agency and officer, and per week as charts."""
    period = _period(strict=False)
    agency_ids, now = _agency_ids(), now_utc()
    report = reports.compliance_report(agency_ids, period.start_dt, period.end_dt, now)
    weeks = reports.weekly_series(agency_ids, period.start_dt, period.end_dt, now, period.timezone)
    return render_template('supervisor/compliance.html', report=report, weeks=weeks, period=period,
                           is_admin=current_user.role == 'admin')


@bp.get('/ekspor/<any(tickets, escalations, sanctions):kind>.csv')
@supervisor_required
def export(kind):
    """The period's tickets, escalations or sanction records as CSV, streamed row batch by row batch."""
    period = _period(strict=True)
    rows = reports.export_rows(kind, _agency_ids(), period.start_dt, period.end_dt)

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator='\r\n')
        for count, row in enumerate(rows, start=1):
            writer.writerow(row)
            if count % CSV_CHUNK_ROWS == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f'tanggap-{kind}-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv'
    return Response(stream_with_context(generate()), mimetype='text/csv',
                    headers={'Content-Disposition': f'attachment; filename="{filename}"'})
