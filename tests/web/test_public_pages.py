"""The public complaint form and tracking page: without JavaScript, on a phone, and what they refuse."""
import hashlib
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from complaints.models import Attachment, Resident, Ticket
from complaints.operations import add_note, reply

#: The smallest thing that is really a PNG (signature and the start of its header).
PNG = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' + bytes(range(200))
CODE = re.compile(r'/lacak/([2-9A-Z]{4}-[2-9A-Z]{4})$')
#: Where failure screenshots go, as for the `page` fixture of conftest.py.
OUTPUT = Path(__file__).resolve().parents[2] / 'test-output'


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_resident_files_a_complaint_and_follows_it_without_javascript(nojs_page, live_server, make_committed,
                                                                       committed_db, clock):
    page = nojs_page
    agency = make_committed.agency('DINSOS')
    make_committed.category(agency, 'bansos')
    make_committed.category(make_committed.agency('DPUPR'), 'jalan-rusak')
    committed_db.session.commit()

    page.goto(f'{live_server}/')
    assert page.get_by_role('button', name='Pakai lokasi saya').count() == 0 or \
        not page.get_by_role('button', name='Pakai lokasi saya').is_visible(), 'no JavaScript, no location button'
    page.get_by_label('Kategori').select_option('bansos')
    page.get_by_label('Keluhan', exact=True).fill('Bantuan sosial keluarga kami belum cair tiga bulan.')
    page.get_by_label('Nomor HP').fill('0812 0000 7890')
    page.get_by_role('button', name='Kirim keluhan').click()

    match = CODE.search(page.url)
    assert match, f'lands on the tracking page, not {page.url}'
    code = match.group(1)
    flash = page.get_by_role('status').filter(has_text='Kode lacak Anda')
    assert code in flash.inner_text()
    # Monday 09:00 WIB plus the 4-hour window.
    assert '13.00 WIB, Senin 23 November 2026' in flash.inner_text()
    assert page.get_by_role('heading', name=code).is_visible()
    assert page.get_by_text('Petugas wajib menjawab paling lambat 13.00 WIB, Senin 23 November 2026.').is_visible()
    ticket = committed_db.session.scalar(sa.select(Ticket).where(Ticket.tracking_code == code))
    assert (ticket.channel, ticket.category.code, ticket.resident.phone) == ('web', 'bansos', '+6281200007890')
    committed_db.session.commit()  # end the read: SQLite would otherwise keep the server from writing

    page.goto(f'{live_server}/lacak')
    page.get_by_label('Kode lacak').fill(code.lower().replace('-', ''))
    page.get_by_role('button', name='Lacak').click()
    assert page.url.endswith(f'/lacak/{code}')
    assert page.get_by_text('Belum ada jawaban.').is_visible()
    assert page.locator('dd', has_text='baru').is_visible()

    ticket = committed_db.session.get(Ticket, ticket.id)
    reply(ticket, agency.duty_officer, 'Data Ibu sudah kami cek; bantuan cair Jumat ini.', now=clock.now)
    add_note(ticket, agency.duty_officer, 'Catatan internal: NIK pelapor 3510xxxx.', now=clock.now)
    committed_db.session.commit()

    page.reload()
    assert page.get_by_text('Data Ibu sudah kami cek; bantuan cair Jumat ini.').is_visible()
    assert page.locator('dd', has_text='sedang diproses').is_visible()
    assert page.locator('dt', has_text='Dijawab').is_visible()
    html = page.content()
    assert 'Catatan internal' not in html, 'internal notes never reach the public page'
    assert '6281200007890' not in html and '0812' not in html, 'no personal data on the public page'


