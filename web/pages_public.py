"""Public pages: the complaint form and the tracking page; they work without JavaScript and on a phone.

No account: anyone may file a complaint and anyone with its tracking code may follow it. The pages call
the same operations as the JSON API (`file_complaint`, `get_public_ticket`) and show no personal data.
"""
import math

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as N_  # N_: a keyword pybabel extracts; translated when shown
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from marshmallow import ValidationError as SchemaError
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import EmailField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from complaints import operations
from complaints.media import attach_file
from complaints.models import REPLY, WEB, Agency, Category
from complaints.schemas import ComplaintInSchema
from core.errors import Invalid, NotFound
from core.extensions import db
from core.phones import normalise_phone
from core.timeutil import now_utc
from notifications.recipients import status_label
from notifications.templates import format_local
from web import csrf

bp = Blueprint('public_pages', __name__)

#: Room for the text fields on top of the largest photo a resident may send.
FORM_OVERHEAD_BYTES = 64 * 1024

#: File signatures: the type of an upload is read from its first bytes, not from what the browser claims.
_SIGNATURES = (
    (b'\xff\xd8\xff', 'image/jpeg'),
    (b'\x89PNG\r\n\x1a\n', 'image/png'),
    (b'GIF87a', 'image/gif'),
    (b'GIF89a', 'image/gif'),
    (b'%PDF-', 'application/pdf'),
)
_TYPE_NAMES = {'image/jpeg': 'JPG', 'image/png': 'PNG', 'image/webp': 'WEBP', 'image/gif': 'GIF',
               'application/pdf': 'PDF'}


def sniff_content_type(data):
    """The media type the bytes really are (JPEG, PNG, GIF, WEBP or PDF), or None."""
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return 'image/webp'
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def _size_label(size):
    if size >= 1024 * 1024:
        return f'{size / (1024 * 1024):.0f} MB'
    return f'{max(1, size // 1024)} KB'


def _type_names():
    return ', '.join(_TYPE_NAMES.get(t, t) for t in current_app.config['MEDIA_TYPES'])


def _locale():
    return str(get_locale() or 'id')


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CoordinateField(StringField):
    """Decimal degrees; a comma works as the decimal mark too, as many residents write it."""

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else '').strip().replace(',', '.')
        if not text:
            return
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(_('Tulis angka desimal, contoh: -6.2088.'))
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return '' if self.data is None else str(self.data)


