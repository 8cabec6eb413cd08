"""Officer pages: the inbox (most urgent first, live countdowns, new-ticket banner) and the ticket page.

The ticket page's forms each call one operation of `complaints.operations` and commit once. The inbox
builds its query here: it keeps `list_inbox`'s scope and order but adds the page's filters and keyset
pagination (`list_inbox` offers neither, and counts every matching row on each call).
"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import (
    Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from accounts.models import ADMIN, OFFICER, SUPERVISOR, User
from complaints import operations
from complaints.models import (
    CHANNELS, CLOSED, NEW, OPEN_STATUSES, PHOTO, REPLY, STATUSES, Agency, Attachment, Category, Resident,
    Ticket, TicketMessage)
from complaints.tracking import canonical_tracking_code
from core.errors import ApiError, Invalid, NotFound
from core.extensions import db
from core.phones import normalise_phone
from core.timeutil import ensure_utc, now_utc
from notifications.models import OutboxMessage
from notifications.templates import format_local
from sla.deadlines import AT_RISK, BREACHED, ON_TRACK, ResponseDeadlines, response_sla_state
from sla.models import Escalation

bp = Blueprint('pages', __name__, url_prefix='/petugas')

#: Rows per inbox page unless ?limit= says otherwise (at most MAX_PAGE_SIZE).
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
#: How often the inbox asks for new tickets; INBOX_POLL_SECONDS in the config overrides it.
POLL_SECONDS = 20
#: The new-ticket banner stops counting here ("100+"), so the poll stays a bounded read.
NEW_TICKETS_CAP = 100
#: Photos served inline; anything else is a download, so a stored file can never run as a page.
INLINE_IMAGE_TYPES = ('image/jpeg', 'image/png', 'image/webp', 'image/gif')
SLA_STATES = (ON_TRACK, AT_RISK, BREACHED)


def _user():
    # Operations store the user on rows: they need the model, not Flask-Login's proxy.
    return current_user._get_current_object()


def _locale():
    return str(get_locale() or 'id')


# -- labels ------------------------------------------------------------------------------------------

def status_label(status):
    """A ticket status as officers read it."""
    return {'new': _('Baru'), 'in_progress': _('Diproses'), 'waiting_on_resident': _('Menunggu warga'),
            'resolved': _('Selesai'), 'closed': _('Ditutup'), 'rejected': _('Ditolak')}.get(status, status)


def channel_label(channel):
    """A channel's name."""
    return {'web': 'Web', 'telegram': 'Telegram', 'whatsapp': 'WhatsApp', 'sms': 'SMS', 'email': 'Email',
            'console': _('Konsol'), 'internal': _('Internal')}.get(channel, channel)


def sla_label(state):
    """An SLA state in words."""
    return {ON_TRACK: _('Aman'), AT_RISK: _('Hampir terlambat'), BREACHED: _('Terlambat'),
            'answered': _('dijawab')}.get(state, state)


def event_label(action):
    """A history line's action."""
    return {'created': _('Keluhan diterima'), 'responded': _('Jawaban pertama'), 'assigned': _('Ditugaskan'),
            'transferred': _('Dialihkan'), 'status': _('Status diubah'), 'recategorised': _('Kategori diubah'),
            'escalated': _('Dieskalasi'), 'resolution_overdue': _('Lewat batas penyelesaian')}.get(action, action)


def escalation_label(escalation):
    """What an escalation row records."""
    if escalation.kind == 'warning':
        return _('Peringatan 75%')
    if escalation.kind == 'response':
        return _('Batas respons terlewati · tingkat %(level)d', level=escalation.level)
    return _('Batas penyelesaian terlewati')


def delivery_label(outbox):
    """Where a reply is on its way to the resident."""
    if outbox is None:
        return _('tidak ada kontak warga untuk kanal ini')
    label = {'pending': _('menunggu dikirim'), 'delivered': _('terkirim'),
             'dead': _('gagal dikirim')}.get(outbox.status, outbox.status)
    provider = {'queued': _('antre di penyedia'), 'sent': _('dikirim penyedia'), 'delivered': _('diterima'),
                'read': _('dibaca'), 'failed': _('gagal'), 'undelivered': _('tidak sampai')}
    if outbox.provider_status:
        label += f' · {provider.get(outbox.provider_status, outbox.provider_status)}'
    return label