def test_on_a_phone_the_form_fits_the_screen_and_fills_the_location(browser, live_server, make_committed,
                                                                      committed_db):
    make_committed.category(make_committed.agency('DINSOS'), 'bansos')
    committed_db.session.commit()
    context = browser.new_context(viewport={'width': 360, 'height': 740}, locale='id-ID',
                                  geolocation={'latitude': -8.2192, 'longitude': 114.3691},
                                  permissions=['geolocation'])
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.set_viewport_size({'width': 360, 'height': 740})
        page.goto(f'{live_server}/')
        assert page.evaluate('document.documentElement.scrollWidth') <= 360
        for label in ('Kategori', 'Nomor HP'):
            box = page.get_by_label(label).bounding_box()
            assert box['x'] >= 0 and box['x'] + box['width'] <= 360, f'{label} fits the screen'
        page.get_by_role('button', name='Pakai lokasi saya').click()
        page.get_by_text('Lokasi terisi.').wait_for()
        assert page.get_by_label('Lintang').input_value() == '-8.219200'
        assert page.get_by_label('Bujur').input_value() == '114.369100'

        page.get_by_label('Kategori').select_option('bansos')
        page.get_by_label('Keluhan', exact=True).fill('Lampu jalan di depan masjid mati sejak kemarin.')
        page.get_by_role('button', name='Kirim keluhan').click()
        assert CODE.search(page.url)
        assert page.evaluate('document.documentElement.scrollWidth') <= 360, 'the tracking page fits too'
        ticket = committed_db.session.scalar(sa.select(Ticket))
        assert (ticket.location_lat, ticket.location_lng) == (-8.2192, 114.3691)
        committed_db.session.commit()
    finally:
        context.close()


# -- the form's refusals (test client) ---------------------------------------------------------------

def _token(client, path='/'):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _form(client, **overrides):
    data = {'csrf_token': _token(client), 'category': 'bansos',
            'description': 'Jalan di depan sekolah berlubang besar sejak seminggu.', 'phone': '081200007890'}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def bansos(make):
    return make.category(make.agency('DINSOS'), 'bansos')


def test_the_form_offers_active_categories_by_agency_without_triage(client, make, bansos, app):
    make.category(bansos.agency, app.config['TRIAGE_CATEGORY'])
    retired = make.category(bansos.agency, 'kartu-lama')
    retired.is_active = False
    page = client.get('/').get_data(as_text=True)
    assert f'<optgroup label="{bansos.agency.name}">' in page
    assert 'value="bansos"' in page
    assert f'value="{app.config["TRIAGE_CATEGORY"]}"' not in page and 'value="kartu-lama"' not in page


def test_a_bad_phone_and_a_short_description_are_shown_next_to_their_fields(client, db, bansos):
    response = client.post('/', data=_form(client, phone='12345', description='rusak'))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="phone-error">Nomor HP tidak valid', page)
    assert re.search(r'id="description-error">Jelaskan masalahnya paling sedikit 10 karakter', page)
    assert 'value="12345"' in page and 'rusak</textarea>' in page, 'what was typed is kept'
    assert _count(db, Ticket) == 0 and _count(db, Resident) == 0


def test_a_missing_category_and_half_a_location_are_refused(client, db, bansos):
    response = client.post('/', data=_form(client, category='', lat='-6,2'))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="category-error">Pilih kategori keluhan.' in page
    assert 'id="lng-error">Isi lintang dan bujur bersama-sama' in page
    assert _count(db, Ticket) == 0


def test_a_photo_is_stored_by_its_hash_and_attached(client, db, bansos, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path))
    data = _form(client, photo=(io.BytesIO(PNG), 'lubang.png', 'image/png'), lat='-8,2192', lng='114.3691',
                 address='Jl. Merdeka 12, depan SDN 3')
    response = client.post('/', data=data, content_type='multipart/form-data')
    assert response.status_code == 302
    ticket = db.session.scalar(sa.select(Ticket))
    [attachment] = db.session.scalars(sa.select(Attachment)).all()
    digest = hashlib.sha256(PNG).hexdigest()
    assert (attachment.ticket_id, attachment.message.kind) == (ticket.id, 'resident')
    assert (attachment.kind, attachment.content_type, attachment.size_bytes, attachment.sha256) == \
        ('photo', 'image/png', len(PNG), digest)
    assert attachment.storage_key == f'{digest[:2]}/{digest}.png'
    assert (tmp_path / attachment.storage_key).read_bytes() == PNG
    assert (ticket.location_lat, ticket.location_lng, ticket.location_address) == \
        (-8.2192, 114.3691, 'Jl. Merdeka 12, depan SDN 3')


