"""Administration: agencies, categories, staff, office hours, extra days off; every change audited.

Only administrators come in (others get 403, strangers the sign-in page). Each change is written with its
`AuditEntry` in one transaction. A change to a category's deadlines or to a calendar (time zone, office
hours, days off) recomputes the open tickets it touches through `sla.operations`; recorded escalations
and sanction records are history and stay as they are.
"""
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as N_  # N_: a keyword pybabel extracts; translated when shown
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import BooleanField, EmailField, FieldList, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Regexp, ValidationError)

from accounts.models import ADMIN, OFFICER, ROLES, SUPERVISOR, User
from accounts.operations import create_user, set_password
from complaints.models import WALL_CLOCK, WORKING_HOURS, Agency, Category
from core.audit import AuditEntry, apply_changes, latest_entries, record_audit
from core.errors import ApiError, Invalid
from core.extensions import db
from core.phones import normalise_phone
from core.timeutil import now_utc
from notifications.templates import format_local
from sla.calendar import DEFAULT_OFFICE_HOURS
from sla.models import ExtraDayOff, OfficeHours
from sla.operations import recompute_open_tickets, set_category_policy

bp = Blueprint('admin', __name__, url_prefix='/admin')

TIMEZONES = (('Asia/Jakarta', 'WIB'), ('Asia/Makassar', 'WITA'), ('Asia/Jayapura', 'WIT'))
CHANNELS = ('telegram', 'whatsapp', 'sms', 'email')
#: How many audit entries the audit page shows, newest first.
AUDIT_PAGE_SIZE = 200
#: The longest response window a category may have: 30 days.
MAX_WINDOW_MINUTES = 30 * 24 * 60
#: Keys of office hours in audit entries (not translated: the log reads the same in every language).
_WEEKDAY_KEYS = ('Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu', 'Minggu')
_INTERVAL = re.compile(r'^\s*(\d{1,2})[.:](\d{2})\s*-\s*(\d{1,2})[.:](\d{2})\s*$')


@bp.before_request
def _administrators_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role != ADMIN:
        return render_template('admin/forbidden.html'), 403
    return None


@bp.errorhandler(CSRFError)
def _csrf_refused(_exc):
    return _error_page(_('Formulir kedaluwarsa'),
                       _('Formulir ini sudah terlalu lama terbuka atau dikirim dari tempat lain. Buka lagi dan '
                         'ulangi; tidak ada yang berubah.'), 400)


@bp.errorhandler(404)
def _not_found(_exc):
    return _error_page(_('Tidak ditemukan'), _('Data yang Anda cari tidak ada atau sudah dihapus.'), 404)


def _error_page(title, message, status):
    return render_template('admin/error.html', title=title, message=message), status


def _admin():
    # Rows store the user model, not Flask-Login's proxy.
    return current_user._get_current_object()


def _locale():
    return str(get_locale() or 'id')


def weekday_names():
    """Monday first, as `OfficeHours.weekday` counts."""
    return (_('Senin'), _('Selasa'), _('Rabu'), _('Kamis'), _('Jumat'), _('Sabtu'), _('Minggu'))


def role_labels():
    return {OFFICER: _('Petugas'), SUPERVISOR: _('Supervisor'), ADMIN: _('Administrator')}


def clock_labels():
    return {WALL_CLOCK: _('Jam dinding (24 jam)'), WORKING_HOURS: _('Jam kerja instansi')}


# -- fields whose refusals are in Indonesian --------------------------------------------------------

def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value):
    return None if value in (None, '', 'None') else int(value)


class ChoiceField(SelectField):
    """A select whose refusals a reader of Indonesian understands."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_('Pilih salah satu dari daftar.')) from None

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(_('Pilih salah satu dari daftar.')) from None


class WholeNumberField(IntegerField):
    """A whole number; anything else is refused in Indonesian."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_('Tulis bilangan bulat, misalnya 240.')) from None


class PhoneField(StringField):
    """An Indonesian phone number, stored as E.164."""

    def pre_validate(self, form):
        if self.data:
            try:
                self.data = normalise_phone(self.data)
            except Invalid:
                raise ValidationError(_('Nomor HP tidak valid. Tulis seperti 081200007890 atau +6281200007890.')) \
                    from None