def category_name(category):
    """The category's name in the page's language."""
    return category.name_en if _locale() == 'en' else category.name_id


def local_time(dt, timezone_name):
    """A time as read in the agency's zone (WIB, WITA, WIT), or a dash."""
    return format_local(dt, timezone_name, _locale()) if dt is not None else '–'


def countdown_text(due_dt, now):
    """'sisa 1:02:03' before the deadline, 'terlambat 0:05:00' after it; inbox.js writes the same."""
    seconds = (due_dt - now).total_seconds()
    rest = int(abs(seconds))
    clock = f'{rest // 3600}:{rest % 3600 // 60:02d}:{rest % 60:02d}'
    return _('sisa %(time)s', time=clock) if seconds > 0 else _('terlambat %(time)s', time=clock)


def response_state(ticket, now):
    """on_track, at_risk, breached, or 'answered' once the resident has had a reply."""
    deadlines = ResponseDeadlines(ticket.response_warn_dt, ticket.response_due_dt, ticket.response_level2_dt)
    return response_sla_state(now, deadlines, ticket.first_response_dt) or 'answered'


def mask_phone(phone):
    """+6281200001234 -> +62812****1234: enough to recognise, not enough to call."""
    if not phone:
        return phone
    head, tail = (6, 4) if len(phone) > 10 else (0, 3)
    return phone[:head] + '*' * max(len(phone) - head - tail, 3) + phone[-tail:]


def mask_email(email):
    """budi@example.id -> b***@example.id."""
    if not email or '@' not in email:
        return email
    name, domain = email.split('@', 1)
    return f'{name[:1]}***@{domain}'


def can_see_contact(user, ticket):
    """The resident's phone and email in full: the ticket's assignee, supervisors and admins only."""
    return user.role in (SUPERVISOR, ADMIN) or (ticket.assignee_id is not None and ticket.assignee_id == user.id)


def iso(dt):
    """An instant for the browser's Date.parse: UTC, milliseconds, 'Z' (six-digit fractions trip some)."""
    return ensure_utc(dt).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def osm_url(lat, lng):
    """A plain OpenStreetMap link to a point."""
    return f'https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lng:.6f}#map=18/{lat:.6f}/{lng:.6f}'


@bp.context_processor
def _helpers():
    return {'status_label': status_label, 'channel_label': channel_label, 'sla_label': sla_label,
            'event_label': event_label, 'escalation_label': escalation_label, 'delivery_label': delivery_label,
            'category_name': category_name, 'local_time': local_time, 'countdown_text': countdown_text,
            'response_state': response_state, 'osm_url': osm_url, 'iso': iso}


@bp.errorhandler(ApiError)
def _api_error(exc):
    message = _('Tiket tidak ditemukan di instansi Anda.') if isinstance(exc, NotFound) else exc.message
    return render_template('staff/error.html', message=message), exc.status


# -- the inbox ---------------------------------------------------------------------------------------

