"""Administration pages: who may come in, what each change does to deadlines, and its audit entry."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from accounts.models import User
from complaints.models import Category
from core.audit import AuditEntry
from sla.models import ExtraDayOff, OfficeHours

WIB = timezone(timedelta(hours=7))
WIT = timezone(timedelta(hours=9))


def _token(client, path='/admin/'):
    """The session's CSRF token, from the sign-in form or, once signed in, the sign-out button."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', page).group(1)


def sign_in(client, user):
    response = client.post('/masuk', data={'email': user.email, 'password': 'rahasia123',
                                           'csrf_token': _token(client, '/masuk')})
    assert response.status_code == 302


def post(client, path, **data):
    """A form post with the CSRF token, as the page would send it."""
    return client.post(path, data={'csrf_token': _token(client), **data})


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def dinsos(make):
    return make.agency('DINSOS')


@pytest.fixture
def admin(make, client, dinsos):
    admin = make.user(dinsos, 'admin', email='admin@kota.example', name='Admin Kota')
    sign_in(client, admin)
    return admin


def _category_form(agency, **overrides):
    data = {'code': 'bansos', 'agency_id': str(agency.id), 'name_id': 'Bantuan sosial', 'name_en': 'Social aid',
            'response_window_minutes': '240', 'clock': 'wall', 'resolution_days': '3', 'is_active': 'y'}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_strangers_are_sent_to_sign_in_and_officers_are_refused(client, db, dinsos):
    response = client.get('/admin/kategori')
    assert response.status_code == 302 and '/masuk' in response.headers['Location']
    sign_in(client, dinsos.duty_officer)
    for path in ('/admin/', '/admin/kategori', '/admin/audit', '/admin/staf/baru'):
        response = client.get(path)
        assert response.status_code == 403, path
        assert 'Khusus administrator' in response.get_data(as_text=True)
    response = client.post('/admin/kategori/baru', data={'csrf_token': _token(client), **_category_form(dinsos)})
    assert response.status_code == 403
    assert _count(db, Category) == 0


def test_a_supervisor_is_refused_too(client, dinsos):
    sign_in(client, dinsos.head)
    assert client.get('/admin/').status_code == 403


def test_admin_creates_a_category_then_shortens_its_window_and_open_tickets_follow(client, db, make, admin,
                                                                                 dinsos, clock):
    response = post(client, '/admin/kategori/baru', **_category_form(dinsos))
    assert response.status_code == 302
    category = db.session.scalar(sa.select(Category).where(Category.code == 'bansos'))
    assert (category.agency_id, category.name_en, category.response_window_minutes) == (dinsos.id, 'Social aid', 240)
    [created] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == 'category.create')).all()
    assert (created.actor_id, created.target) == (admin.id, 'category:bansos')
    assert created.changes['response_window_minutes'] == [None, 240]
    assert created.changes['agency'] == [None, 'DINSOS']

    open_ticket = make.ticket(category)
    answered = make.ticket(category, phone='+6281200005678')
    answered.first_response_dt = clock.now
    other = make.ticket(make.category(dinsos, 'lain'), phone='+6281200009999')
    assert open_ticket.response_due_dt == datetime(2026, 11, 23, 13, 0, tzinfo=WIB)

    response = post(client, f'/admin/kategori/{category.id}', **_category_form(dinsos, response_window_minutes='60'))
    assert response.status_code == 302
    follow = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Kategori bansos disimpan. Tenggat 2 tiket terbuka dihitung ulang.' in follow

    db.session.expire_all()
    assert open_ticket.response_due_dt == datetime(2026, 11, 23, 10, 0, tzinfo=WIB)
    assert open_ticket.response_warn_dt == datetime(2026, 11, 23, 9, 45, tzinfo=WIB)
    assert other.response_due_dt == datetime(2026, 11, 23, 13, 0, tzinfo=WIB), 'other categories keep theirs'
    [updated] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == 'category.update')).all()
    assert (updated.actor_id, updated.target, updated.changes) == (
        admin.id, 'category:bansos', {'response_window_minutes': [240, 60]})

    page = client.get('/admin/audit').get_data(as_text=True)
    assert 'category.update' in page and 'response_window_minutes' in page and '240 → 60' in page


def test_a_duplicate_code_or_a_zero_window_changes_nothing(client, db, make, admin, dinsos):
    category = make.category(dinsos, 'bansos')
    ticket = make.ticket(category)
    due = ticket.response_due_dt

    response = post(client, '/admin/kategori/baru', **_category_form(dinsos, name_id='Lagi'))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="code-error">Kode ini sudah dipakai kategori lain.' in page
    assert _count(db, Category) == 1

    response = post(client, f'/admin/kategori/{category.id}',
                    **_category_form(dinsos, response_window_minutes='0', name_id='Nama baru'))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="response_window_minutes-error">Batas waktu jawaban 1 sampai 43200 menit' in page
    assert 'value="Nama baru"' in page, 'what was typed stays on the form'
    db.session.expire_all()
    assert (category.response_window_minutes, category.name_id) == (240, 'Kategori uji')
    assert ticket.response_due_dt == due
    assert _count(db, AuditEntry) == 0