class ChatIdField(StringField):
    """A Telegram chat id (negative for groups), or nothing."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else '').strip()
        self.data = None
        if text:
            if not re.fullmatch(r'-?\d{1,19}', text):
                raise ValueError(_('ID chat Telegram berupa angka, misalnya 123456789.'))
            self.data = int(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return '' if self.data is None else str(self.data)


# -- forms ------------------------------------------------------------------------------------------

class _AgencyFields(FlaskForm):
    name = StringField(filters=[_strip], validators=[
        DataRequired(message=N_('Isi nama instansi.')), Length(max=200, message=N_('Paling banyak 200 karakter.'))])
    timezone = ChoiceField(choices=[zone for zone, _label in TIMEZONES])


class NewAgencyForm(_AgencyFields):
    code = StringField(filters=[_strip, lambda v: v.upper() if v else v], validators=[
        DataRequired(message=N_('Isi kode instansi.')),
        Regexp(r'^[A-Z0-9][A-Z0-9_-]{1,31}$', message=N_('Kode 2-32 huruf, angka, - atau _, misalnya DINSOS.'))])


class AgencyForm(_AgencyFields):
    duty_officer_id = ChoiceField(coerce=_optional_int)
    head_id = ChoiceField(coerce=_optional_int)


class CategoryForm(FlaskForm):
    agency_id = ChoiceField(coerce=int)
    name_id = StringField(filters=[_strip], validators=[
        DataRequired(message=N_('Isi nama dalam Bahasa Indonesia.')),
        Length(max=200, message=N_('Paling banyak 200 karakter.'))])
    name_en = StringField(filters=[_strip], validators=[
        DataRequired(message=N_('Isi nama dalam Bahasa Inggris.')),
        Length(max=200, message=N_('Paling banyak 200 karakter.'))])
    response_window_minutes = WholeNumberField(validators=[
        InputRequired(message=N_('Isi batas waktu jawaban dalam menit.')),
        NumberRange(1, MAX_WINDOW_MINUTES, message=N_('Batas waktu jawaban 1 sampai 43200 menit (30 hari).'))])
    clock = ChoiceField(choices=[WALL_CLOCK, WORKING_HOURS])
    resolution_days = WholeNumberField(validators=[
        InputRequired(message=N_('Isi batas waktu penyelesaian dalam hari kerja.')),
        NumberRange(1, 365, message=N_('Batas waktu penyelesaian 1 sampai 365 hari kerja.'))])
    is_active = BooleanField()


class NewCategoryForm(CategoryForm):
    code = StringField(filters=[_strip, lambda v: v.lower() if v else v], validators=[
        DataRequired(message=N_('Isi kode kategori.')),
        Regexp(r'^[a-z0-9][a-z0-9-]{1,63}$',
               message=N_('Kode 2-64 huruf kecil, angka atau -, misalnya jalan-rusak.'))])


class UserForm(FlaskForm):
    name = StringField(filters=[_strip], validators=[
        DataRequired(message=N_('Isi nama.')), Length(max=120, message=N_('Paling banyak 120 karakter.'))])
    role = ChoiceField(choices=list(ROLES))
    agency_id = ChoiceField(coerce=int)
    phone = PhoneField(filters=[_strip])
    telegram_chat_id = ChatIdField()
    preferred_channel = ChoiceField(choices=['', *CHANNELS])
    is_active = BooleanField()

    def validate_preferred_channel(self, field):
        needs = {'telegram': self.telegram_chat_id, 'whatsapp': self.phone, 'sms': self.phone}
        if field.data in needs and not needs[field.data].data:
            raise ValidationError(_('Saluran ini perlu %(what)s.', what=_('ID chat Telegram') if field.data ==
                                    'telegram' else _('nomor HP')))


class NewUserForm(UserForm):
    email = EmailField(filters=[_strip, lambda v: v.lower() if v else v], validators=[
        DataRequired(message=N_('Isi email.')), Length(max=254, message=N_('Paling banyak 254 karakter.')),
        Email(message=N_('Alamat email tidak valid.'))])
    password = PasswordField(validators=[
        DataRequired(message=N_('Isi kata sandi awal.')),
        Length(min=8, max=200, message=N_('Kata sandi 8 sampai 200 karakter.'))])


class PasswordForm(FlaskForm):
    password = PasswordField(validators=[
        DataRequired(message=N_('Isi kata sandi baru.')),
        Length(min=8, max=200, message=N_('Kata sandi 8 sampai 200 karakter.'))])
    confirm = PasswordField(validators=[EqualTo('password', message=N_('Kedua kata sandi tidak sama.'))])


class OfficeHoursForm(FlaskForm):
    #: One text per weekday, Monday first: "08.00-16.00" or "08.00-11.30, 13.00-16.30"; empty: closed.
    days = FieldList(StringField(filters=[_strip]), min_entries=7, max_entries=7)

    def validate_days(self, field):
        self.intervals = {}
        for weekday, entry in enumerate(field.entries):
            try:
                self.intervals[weekday] = parse_intervals(entry.data or '')
            except ValueError as exc:
                entry.errors = [str(exc)]
        if any(entry.errors for entry in field.entries):
            raise ValidationError(_('Periksa jam kerja yang ditandai.'))


class DayOffForm(FlaskForm):
    day = StringField(filters=[_strip], validators=[DataRequired(message=N_('Isi tanggal.'))])
    name = StringField(filters=[_strip], validators=[
        DataRequired(message=N_('Isi nama hari libur, misalnya Hari Jadi Kabupaten.')),
        Length(max=200, message=N_('Paling banyak 200 karakter.'))])
    agency_id = ChoiceField(coerce=_optional_int)

    def validate_day(self, field):
        for pattern in ('%Y-%m-%d', '%d-%m-%Y', '%d/%m/%Y'):
            try:
                field.parsed = datetime.strptime(field.data, pattern).date()
                return
            except ValueError:
                continue
        raise ValidationError(_('Tulis tanggal seperti 2026-12-24 atau 24-12-2026.'))


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


def parse_intervals(text):
    """'08.00-11.30, 13.00-16.30' -> [(time(8), time(11, 30)), (time(13), time(16, 30))]; ValueError
    with a message for the admin otherwise."""
    intervals = []
    for part in filter(None, (p.strip() for p in re.split(r'[,;]', text))):
        match = _INTERVAL.match(part)
        if not match:
            raise ValueError(_('Tulis seperti 08.00-16.00 atau 08.00-11.30, 13.00-16.30.'))
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(_('Jam 00.00 sampai 23.59.'))
        opens, closes = time(h1, m1), time(h2, m2)
        if not opens < closes:
            raise ValueError(_('Jam buka harus sebelum jam tutup (%(part)s).', part=part))
        intervals.append((opens, closes))
    intervals.sort()
    for (_o, earlier_close), (later_open, _c) in zip(intervals, intervals[1:]):
        if later_open < earlier_close:
            raise ValueError(_('Jam-jam ini saling tumpang tindih.'))
    return intervals


def format_intervals(intervals):
    """The inverse of `parse_intervals`."""
    return ', '.join(f'{o:%H.%M}-{c:%H.%M}' for o, c in intervals)


# -- choices --------------------------------------------------------------------------------------

def _agencies():
    return db.session.scalars(sa.select(Agency).order_by(Agency.code)).all()


def _agency_choices():
    return [(a.id, f'{a.code} – {a.name}') for a in _agencies()]


def _zone_choices():
    return [(zone, f'{label} ({zone})') for zone, label in TIMEZONES]


def _staff_choices(agency, roles):
    staff = db.session.scalars(sa.select(User).where(
        User.agency_id == agency.id, User.is_active.is_(True), User.role.in_(roles)).order_by(User.name)).all()
    return [('', _('— tidak ada —'))] + [(u.id, f'{u.name} ({u.email})') for u in staff]


def _email_of(user_id):
    return db.session.scalar(sa.select(User.email).where(User.id == user_id)) if user_id else None


def _code_of(agency_id):
    return db.session.scalar(sa.select(Agency.code).where(Agency.id == agency_id)) if agency_id else None


def _readable(changes, **lookups):
    """Replace ids in an audit diff by what people recognise (emails, agency codes)."""
    readable = {}
    for field, (old, new) in changes.items():
        if field in lookups:
            name, lookup = lookups[field]
            readable[name] = [lookup(old), lookup(new)]
        else:
            readable[field] = [old, new]
    return readable


def _created(values):
    return {field: [None, value] for field, value in values.items() if value not in (None, '')}


# -- pages ----------------------------------------------------------------------------------------

@bp.get('/')
def index():
    """The administration start page."""
    counts = {name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for name, model in (('agencies', Agency), ('categories', Category), ('users', User),
                                  ('days_off', ExtraDayOff))}
    return render_template('admin/index.html', counts=counts, entries=latest_entries(10),
                           local=_audit_time)


# agencies

@bp.get('/instansi')
def agencies():
    """Every agency with its zone, duty officer and head."""
    return render_template('admin/agencies.html', agencies=_agencies(), zones=dict(TIMEZONES))


@bp.route('/instansi/baru', methods=['GET', 'POST'])
def agency_new():
    """A new agency; its staff, duty officer and head come after."""
    form = NewAgencyForm()
    form.timezone.choices = _zone_choices()
    if form.validate_on_submit():
        if db.session.scalar(sa.select(Agency.id).where(Agency.code == form.code.data)):
            form.code.errors.append(_('Kode ini sudah dipakai instansi lain.'))
        else:
            values = {'code': form.code.data, 'name': form.name.data, 'timezone': form.timezone.data}
            agency = Agency(**values)
            db.session.add(agency)
            db.session.flush()
            record_audit(_admin(), 'agency.create', f'agency:{agency.code}', _created(values), now=now_utc())
            db.session.commit()
            flash(_('Instansi %(code)s ditambahkan. Tambahkan stafnya, lalu pilih petugas piket dan kepalanya.',
                    code=agency.code), 'success')
            return redirect(url_for('admin.agencies'))
    return render_template('admin/agency_form.html', form=form, agency=None), 400 if form.errors else 200


@bp.route('/instansi/<int:agency_id>', methods=['GET', 'POST'])
def agency_edit(agency_id):
    """Name, zone, duty officer and head; a new zone recomputes the agency's open tickets."""
    agency = db.get_or_404(Agency, agency_id)
    form = AgencyForm(obj=agency)
    form.timezone.choices = _zone_choices()
    form.duty_officer_id.choices = _staff_choices(agency, (OFFICER, SUPERVISOR))
    form.head_id.choices = _staff_choices(agency, (SUPERVISOR,))
    if form.validate_on_submit():
        now = now_utc()
        changes = apply_changes(agency, {'name': form.name.data, 'timezone': form.timezone.data,
                                         'duty_officer_id': form.duty_officer_id.data,
                                         'head_id': form.head_id.data})
        if not changes:
            flash(_('Tidak ada yang berubah.'), 'info')
            return redirect(url_for('admin.agencies'))
        db.session.flush()
        record_audit(_admin(), 'agency.update', f'agency:{agency.code}',
                     _readable(changes, duty_officer_id=('duty_officer', _email_of), head_id=('head', _email_of)),
                     now=now)
        message = _('Instansi %(code)s disimpan.', code=agency.code)
        if 'timezone' in changes:
            count = recompute_open_tickets(now=now, agency_id=agency.id)
            message += ' ' + _('Tenggat %(count)s tiket terbuka dihitung ulang.', count=count)
        db.session.commit()
        flash(message, 'success')
        return redirect(url_for('admin.agencies'))
    return render_template('admin/agency_form.html', form=form, agency=agency), 400 if form.errors else 200