class InboxFilterSchema(Schema):
    """The inbox's query string; empty values mean "no filter"."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(validate=validate.Length(max=100), load_default='')
    #: Empty: the open statuses; 'all': every status.
    status = fields.String(validate=validate.OneOf(STATUSES + ('all',)), load_default=None)
    sla = fields.String(validate=validate.OneOf(SLA_STATES), load_default=None)
    category = fields.String(validate=validate.Length(max=64), load_default=None)
    channel = fields.String(validate=validate.OneOf(CHANNELS), load_default=None)
    #: 'me', 'none' or a member of staff's email.
    assignee = fields.String(validate=validate.Length(max=254), load_default=None)
    #: Admins only: one agency's tickets.
    agency = fields.String(validate=validate.Length(max=32), load_default=None)
    limit = fields.Integer(validate=validate.Range(1, MAX_PAGE_SIZE), load_default=PAGE_SIZE)
    after = fields.String(validate=validate.Length(max=80), load_default=None)
    before = fields.String(validate=validate.Length(max=80), load_default=None)


def _load_filters():
    args = {key: value.strip() for key, value in request.args.items() if value.strip()}
    try:
        return InboxFilterSchema().load(args)
    except ValidationError as exc:
        flash(_('Sebagian filter tidak valid dan diabaikan.'), 'error')
        return InboxFilterSchema().load({k: v for k, v in args.items() if k not in exc.messages})


# Unanswered tickets by response deadline first, then answered ones by resolution deadline: the order of
# `complaints.operations.list_inbox`, spelled out here so that pages can continue after a given row.
_IS_ANSWERED = sa.case((Ticket.first_response_dt.is_not(None), 1), else_=0)
_DUE = sa.case((Ticket.first_response_dt.is_not(None), Ticket.resolution_due_dt), else_=Ticket.response_due_dt)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _sort_key(ticket):
    if ticket.first_response_dt is not None:
        return 1, ticket.resolution_due_dt, ticket.id
    return 0, ticket.response_due_dt, ticket.id


def _encode_cursor(ticket):
    answered, due_dt, ticket_id = _sort_key(ticket)
    micros = (ensure_utc(due_dt) - _EPOCH) // timedelta(microseconds=1)
    return f'{answered}.{micros}.{ticket_id}'


def _decode_cursor(text):
    try:
        answered, micros, ticket_id = (int(part) for part in text.split('.'))
    except (AttributeError, ValueError):
        return None
    if answered not in (0, 1) or micros < 0 or ticket_id < 0:
        return None
    return answered, _EPOCH + timedelta(microseconds=micros), ticket_id


def _beyond(cursor, *, forward):
    """Rows after (forward) or before the cursor in inbox order."""
    answered, due_dt, ticket_id = cursor
    if forward:
        return sa.or_(_IS_ANSWERED > answered, sa.and_(_IS_ANSWERED == answered, _DUE > due_dt),
                      sa.and_(_IS_ANSWERED == answered, _DUE == due_dt, Ticket.id > ticket_id))
    return sa.or_(_IS_ANSWERED < answered, sa.and_(_IS_ANSWERED == answered, _DUE < due_dt),
                  sa.and_(_IS_ANSWERED == answered, _DUE == due_dt, Ticket.id < ticket_id))


def _as_phone(text):
    if len([ch for ch in text if ch.isdigit()]) < 8 or any(ch not in '+0123456789 -.()' for ch in text):
        return None
    try:
        return normalise_phone(text)
    except Invalid:
        return None


def inbox_query(user, filters, *, now):
    """The tickets the user's inbox shows under `filters`, unordered and unpaged.

    Officers and supervisors start from `agency_id = theirs AND status IN (open)`, the leading columns of
    ix_tickets_inbox (agency_id, status, response_due_dt); the "late" filter adds a range on its third.
    """
    query = sa.select(Ticket)
    if user.role != ADMIN:
        query = query.where(Ticket.agency_id == user.agency_id)
    elif filters['agency']:
        query = query.where(Ticket.agency_id == sa.select(Agency.id).where(
            Agency.code == filters['agency'].upper()).scalar_subquery())
    searching_one = False
    text = filters['q']
    if text:
        code, phone = canonical_tracking_code(text), None
        if code:
            query = query.where(Ticket.tracking_code == code)
        elif phone := _as_phone(text):
            query = query.where(Ticket.resident_id.in_(sa.select(Resident.id).where(Resident.phone == phone)))
        else:
            # Scans only the rows the scope above leaves (an agency's open tickets), not the table.
            pattern = '%' + text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'
            query = query.where(Ticket.description.ilike(pattern, escape='\\'))
        # Someone with a code or a phone number in hand is looking for that resident's tickets, done or not.
        searching_one = bool(code or phone)
    status = filters['status']
    if status and status != 'all':
        query = query.where(Ticket.status == status)
    elif not status and not searching_one:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    if filters['sla']:
        from sla.operations import sla_state_filter
        query = query.where(sla_state_filter(filters['sla'], now))
    if filters['category']:
        query = query.where(Ticket.category_id.in_(
            sa.select(Category.id).where(Category.code == filters['category'])))
    if filters['channel']:
        query = query.where(Ticket.channel == filters['channel'])
    assignee = filters['assignee']
    if assignee == 'me':
        query = query.where(Ticket.assignee_id == user.id)
    elif assignee == 'none':
        query = query.where(Ticket.assignee_id.is_(None))
    elif assignee:
        query = query.where(Ticket.assignee_id == sa.select(User.id).where(
            User.email == assignee.lower()).scalar_subquery())
    return query


def inbox_page(user, filters, *, now):
    """(tickets, cursor of the previous page or None, cursor of the next page or None).

    Keyset pagination: a page continues after (or before) the last row seen, in inbox order. Fetching
    limit + 1 rows tells whether another page exists, with no COUNT over the agency's tickets, and rows
    answered meanwhile cannot make the next page skip tickets the way an offset would.
    """
    query = inbox_query(user, filters, now=now).options(
        joinedload(Ticket.category), joinedload(Ticket.assignee), joinedload(Ticket.agency))
    limit = filters['limit']
    after = _decode_cursor(filters['after']) if filters['after'] else None
    before = _decode_cursor(filters['before']) if filters['before'] and not after else None
    if before:
        rows = db.session.scalars(query.where(_beyond(before, forward=False))
                                  .order_by(_IS_ANSWERED.desc(), _DUE.desc(), Ticket.id.desc())
                                  .limit(limit + 1)).unique().all()
        has_prev, has_next = len(rows) > limit, True
        rows = rows[:limit][::-1]
    else:
        if after:
            query = query.where(_beyond(after, forward=True))
        rows = db.session.scalars(query.order_by(_IS_ANSWERED, _DUE, Ticket.id).limit(limit + 1)).unique().all()
        has_prev, has_next = after is not None, len(rows) > limit
        rows = rows[:limit]
    prev_cursor = _encode_cursor(rows[0]) if rows and has_prev else None
    next_cursor = _encode_cursor(rows[-1]) if rows and has_next else None
    return rows, prev_cursor, next_cursor


def _filter_choices(user):
    if user.role == ADMIN:
        categories = db.session.scalars(sa.select(Category).order_by(Category.code)).all()
        agencies = db.session.scalars(sa.select(Agency).order_by(Agency.code)).all()
        staff = []
    else:
        categories = db.session.scalars(sa.select(Category).where(Category.agency_id == user.agency_id)
                                        .order_by(Category.code)).all()
        agencies = []
        staff = operations.staff_of_agency(user.agency_id, OFFICER, SUPERVISOR)
    return {'categories': categories, 'agencies': agencies, 'staff': staff, 'statuses': STATUSES,
            'channels': CHANNELS, 'sla_states': SLA_STATES}


def _poll_ms():
    return int(float(current_app.config.get('INBOX_POLL_SECONDS', POLL_SECONDS)) * 1000)


@bp.get('/')
@login_required
def inbox():
    """The officer inbox: the agency's open tickets (admins: all), most urgent first."""
    user, now = _user(), now_utc()
    filters = _load_filters()
    tickets, prev_cursor, next_cursor = inbox_page(user, filters, now=now)
    # What the links keep: the filters chosen, never the page position.
    kept = {key: value for key, value in filters.items()
            if key not in ('after', 'before') and value and not (key == 'limit' and value == PAGE_SIZE)}
    return render_template('staff/inbox.html', tickets=tickets, filters=filters, kept=kept, now=now,
                           prev_cursor=prev_cursor, next_cursor=next_cursor, poll_ms=_poll_ms(), page_size=PAGE_SIZE,
                           is_admin=user.role == ADMIN, **_filter_choices(user))