def test_an_oversize_or_disguised_upload_is_refused(client, db, bansos, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path))
    monkeypatch.setitem(app.config, 'MEDIA_MAX_BYTES', 1024)
    big = PNG + bytes(2000)
    response = client.post('/', data=_form(client, photo=(io.BytesIO(big), 'besar.png', 'image/png')),
                           content_type='multipart/form-data')
    assert response.status_code == 400
    assert 'id="photo-error">Berkas terlalu besar. Paling besar 1 KB.' in response.get_data(as_text=True)

    script = b'#!/bin/sh\necho bukan foto\n'
    response = client.post('/', data=_form(client, photo=(io.BytesIO(script), 'foto.jpg', 'image/jpeg')),
                           content_type='multipart/form-data')
    assert response.status_code == 400
    assert 'id="photo-error">Jenis berkas ini tidak diterima. Kirim foto atau dokumen JPG, PNG, WEBP, GIF, PDF.' \
        in response.get_data(as_text=True)
    assert _count(db, Ticket) == 0 and list(tmp_path.iterdir()) == []


def test_a_body_beyond_the_upload_limit_gets_the_form_back_with_a_message(client, db, bansos, app, monkeypatch):
    monkeypatch.setitem(app.config, 'MEDIA_MAX_BYTES', 1024)
    huge = PNG + bytes(200 * 1024)
    response = client.post('/', data=_form(client, photo=(io.BytesIO(huge), 'besar.png', 'image/png')),
                           content_type='multipart/form-data')
    assert response.status_code == 413
    assert response.mimetype == 'text/html'
    assert 'Berkas terlalu besar. Paling besar 1 KB.' in response.get_data(as_text=True)
    assert _count(db, Ticket) == 0


def test_a_photo_larger_than_other_posts_may_be_is_accepted(client, db, bansos, app, tmp_path, monkeypatch):
    # Other forms stop at MAX_CONTENT_LENGTH; a phone photo may go up to MEDIA_MAX_BYTES.
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path))
    photo = PNG + bytes(app.config['MAX_CONTENT_LENGTH'] + 1000)
    assert len(photo) <= app.config['MEDIA_MAX_BYTES']
    response = client.post('/', data=_form(client, photo=(io.BytesIO(photo), 'foto.png', 'image/png')),
                           content_type='multipart/form-data')
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Attachment.size_bytes)) == len(photo)


def test_a_post_without_its_csrf_token_is_refused(client, db, bansos):
    data = _form(client)
    del data['csrf_token']
    response = client.post('/', data=data)
    assert response.status_code == 400
    assert 'Formulir ini kedaluwarsa' in response.get_data(as_text=True)
    assert _count(db, Ticket) == 0


def test_an_unknown_code_gets_a_friendly_404_with_the_form(client, db):
    for path in ('/lacak/ABCD-EFGH', '/lacak?kode=abcd+efgh', '/lacak?kode=bukan-kode'):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert response.mimetype == 'text/html'
        assert 'Keluhan tidak ditemukan' in page and 'Kode lacak ini tidak kami temukan' in page
        assert 'name="kode"' in page


def test_any_spelling_of_the_code_reaches_the_tracking_page(client, make, bansos):
    ticket = make.ticket(bansos)
    spelled = ticket.tracking_code.lower().replace('-', ' ')
    response = client.get('/lacak', query_string={'kode': spelled})
    assert response.status_code == 302 and response.headers['Location'].endswith(f'/lacak/{ticket.tracking_code}')
    response = client.get(f'/lacak/{ticket.tracking_code.lower()}')
    assert response.status_code == 302 and response.headers['Location'].endswith(f'/lacak/{ticket.tracking_code}')
    page = client.get(f'/lacak/{ticket.tracking_code}').get_data(as_text=True)
    assert 'Dinas Uji DINSOS' in page and '09.00 WIB, Senin 23 November 2026' in page


def test_a_late_ticket_says_so(client, make, bansos, clock):
    from datetime import timedelta
    ticket = make.ticket(bansos)
    clock.advance(timedelta(hours=5))
    page = client.get(f'/lacak/{ticket.tracking_code}').get_data(as_text=True)
    assert 'Belum dijawab, dan batas waktu 13.00 WIB, Senin 23 November 2026 sudah lewat.' in page