# categories

@bp.get('/kategori')
def categories():
    """Every category with its agency and deadlines."""
    rows = db.session.scalars(sa.select(Category).join(Agency).order_by(Agency.code, Category.code)).all()
    return render_template('admin/categories.html', categories=rows, clocks=clock_labels(),
                           triage=current_app.config['TRIAGE_CATEGORY'])


def _category_form(form_class, category=None):
    form = form_class(obj=category, data=None if category else {'response_window_minutes': 240, 'clock': WALL_CLOCK,
                                                                'resolution_days': 3, 'is_active': True})
    form.agency_id.choices = _agency_choices()
    form.clock.choices = list(clock_labels().items())
    return form


def _check_triage_stays_active(form, category):
    if category is not None and category.code == current_app.config['TRIAGE_CATEGORY'] and not form.is_active.data:
        form.is_active.errors.append(_('Kategori triase menampung pesan yang belum berkategori; '
                                       'ia tidak dapat dinonaktifkan.'))
        return False
    return True


@bp.route('/kategori/baru', methods=['GET', 'POST'])
def category_new():
    """A new category: its agency, names and deadlines."""
    form = _category_form(NewCategoryForm)
    if form.validate_on_submit():
        if db.session.scalar(sa.select(Category.id).where(Category.code == form.code.data)):
            form.code.errors.append(_('Kode ini sudah dipakai kategori lain.'))
        else:
            values = {field: getattr(form, field).data for field in (
                'code', 'agency_id', 'name_id', 'name_en', 'response_window_minutes', 'clock', 'resolution_days',
                'is_active')}
            category = Category(**values)
            db.session.add(category)
            db.session.flush()
            record_audit(_admin(), 'category.create', f'category:{category.code}',
                         _readable(_created(values), agency_id=('agency', _code_of)), now=now_utc())
            db.session.commit()
            flash(_('Kategori %(code)s ditambahkan.', code=category.code), 'success')
            return redirect(url_for('admin.categories'))
    return render_template('admin/category_form.html', form=form, category=None), 400 if form.errors else 200