@bp.get('/baru')
@login_required
def new_tickets():
    """How many tickets arrived in the user's view after ?since= (ISO 8601): the inbox's banner."""
    try:
        since = ensure_utc(datetime.fromisoformat(request.args.get('since', '')))
    except ValueError:
        return jsonify(error={'code': 'invalid', 'message': 'since must be an ISO 8601 time.',
                              'fields': {'since': ['An ISO 8601 time.']}}), 422
    user = _user()
    # A fresh ticket is 'new' and due after it arrived, so `response_due_dt > since` holds for every ticket
    # received since then: that lets ix_tickets_inbox (agency_id, status, response_due_dt) do the reading.
    query = sa.select(Ticket.id).where(Ticket.status == NEW, Ticket.response_due_dt > since,
                                       Ticket.received_dt > since)
    if user.role != ADMIN:
        query = query.where(Ticket.agency_id == user.agency_id)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.limit(NEW_TICKETS_CAP).subquery()))
    label = f'{NEW_TICKETS_CAP}+' if count >= NEW_TICKETS_CAP else str(count)
    return jsonify(count=count, label=label)


# -- the ticket page ---------------------------------------------------------------------------------

def canned_replies():
    """(key, label, text): ready answers an officer can start a reply from. The text goes to residents,
    who read Bahasa Indonesia first, so it is not translated with the page."""
    return (
        ('diterima', _('Laporan diterima dan ditindaklanjuti'),
         'Terima kasih atas laporan Anda. Keluhan Anda sudah kami terima dan sedang kami tindak lanjuti. '
         'Kami akan mengabari Anda kembali.'),
        ('data', _('Minta keterangan tambahan'),
         'Terima kasih atas laporan Anda. Mohon kirimkan alamat lengkap dan, bila ada, foto lokasi agar '
         'petugas kami dapat segera menindaklanjutinya.'),
        ('jadwal', _('Petugas dijadwalkan ke lokasi'),
         'Petugas kami dijadwalkan memeriksa lokasi dalam 1-2 hari kerja. Kami akan mengabari Anda '
         'setelah pemeriksaan.'),
        ('selesai', _('Keluhan sudah ditangani'),
         'Keluhan Anda sudah selesai kami tangani. Terima kasih telah melapor; mohon beri penilaian '
         'atas layanan kami.'),
    )