def test_a_bad_agency_code_and_a_missing_name_are_refused(client, db, admin):
    response = post(client, '/admin/instansi/baru', code='dinas sosial', name='', timezone='Asia/Jakarta')
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="code-error">Kode 2-32 huruf' in page and 'id="name-error">Isi nama instansi.' in page
    response = post(client, '/admin/instansi/baru', code='dinsos', name='Dinas Sosial', timezone='Asia/Jakarta')
    assert 'Kode ini sudah dipakai instansi lain.' in response.get_data(as_text=True), 'codes are upper-cased'
    assert _count(db, AuditEntry) == 0


def test_an_extra_day_off_moves_a_working_hours_deadline(client, db, make, admin, dinsos, clock):
    category = make.category(dinsos, 'ktp', clock='working')
    clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=WIB))  # Monday, an hour before closing
    ticket = make.ticket(category)
    # 60 working minutes on Monday, the other 180 on Tuesday from 08.00.
    assert ticket.response_due_dt == datetime(2026, 11, 24, 11, 0, tzinfo=WIB)

    response = post(client, '/admin/hari-libur', day='2026-11-24', name='Hari Jadi Kabupaten',
                    agency_id=str(dinsos.id))
    assert response.status_code == 302
    db.session.expire_all()
    assert ticket.response_due_dt == datetime(2026, 11, 25, 11, 0, tzinfo=WIB), 'Tuesday is now a day off'
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.target) == ('day_off.create', 'day_off:2026-11-24:DINSOS')
    assert entry.changes['name'] == [None, 'Hari Jadi Kabupaten']

    response = post(client, '/admin/hari-libur', day='24-11-2026', name='Lagi', agency_id=str(dinsos.id))
    assert response.status_code == 400
    assert 'Hari libur pada tanggal ini sudah ada.' in response.get_data(as_text=True)
    assert _count(db, ExtraDayOff) == 1

    day_off = db.session.scalar(sa.select(ExtraDayOff))
    response = post(client, f'/admin/hari-libur/{day_off.id}/hapus')
    assert response.status_code == 302
    db.session.expire_all()
    assert ticket.response_due_dt == datetime(2026, 11, 24, 11, 0, tzinfo=WIB), 'and back when it is removed'
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) == 'day_off.delete'


def test_office_hours_replace_the_default_and_recompute(client, db, make, admin, dinsos, clock):
    category = make.category(dinsos, 'ktp', clock='working')
    clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=WIB))
    ticket = make.ticket(category)
    assert ticket.response_due_dt == datetime(2026, 11, 24, 11, 0, tzinfo=WIB)
    days = {f'days-{day}': '07.30-15.00' for day in range(5)}
    days.update({'days-4': '07.30-11.00, 13.00-15.00', 'days-5': '', 'days-6': ''})

    response = post(client, f'/admin/instansi/{dinsos.id}/jam-kerja', **days)
    assert response.status_code == 302
    db.session.expire_all()
    # Monday now closes at 15.00: all 240 minutes fall on Tuesday from 07.30.
    assert ticket.response_due_dt == datetime(2026, 11, 24, 11, 30, tzinfo=WIB)
    assert _count(db, OfficeHours) == 6
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.target) == ('office_hours.update', 'agency:DINSOS')
    assert entry.changes['Jumat'] == ['08.00-16.30', '07.30-11.00, 13.00-15.00']

    response = post(client, f'/admin/instansi/{dinsos.id}/jam-kerja', **{**days, 'days-2': '16.00-08.00'})
    assert response.status_code == 400
    assert 'Jam buka harus sebelum jam tutup' in response.get_data(as_text=True)
    assert _count(db, OfficeHours) == 6 and _count(db, AuditEntry) == 1


def test_admin_creates_a_staff_account_with_a_preferred_channel(client, db, admin, dinsos):
    response = post(client, '/admin/staf/baru', email='Sari@Dinsos.example', name='Sari', role='officer',
                    agency_id=str(dinsos.id), password='sandi-awal-1', phone='0812 0000 7890',
                    telegram_chat_id='', preferred_channel='whatsapp', is_active='y')
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == 'sari@dinsos.example'))
    assert (user.name, user.role, user.agency_id, user.phone, user.preferred_channel, user.is_active) == (
        'Sari', 'officer', dinsos.id, '+6281200007890', 'whatsapp', True)
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.target) == ('user.create', 'user:sari@dinsos.example')
    assert entry.changes['preferred_channel'] == [None, 'whatsapp']
    assert 'password' not in str(entry.changes) and 'sandi-awal-1' not in str(entry.changes)

    client.post('/keluar', data={'csrf_token': _token(client)})
    response = client.post('/masuk', data={'email': 'sari@dinsos.example', 'password': 'sandi-awal-1',
                                           'csrf_token': _token(client, '/masuk')})
    assert response.status_code == 302 and response.headers['Location'].endswith('/petugas/')