@bp.route('/kategori/<int:category_id>', methods=['GET', 'POST'])
def category_edit(category_id):
    """Names, agency, active flag and deadlines; new deadlines recompute the category's open tickets."""
    category = db.get_or_404(Category, category_id)
    form = _category_form(CategoryForm, category)
    if form.validate_on_submit() and _check_triage_stays_active(form, category):
        now = now_utc()
        changes = apply_changes(category, {field: getattr(form, field).data for field in (
            'agency_id', 'name_id', 'name_en', 'is_active')})
        policy = {field: getattr(form, field).data for field in ('response_window_minutes', 'clock', 'resolution_days')
                  if getattr(category, field) != getattr(form, field).data}
        changes.update({field: [getattr(category, field), value] for field, value in policy.items()})
        if not changes:
            flash(_('Tidak ada yang berubah.'), 'info')
            return redirect(url_for('admin.categories'))
        db.session.flush()
        message = _('Kategori %(code)s disimpan.', code=category.code)
        if policy:
            count = set_category_policy(category, now=now, **policy)
            message += ' ' + _('Tenggat %(count)s tiket terbuka dihitung ulang.', count=count)
        record_audit(_admin(), 'category.update', f'category:{category.code}',
                     _readable(changes, agency_id=('agency', _code_of)), now=now)
        db.session.commit()
        flash(message, 'success')
        return redirect(url_for('admin.categories'))
    return render_template('admin/category_form.html', form=form, category=category), 400 if form.errors else 200