class ReplyForm(FlaskForm):
    #: Optional; an unknown key just inserts nothing.
    canned = SelectField(choices=[], default='', validate_choice=False)
    body = TextAreaField(validators=[Length(max=5000)])


class NoteForm(FlaskForm):
    body = TextAreaField(validators=[DataRequired(), Length(max=5000)])


class AssignForm(FlaskForm):
    officer = SelectField(choices=[], validators=[DataRequired()])


class TransferForm(FlaskForm):
    agency = SelectField(choices=[], validators=[DataRequired()])
    reason = TextAreaField(validators=[DataRequired(), Length(max=1000)])


class StatusForm(FlaskForm):
    status = SelectField(choices=[], validators=[DataRequired()])
    reason = TextAreaField(validators=[Length(max=1000)])


def _forms(ticket):
    """Every form of the ticket page, filled from the request when it is the one posted."""
    forms = {'reply': ReplyForm(prefix='reply'), 'note': NoteForm(prefix='note'),
             'assign': AssignForm(prefix='assign'), 'transfer': TransferForm(prefix='transfer'),
             'status': StatusForm(prefix='status')}
    forms['reply'].canned.choices = [('', _('— tanpa templat —'))] + [(k, label) for k, label, _t in canned_replies()]
    staff = operations.staff_of_agency(ticket.agency_id, OFFICER, SUPERVISOR)
    forms['assign'].officer.choices = [(u.email, f'{u.name} ({u.email})') for u in staff]
    agencies = db.session.scalars(sa.select(Agency).where(Agency.is_active.is_(True),
                                                          Agency.id != ticket.agency_id)
                                  .order_by(Agency.code)).all()
    forms['transfer'].agency.choices = [('', _('— pilih instansi —'))] + [(a.code, f'{a.code} · {a.name}')
                                                                         for a in agencies]
    forms['status'].status.choices = [(s, status_label(s)) for s in STATUSES
                                      if s in operations.TRANSITIONS[ticket.status]]
    return forms