class ComplaintForm(FlaskForm):
    """The complaint form: the rules of `ComplaintInSchema`, with messages a resident can act on."""

    category = StringField(filters=[_strip], validators=[DataRequired(message=N_('Pilih kategori keluhan.'))])
    description = TextAreaField(filters=[_strip], validators=[
        DataRequired(message=N_('Tuliskan keluhan Anda.')),
        Length(max=5000, message=N_('Uraian paling banyak 5000 karakter.'))])
    photo = FileField()
    lat = CoordinateField(validators=[
        Optional(), NumberRange(-90, 90, message=N_('Lintang harus antara -90 dan 90.'))])
    lng = CoordinateField(validators=[
        Optional(), NumberRange(-180, 180, message=N_('Bujur harus antara -180 dan 180.'))])
    address = StringField(filters=[_strip], validators=[
        Optional(), Length(max=300, message=N_('Alamat paling banyak 300 karakter.'))])
    name = StringField(filters=[_strip], validators=[
        Optional(), Length(max=120, message=N_('Nama paling banyak 120 karakter.'))])
    phone = TelField(filters=[_strip], validators=[Optional()])
    email = EmailField(filters=[_strip], validators=[
        Optional(), Length(max=254, message=N_('Email paling banyak 254 karakter.')),
        Email(message=N_('Alamat email tidak valid, contoh: nama@contoh.id.'))])

    def __init__(self, *args, category_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category_codes = set(category_codes)
        self.upload = None  # (bytes, content type) once the photo field is validated

    def validate_category(self, field):
        if field.data not in self.category_codes:
            raise ValidationError(_('Pilih kategori keluhan dari daftar.'))

    def validate_description(self, field):
        if len((field.data or '').strip()) < 10:
            raise ValidationError(_('Jelaskan masalahnya paling sedikit 10 karakter.'))

    def validate_phone(self, field):
        try:
            field.data = normalise_phone(field.data)
        except Invalid:
            raise ValidationError(_('Nomor HP tidak valid. Tulis seperti 081200007890 atau +6281200007890.')) \
                from None

    def validate(self, extra_validators=None):
        is_valid = super().validate(extra_validators)
        if (self.lat.data is None) != (self.lng.data is None) and not (self.lat.errors or self.lng.errors):
            missing = self.lng if self.lng.data is None else self.lat
            missing.errors.append(_('Isi lintang dan bujur bersama-sama, atau kosongkan keduanya.'))
            return False
        return is_valid

    def validate_photo(self, field):
        upload = field.data
        if not upload or not upload.filename:
            return
        config = current_app.config
        limit = config['MEDIA_MAX_BYTES']
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise ValidationError(_('Berkas terlalu besar. Paling besar %(size)s.', size=_size_label(limit)))
        content_type = sniff_content_type(data)
        if content_type not in config['MEDIA_TYPES']:
            raise ValidationError(_('Jenis berkas ini tidak diterima. Kirim foto atau dokumen %(types)s.',
                                    types=_type_names()))
        self.upload = (data, content_type)


class TrackForm(FlaskForm):
    """The tracking-code box; a GET form, so there is nothing to protect with a token."""

    class Meta:
        csrf = False

    kode = StringField()


def category_groups(locale):
    """[(agency name, [(code, name), ...]), ...]: the categories a resident may choose, by agency."""
    triage = current_app.config['TRIAGE_CATEGORY']
    categories = db.session.scalars(
        sa.select(Category).join(Agency)
        .where(Category.is_active.is_(True), Agency.is_active.is_(True), Category.code != triage)
        .order_by(Agency.name, Category.name_id)).all()
    groups = {}
    for category in categories:
        label = category.name_en if locale == 'en' else category.name_id
        groups.setdefault(category.agency.name, []).append((category.code, label))
    return list(groups.items())


def _render_form(form, groups, status=200):
    config = current_app.config
    return render_template('public/home.html', form=form, groups=groups,
                           accept=','.join(config['MEDIA_TYPES']),
                           max_size=_size_label(config['MEDIA_MAX_BYTES']),
                           type_names=_type_names()), status


def _check_with_schema(form):
    """The API's schema has the last word, so the web never accepts what the API refuses."""
    payload = {'category': form.category.data, 'description': form.description.data}
    for key in ('name', 'phone', 'email'):
        if getattr(form, key).data:
            payload[key] = getattr(form, key).data
    if form.lat.data is not None:
        payload['location'] = {'lat': form.lat.data, 'lng': form.lng.data}
    try:
        ComplaintInSchema().load(payload)
    except SchemaError as exc:
        for key, messages in exc.normalized_messages().items():
            field = getattr(form, key if key != 'location' else 'lat', None) or form.description
            field.errors = list(field.errors) + [str(m) for m in (messages if isinstance(messages, list)
                                                                    else [messages])]
        return False
    return True


@bp.route('/', methods=['GET', 'POST'])
@csrf.exempt  # the form checks its own CSRF token (FlaskForm), after the upload limit below is raised
def home():
    """The complaint form; a valid complaint becomes a ticket and the resident lands on its tracking page."""
    # A photo may be as large as MEDIA_MAX_BYTES, more than the app-wide limit on other request bodies.
    # It must be set before anything reads the body, hence the exemption from the app-wide CSRF check.
    request.max_content_length = current_app.config['MEDIA_MAX_BYTES'] + FORM_OVERHEAD_BYTES
    groups = category_groups(_locale())
    form = ComplaintForm(category_codes=[code for _agency, choices in groups for code, _label in choices])
    if not form.is_submitted():
        return _render_form(form, groups)
    if not form.validate() or not _check_with_schema(form):
        if form.csrf_token.errors:
            form.csrf_token.errors = [_('Formulir ini kedaluwarsa. Periksa isian Anda lalu kirim lagi.')]
        return _render_form(form, groups, 400)
    now = now_utc()
    location = {'lat': form.lat.data, 'lng': form.lng.data, 'address': form.address.data or None}
    ticket = operations.file_complaint(
        category=form.category.data, description=form.description.data, name=form.name.data or None,
        phone=form.phone.data or None, email=form.email.data or None, channel=WEB, now=now,
        location=location if form.lat.data is not None or location['address'] else None)
    if form.upload is not None:
        data, content_type = form.upload
        attach_file(ticket, ticket.messages[0], data, content_type, now=now)
    db.session.commit()
    flash(_('Keluhan Anda sudah kami terima. Kode lacak Anda: %(code)s. Simpan kode ini. '
            'Petugas akan menjawab paling lambat %(due)s.', code=ticket.tracking_code,
            due=format_local(ticket.response_due_dt, ticket.agency.timezone, _locale())), 'success')
    return redirect(url_for('public_pages.track_code', code=ticket.tracking_code))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    form = ComplaintForm(formdata=None)
    form.photo.errors = [_('Berkas terlalu besar. Paling besar %(size)s.',
                           size=_size_label(current_app.config['MEDIA_MAX_BYTES']))]
    return _render_form(form, category_groups(_locale()), 413)


@bp.get('/lacak')
def track():
    """The tracking-code box; with ?kode= it opens that complaint (any spelling of the code)."""
    form = TrackForm(request.args)
    code = (form.kode.data or '').strip()
    if not code:
        return render_template('public/track_form.html', form=form)
    try:
        ticket = operations.get_public_ticket(code)
    except NotFound:
        return _not_found(form)
    return redirect(url_for('public_pages.track_code', code=ticket.tracking_code))


@bp.get('/lacak/<code>')
def track_code(code):
    """What anyone with the tracking code may see: status, agency, deadlines and the public replies."""
    try:
        ticket = operations.get_public_ticket(code)
    except NotFound:
        return _not_found(TrackForm(data={'kode': code}))
    if ticket.tracking_code != code:
        return redirect(url_for('public_pages.track_code', code=ticket.tracking_code))
    locale = _locale()

    def local(dt):
        return format_local(dt, ticket.agency.timezone, locale) if dt is not None else None

    replies = [{'at': local(m.created_dt), 'body': m.body} for m in ticket.messages if m.kind == REPLY]
    return render_template(
        'public/track.html', ticket=ticket, form=TrackForm(data={'kode': ticket.tracking_code}),
        status=status_label(ticket.status, locale),
        category=ticket.category.name_en if locale == 'en' else ticket.category.name_id,
        received=local(ticket.received_dt), response_due=local(ticket.response_due_dt),
        answered=local(ticket.first_response_dt), resolution_due=local(ticket.resolution_due_dt),
        resolved=local(ticket.resolved_dt), is_late=ticket.first_response_dt is None
        and ticket.response_due_dt <= now_utc(), replies=replies)


def _not_found(form):
    form.kode.errors = [_('Kode lacak ini tidak kami temukan. Periksa lagi kodenya, contoh: K7QM-4XH2.')]
    return render_template('public/not_found.html', form=form), 404