# staff

@bp.get('/staf')
def users():
    """Every staff account."""
    rows = db.session.scalars(sa.select(User).join(User.agency).order_by(Agency.code, User.name)).all()
    return render_template('admin/users.html', users=rows, roles=role_labels())


def _user_form(form_class, user=None):
    form = form_class(obj=user, data=None if user else {'is_active': True})
    form.role.choices = list(role_labels().items())
    form.agency_id.choices = _agency_choices()
    form.preferred_channel.choices = [('', _('— otomatis —')), ('telegram', 'Telegram'),
                                      ('whatsapp', 'WhatsApp'), ('sms', 'SMS'), ('email', 'Email')]
    return form


@bp.route('/staf/baru', methods=['GET', 'POST'])
def user_new():
    """A new staff account (through `accounts.operations.create_user`)."""
    form = _user_form(NewUserForm)
    if form.validate_on_submit():
        if db.session.scalar(sa.select(User.id).where(User.email == form.email.data)):
            form.email.errors.append(_('Sudah ada akun dengan email ini.'))
        else:
            agency = db.session.get(Agency, form.agency_id.data)
            try:
                user = create_user(email=form.email.data, password=form.password.data, role=form.role.data,
                                   agency=agency, name=form.name.data, phone=form.phone.data or None,
                                   telegram_chat_id=form.telegram_chat_id.data,
                                   preferred_channel=form.preferred_channel.data or None, now=now_utc())
            except ApiError as exc:  # the form checks the same; this is the operation's last word
                form.email.errors.append(exc.message)
            else:
                user.is_active = form.is_active.data
                values = {'email': user.email, 'name': user.name, 'role': user.role, 'agency': agency.code,
                          'phone': user.phone, 'telegram_chat_id': user.telegram_chat_id,
                          'preferred_channel': user.preferred_channel, 'is_active': user.is_active}
                record_audit(_admin(), 'user.create', f'user:{user.email}', _created(values), now=now_utc())
                db.session.commit()
                flash(_('Akun %(email)s dibuat.', email=user.email), 'success')
                return redirect(url_for('admin.users'))
    return render_template('admin/user_form.html', form=form, user=None), 400 if form.errors else 200