def _conversation(ticket):
    """The ticket's messages in time order, each reply paired with the outbox row carrying it."""
    messages = db.session.scalars(
        sa.select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
        .options(selectinload(TicketMessage.attachments), joinedload(TicketMessage.author),
                 joinedload(TicketMessage.outbox))
        .order_by(TicketMessage.created_dt, TicketMessage.id)).unique().all()
    # Replies whose outbox link was not stored: the reply row queued at the same instant is theirs.
    unlinked = [m for m in messages if m.kind == REPLY and m.outbox_id is None]
    outbox = {}
    if unlinked:
        rows = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.template == 'reply',
            OutboxMessage.id.not_in([m.outbox_id for m in messages if m.outbox_id] or [0]))
            .order_by(OutboxMessage.id)).all()
        for message in unlinked:
            match = next((r for r in rows if r.created_dt == message.created_dt), None)
            if match is not None:
                rows.remove(match)
                outbox[message.id] = match
    return [(m, m.outbox or outbox.get(m.id)) for m in messages]


def _render_ticket(ticket, forms=None, status=200):
    user, now = _user(), now_utc()
    forms = forms or _forms(ticket)
    escalations = db.session.scalars(sa.select(Escalation).where(Escalation.ticket_id == ticket.id)
                                     .order_by(Escalation.threshold_dt, Escalation.id)).all()
    resident = ticket.resident
    show_contact = can_see_contact(user, ticket)
    contact = {'name': resident.name,
               'phone': resident.phone if show_contact else mask_phone(resident.phone),
               'email': resident.email if show_contact else mask_email(resident.email),
               'is_masked': not show_contact}
    can_take = (ticket.status != CLOSED and ticket.assignee_id != user.id
                and any(email == user.email for email, _label in forms['assign'].officer.choices))
    return render_template(
        'staff/ticket.html', ticket=ticket, forms=forms, now=now, conversation=_conversation(ticket),
        escalations=escalations, events=ticket.events, contact=contact, can_take=can_take,
        canned=canned_replies(), is_closed=ticket.status == CLOSED), status


@bp.get('/tiket/<code>')
@login_required
def ticket(code):
    """The whole ticket: conversation, deadlines, escalations, history, and the forms to act on it."""
    return _render_ticket(operations.get_staff_ticket(_user(), code))


def _act(ticket, forms, name, action, success, *, invalid_message, explain=None, redirect_to=None):
    """Validate form `name`, run its one operation, commit once, redirect with `success(result)` flashed.

    A refusal (the form's or the operation's) re-renders the page with a 4xx status and nothing changed;
    `explain` maps an operation's field errors to what the officer reads instead of its English message.
    """
    if not forms[name].validate_on_submit():
        flash(invalid_message, 'error')
        return _render_ticket(ticket, forms, status=422)
    try:
        result = action(forms[name])
    except ApiError as exc:
        db.session.rollback()
        known = [text for field, text in (explain or {}).items() if field in exc.fields]
        flash(known[0] if known else _('Tidak ada yang diubah: %(message)s', message=exc.message), 'error')
        return _render_ticket(ticket, forms, status=exc.status)
    db.session.commit()
    flash(success(result), 'success')
    return redirect(redirect_to or url_for('.ticket', code=ticket.tracking_code))


@bp.post('/tiket/<code>/balas')
@login_required
def reply(code):
    """A public reply, sent to the resident on the channel they used."""
    user = _user()
    ticket = operations.get_staff_ticket(user, code, for_update=True)
    forms = _forms(ticket)
    form = forms['reply']
    texts = {key: text for key, _label, text in canned_replies()}
    body = (form.body.data or '').strip() or texts.get(form.canned.data, '')
    if form.is_submitted() and not body:
        form.body.errors = [_('Tulis balasan atau pilih templat.')]
        flash(_('Balasan kosong: tulis balasan atau pilih templat. Tidak ada yang dikirim.'), 'error')
        return _render_ticket(ticket, forms, status=422)
    return _act(ticket, forms, 'reply', lambda f: operations.reply(ticket, user, body, now=now_utc()),
                lambda m: _('Balasan diantrekan ke warga lewat %(channel)s.', channel=channel_label(m.channel)),
                invalid_message=_('Balasan paling banyak 5000 karakter. Tidak ada yang dikirim.'))