def test_a_channel_without_its_address_and_a_taken_email_are_refused(client, db, admin, dinsos):
    response = post(client, '/admin/staf/baru', email='sari@dinsos.example', name='Sari', role='officer',
                    agency_id=str(dinsos.id), password='sandi-awal-1', preferred_channel='telegram')
    assert response.status_code == 400
    assert 'id="preferred_channel-error">Saluran ini perlu ID chat Telegram.' in response.get_data(as_text=True)
    response = post(client, '/admin/staf/baru', email=admin.email, name='Dua', role='officer',
                    agency_id=str(dinsos.id), password='sandi-awal-1', preferred_channel='')
    assert 'Sudah ada akun dengan email ini.' in response.get_data(as_text=True)
    assert _count(db, User) == 4 and _count(db, AuditEntry) == 0


def test_admin_edits_an_account_and_resets_its_password(client, db, admin, dinsos, clock):
    officer = dinsos.duty_officer
    officer.locked_until_dt = clock.now + timedelta(minutes=10)
    response = post(client, f'/admin/staf/{officer.id}', name=officer.name, role='supervisor',
                    agency_id=str(dinsos.id), phone='', telegram_chat_id='123456789', preferred_channel='telegram',
                    is_active='y')
    assert response.status_code == 302
    db.session.expire_all()
    assert (officer.role, officer.telegram_chat_id, officer.preferred_channel) == ('supervisor', 123456789, 'telegram')
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == 'user.update'))
    assert entry.changes == {'role': ['officer', 'supervisor'], 'telegram_chat_id': [None, 123456789],
                             'preferred_channel': [None, 'telegram']}

    response = post(client, f'/admin/staf/{officer.id}/sandi', password='baru-sekali', confirm='baru-sekali')
    assert response.status_code == 302
    db.session.expire_all()
    assert officer.locked_until_dt is None
    from accounts.operations import check_password
    assert check_password(officer, 'baru-sekali')
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) == 'user.password_reset'


def test_an_admin_cannot_lock_themselves_out(client, db, admin, dinsos):
    response = post(client, f'/admin/staf/{admin.id}', name=admin.name, role='officer', agency_id=str(dinsos.id),
                    preferred_channel='')
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'Anda tidak dapat menurunkan peran akun Anda sendiri.' in page
    assert 'Anda tidak dapat menonaktifkan akun Anda sendiri.' in page
    db.session.expire_all()
    assert (admin.role, admin.is_active) == ('admin', True)


def test_an_agency_gets_its_duty_officer_and_head_and_a_new_zone_recomputes(client, db, make, admin, dinsos,
                                                                             clock):
    clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=WIB))  # 17.00 WIT: that office has closed
    ticket = make.ticket(make.category(dinsos, 'bansos', clock='working'))
    assert ticket.response_due_dt == datetime(2026, 11, 24, 11, 0, tzinfo=WIB)
    officer = db.session.scalar(sa.select(User).where(User.agency_id == dinsos.id, User.role == 'officer',
                                                      User.id != dinsos.duty_officer_id))
    response = post(client, f'/admin/instansi/{dinsos.id}', name='Dinas Sosial', timezone='Asia/Jayapura',
                    duty_officer_id=str(officer.id), head_id=str(dinsos.head_id))
    assert response.status_code == 302
    db.session.expire_all()
    assert (dinsos.name, dinsos.timezone, dinsos.duty_officer_id) == ('Dinas Sosial', 'Asia/Jayapura', officer.id)
    assert ticket.response_due_dt == datetime(2026, 11, 24, 12, 0, tzinfo=WIT), 'office hours now count in WIT'
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.changes['duty_officer'][1] == officer.email and entry.changes['timezone'] == [
        'Asia/Jakarta', 'Asia/Jayapura']


def test_every_admin_page_opens_for_an_admin(client, make, admin, dinsos):
    category = make.category(dinsos, 'bansos')
    pages = {'/admin/': 'Administrasi', '/admin/instansi': 'Instansi', '/admin/instansi/baru': 'Instansi baru',
             f'/admin/instansi/{dinsos.id}': 'Instansi DINSOS', '/admin/kategori': 'Kategori',
             '/admin/kategori/baru': 'Kategori baru', f'/admin/kategori/{category.id}': 'Kategori bansos',
             '/admin/staf': 'Staf', '/admin/staf/baru': 'Akun baru', f'/admin/staf/{admin.id}': 'Akun admin@kota',
             f'/admin/instansi/{dinsos.id}/jam-kerja': 'Jam kerja DINSOS', '/admin/hari-libur': 'Hari libur tambahan',
             '/admin/audit': 'Log audit'}
    for path, heading in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert re.search(rf'<h1>{re.escape(heading)}', response.get_data(as_text=True)), path
    response = client.get('/admin/kategori/99999')
    assert response.status_code == 404 and 'Tidak ditemukan' in response.get_data(as_text=True)


def test_a_form_without_its_token_is_refused_and_changes_nothing(client, db, admin, dinsos):
    response = client.post('/admin/kategori/baru', data=_category_form(dinsos))
    assert response.status_code == 400
    assert 'Formulir kedaluwarsa' in response.get_data(as_text=True)
    assert _count(db, Category) == 0 and _count(db, AuditEntry) == 0