@bp.route('/staf/<int:user_id>', methods=['GET', 'POST'])
def user_edit(user_id):
    """Name, role, agency, contacts, preferred channel and active flag."""
    user = db.get_or_404(User, user_id)
    form = _user_form(UserForm, user)
    password_form = PasswordForm(formdata=None)
    if form.validate_on_submit() and _check_not_locking_self_out(form, user):
        changes = apply_changes(user, {
            'name': form.name.data, 'role': form.role.data, 'agency_id': form.agency_id.data,
            'phone': form.phone.data or None, 'telegram_chat_id': form.telegram_chat_id.data,
            'preferred_channel': form.preferred_channel.data or None, 'is_active': form.is_active.data})
        if not changes:
            flash(_('Tidak ada yang berubah.'), 'info')
            return redirect(url_for('admin.users'))
        db.session.flush()
        record_audit(_admin(), 'user.update', f'user:{user.email}',
                     _readable(changes, agency_id=('agency', _code_of)), now=now_utc())
        db.session.commit()
        flash(_('Akun %(email)s disimpan.', email=user.email), 'success')
        return redirect(url_for('admin.users'))
    return render_template('admin/user_form.html', form=form, user=user, password_form=password_form), \
        400 if form.errors else 200


def _check_not_locking_self_out(form, user):
    if user.id != current_user.id:
        return True
    if form.role.data != ADMIN:
        form.role.errors.append(_('Anda tidak dapat menurunkan peran akun Anda sendiri.'))
    if not form.is_active.data:
        form.is_active.errors.append(_('Anda tidak dapat menonaktifkan akun Anda sendiri.'))
    return not (form.role.errors or form.is_active.errors)


@bp.post('/staf/<int:user_id>/sandi')
def user_password(user_id):
    """Set a new password (the admin tells it to the person); also lifts a sign-in lock-out."""
    user = db.get_or_404(User, user_id)
    password_form = PasswordForm()
    if not password_form.validate_on_submit():
        return render_template('admin/user_form.html', form=_user_form(UserForm, user), user=user,
                               password_form=password_form), 400
    changes = {'password': ['***', '***']}
    if user.failed_logins or user.locked_until_dt:
        changes['locked_until_dt'] = [user.locked_until_dt and user.locked_until_dt.isoformat(), None]
    set_password(user, password_form.password.data)
    record_audit(_admin(), 'user.password_reset', f'user:{user.email}', changes, now=now_utc())
    db.session.commit()
    flash(_('Kata sandi %(email)s diganti. Sampaikan kepadanya lewat jalur yang aman.', email=user.email), 'success')
    return redirect(url_for('admin.user_edit', user_id=user.id))


# office hours

@bp.route('/instansi/<int:agency_id>/jam-kerja', methods=['GET', 'POST'])
def office_hours(agency_id):
    """The agency's opening hours per weekday; a change recomputes its open tickets."""
    agency = db.get_or_404(Agency, agency_id)
    rows = db.session.scalars(sa.select(OfficeHours).where(OfficeHours.agency_id == agency.id)
                              .order_by(OfficeHours.weekday, OfficeHours.opens)).all()
    current = {weekday: [] for weekday in range(7)}
    for row in rows:
        current[row.weekday].append((row.opens, row.closes))
    default = {day: list(DEFAULT_OFFICE_HOURS[day]) for day in range(7)}
    before = current if rows else default
    form = OfficeHoursForm(data={'days': [format_intervals(before[day]) for day in range(7)]})
    if form.validate_on_submit():
        now = now_utc()
        # All days empty: back to the default hours (a calendar with no working time cannot make deadlines).
        new = form.intervals if any(form.intervals.values()) else {}
        after = new or default
        changes = {_WEEKDAY_KEYS[day]: [format_intervals(before[day]), format_intervals(after[day])]
                   for day in range(7) if before[day] != after[day]}
        if not changes:
            flash(_('Tidak ada yang berubah.'), 'info')
            return redirect(url_for('admin.office_hours', agency_id=agency.id))
        for row in rows:
            db.session.delete(row)
        db.session.flush()
        for weekday, intervals in new.items():
            for opens, closes in intervals:
                db.session.add(OfficeHours(agency_id=agency.id, weekday=weekday, opens=opens, closes=closes))
        db.session.flush()
        record_audit(_admin(), 'office_hours.update', f'agency:{agency.code}', changes, now=now)
        count = recompute_open_tickets(now=now, agency_id=agency.id)
        db.session.commit()
        flash(_('Jam kerja %(code)s disimpan. Tenggat %(count)s tiket terbuka dihitung ulang.',
                code=agency.code, count=count), 'success')
        return redirect(url_for('admin.office_hours', agency_id=agency.id))
    return render_template('admin/office_hours.html', form=form, agency=agency, names=weekday_names(),
                           is_default=not rows), 400 if form.errors else 200