@bp.post('/tiket/<code>/catatan')
@login_required
def add_note(code):
    """An internal note: staff only, never sent to the resident."""
    user = _user()
    ticket = operations.get_staff_ticket(user, code)
    return _act(ticket, _forms(ticket), 'note',
                lambda f: operations.add_note(ticket, user, f.body.data, now=now_utc()),
                lambda m: _('Catatan internal disimpan.'),
                invalid_message=_('Catatan kosong atau lebih dari 5000 karakter; tidak ada yang disimpan.'))


@bp.post('/tiket/<code>/tugaskan')
@login_required
def assign(code):
    """Make an officer of the agency responsible ("Ambil" assigns the ticket to oneself)."""
    user = _user()
    ticket = operations.get_staff_ticket(user, code, for_update=True)
    return _act(ticket, _forms(ticket), 'assign',
                lambda f: operations.assign(ticket, user, f.officer.data, now=now_utc()),
                lambda t: _('Tiket %(code)s ditugaskan ke %(name)s.', code=t.tracking_code, name=t.assignee.name),
                invalid_message=_('Pilih petugas dari daftar instansi ini. Penugasan tidak berubah.'))


@bp.post('/tiket/<code>/alihkan')
@login_required
def transfer(code):
    """Send the ticket to another agency, with a reason."""
    user = _user()
    ticket = operations.get_staff_ticket(user, code, for_update=True)
    # The ticket leaves the officer's agency: back to the inbox, where it no longer is.
    after = None if user.role == ADMIN else url_for('.inbox')
    return _act(ticket, _forms(ticket), 'transfer',
                lambda f: operations.transfer(ticket, user, f.agency.data, f.reason.data.strip(), now=now_utc()),
                lambda t: _('Tiket %(code)s dialihkan ke %(agency)s.', code=t.tracking_code, agency=t.agency.code),
                invalid_message=_('Pilih instansi tujuan dan tulis alasan pengalihan. Tiket tidak dialihkan.'),
                redirect_to=after)


@bp.post('/tiket/<code>/status')
@login_required
def change_status(code):
    """Move the ticket along its life cycle; the resident is told."""
    user = _user()
    ticket = operations.get_staff_ticket(user, code, for_update=True)
    forms = _forms(ticket)
    chosen = status_label(forms['status'].status.data or '')
    return _act(ticket, forms, 'status',
                lambda f: operations.change_status(ticket, user, f.status.data, (f.reason.data or '').strip() or None,
                                                   now=now_utc()),
                lambda t: _('Status tiket %(code)s: %(status)s.', code=t.tracking_code, status=status_label(t.status)),
                invalid_message=_('Pilih status yang tersedia. Status tidak berubah.'),
                explain={'reason': _('Tulis alasannya: warga diberi tahu mengapa tiket menjadi "%(status)s". '
                                     'Status tidak berubah.', status=chosen)})


@bp.get('/lampiran/<int:attachment_id>')
@login_required
def attachment(attachment_id):
    """A stored photo or file, for staff of the ticket's agency only."""
    item = db.session.get(Attachment, attachment_id)
    if item is None or not item.storage_key or not operations.can_see_agency(_user(), item.ticket.agency_id):
        abort(404)
    is_inline = item.kind == PHOTO and item.content_type in INLINE_IMAGE_TYPES
    response = send_from_directory(current_app.config['MEDIA_DIR'], item.storage_key,
                                   mimetype=item.content_type if is_inline else 'application/octet-stream',
                                   as_attachment=not is_inline, max_age=0)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Cache-Control'] = 'private, max-age=3600'
    return response