# extra days off

@bp.route('/hari-libur', methods=['GET', 'POST'])
def days_off():
    """Days off the national calendar lacks (regional decrees), for every agency or one."""
    form = DayOffForm()
    form.agency_id.choices = [('', _('Semua instansi'))] + _agency_choices()
    if form.validate_on_submit():
        day, agency_id = form.day.parsed, form.agency_id.data
        duplicate = db.session.scalar(sa.select(ExtraDayOff.id).where(
            ExtraDayOff.day == day,
            ExtraDayOff.agency_id.is_(None) if agency_id is None else ExtraDayOff.agency_id == agency_id))
        if duplicate:
            form.day.errors.append(_('Hari libur pada tanggal ini sudah ada.'))
        else:
            now = now_utc()
            day_off = ExtraDayOff(day=day, name=form.name.data, agency_id=agency_id)
            db.session.add(day_off)
            db.session.flush()
            record_audit(_admin(), 'day_off.create', _day_off_target(day_off),
                         _created({'day': day, 'name': day_off.name, 'agency': _code_of(agency_id)}), now=now)
            count = recompute_open_tickets(now=now, agency_id=agency_id)
            db.session.commit()
            flash(_('Hari libur %(day)s ditambahkan. Tenggat %(count)s tiket terbuka dihitung ulang.',
                    day=format_date(day, 'full'), count=count), 'success')
            return redirect(url_for('admin.days_off'))
    rows = db.session.scalars(sa.select(ExtraDayOff).order_by(ExtraDayOff.day.desc(), ExtraDayOff.id)).all()
    return render_template('admin/days_off.html', form=form, days_off=rows, confirm=ConfirmForm(),
                           agencies={a.id: a.code for a in _agencies()}, format_date=format_date,
                           today=now_utc().astimezone(ZoneInfo(current_app.config['TIMEZONE'])).date()), \
        400 if form.errors else 200


def _day_off_target(day_off):
    agency = _code_of(day_off.agency_id)
    return f'day_off:{day_off.day.isoformat()}' + (f':{agency}' if agency else '')


@bp.post('/hari-libur/<int:day_off_id>/hapus')
def day_off_delete(day_off_id):
    """Remove an extra day off; the open tickets it touched are recomputed."""
    day_off = db.get_or_404(ExtraDayOff, day_off_id)
    if not ConfirmForm().validate_on_submit():
        return _csrf_refused(None)
    now = now_utc()
    target, agency_id = _day_off_target(day_off), day_off.agency_id
    changes = {'day': [day_off.day, None], 'name': [day_off.name, None]}
    db.session.delete(day_off)
    db.session.flush()
    record_audit(_admin(), 'day_off.delete', target, changes, now=now)
    count = recompute_open_tickets(now=now, agency_id=agency_id)
    db.session.commit()
    flash(_('Hari libur dihapus. Tenggat %(count)s tiket terbuka dihitung ulang.', count=count), 'success')
    return redirect(url_for('admin.days_off'))


# audit

def _audit_time(dt):
    return format_local(dt, current_app.config['TIMEZONE'], _locale())


@bp.get('/audit')
def audit():
    """The latest administrative changes, newest first."""
    return render_template('admin/audit.html', entries=latest_entries(AUDIT_PAGE_SIZE), local=_audit_time,
                           total=db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)))
