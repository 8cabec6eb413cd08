"""The officer's ticket page: the conversation, the countdown, and the forms that act on the ticket."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from complaints.models import Attachment, Ticket, TicketEvent, TicketMessage
from complaints.operations import assign, reply, staff_of_agency
from notifications.models import OutboxMessage
from tests.web.helpers import sign_in, sign_in_client

#: The smallest thing that is really a PNG (signature and the start of its header).
PNG = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' + bytes(range(200))


def csrf_token(client, path='/petugas/'):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def resident_outbox(db, ticket_id):
    """Templates of every message queued to the ticket's resident."""
    return db.session.scalars(sa.select(OutboxMessage.template).where(
        OutboxMessage.ticket_id == ticket_id, OutboxMessage.resident_id.is_not(None))
        .order_by(OutboxMessage.id)).all()


# -- in a browser ------------------------------------------------------------------------------------

def test_replying_to_a_breached_ticket_shows_the_reply_and_stops_the_countdown(page, live_server, make_committed,
                                                                              committed_db, clock):
    dinsos = make_committed.agency('DINSOS')
    ticket = make_committed.ticket(make_committed.category(dinsos, 'bansos'))  # 09.00 WIB
    clock.advance(timedelta(hours=5))
    committed_db.session.commit()
    code, ticket_id = ticket.tracking_code, ticket.id

    sign_in(page, live_server, dinsos.duty_officer.email)
    page.goto(f'{live_server}/petugas/tiket/{code}')
    countdown = page.locator('#hitung-mundur .countdown')
    expect(countdown).to_have_class(re.compile(r'\bsla-breached\b'))
    expect(countdown).to_have_text(re.compile(r'^terlambat 1:00:\d\d$'))
    expect(page.locator('#percakapan li').first).to_contain_text('Lampu jalan di depan rumah saya mati')

    # A canned reply fills the box; the officer edits it before sending.
    page.get_by_label('Templat balasan').select_option(label='Petugas dijadwalkan ke lokasi')
    box = page.get_by_label('Balasan untuk warga')
    expect(box).to_have_value(re.compile('^Petugas kami dijadwalkan memeriksa lokasi'))
    box.fill('Lampu akan kami ganti hari ini, mohon maaf atas keterlambatannya.')
    page.get_by_role('button', name='Kirim balasan').click()

    expect(page.get_by_text('Balasan diantrekan ke warga lewat Web.')).to_be_visible()
    sent = page.locator('#percakapan li.st-msg-reply')
    expect(sent).to_contain_text('Lampu akan kami ganti hari ini')
    expect(sent).to_contain_text('Pengiriman: menunggu dikirim')
    expect(page.locator('#hitung-mundur')).to_have_text('dijawab')
    expect(page.locator('#hitung-mundur [data-due]')).to_have_count(0)
    expect(page.locator('#dijawab')).to_contain_text('14.00 WIB, Senin 23 November 2026')
    expect(page.locator('#dijawab')).to_contain_text('lewat batas')
    expect(page.locator('#status-tiket')).to_have_text('Diproses')
    assert resident_outbox(committed_db, ticket_id) == ['acknowledgement', 'reply']


def test_note_take_status_and_transfer_from_the_page(page, live_server, make_committed, committed_db, clock):
    dinsos, pupr = make_committed.agency('DINSOS'), make_committed.agency('PUPR')
    ticket = make_committed.ticket(make_committed.category(dinsos, 'bansos'))
    clock.advance(timedelta(hours=1))
    officer, pupr_officer = dinsos.duty_officer, pupr.duty_officer.email
    committed_db.session.commit()
    code, ticket_id = ticket.tracking_code, ticket.id

    sign_in(page, live_server, officer.email)
    page.goto(f'{live_server}/petugas/tiket/{code}')

    page.get_by_label('Catatan internal (hanya untuk petugas)').fill('Sudah cek data DTKS, nama ada.')
    page.get_by_role('button', name='Simpan catatan').click()
    note = page.locator('#percakapan li.st-msg-note')
    expect(note).to_contain_text('Catatan internal')
    expect(note).to_contain_text('tidak dikirim ke warga')
    expect(note).to_contain_text('Sudah cek data DTKS, nama ada.')
    expect(page.locator('#hitung-mundur .countdown')).to_have_text(re.compile(r'^sisa 2:59:\d\d|sisa 3:00:00$'))

    page.get_by_role('button', name='Ambil').click()
    expect(page.get_by_text(f'Tiket {code} ditugaskan ke Piket DINSOS.')).to_be_visible()
    expect(page.locator('#penanggung-jawab')).to_have_text('Piket DINSOS')
    expect(page.get_by_role('button', name='Ambil')).to_have_count(0)

    page.get_by_label('Status baru').select_option(label='Menunggu warga')
    page.get_by_role('button', name='Ubah status').click()
    refused = page.get_by_text('Tulis alasannya: warga diberi tahu mengapa tiket menjadi "Menunggu warga"')
    expect(refused).to_be_visible()
    expect(page.locator('#status-tiket')).to_have_text('Baru')

    page.get_by_label('Instansi tujuan').select_option('PUPR')
    page.get_by_label('Alasan pengalihan').fill('Lampu jalan urusan Dinas PUPR.')
    page.get_by_role('button', name='Alihkan').click()
    expect(page.get_by_text(f'Tiket {code} dialihkan ke PUPR.')).to_be_visible()
    assert page.url.endswith('/petugas/')
    expect(page.locator(f'#tiket-{code}')).to_have_count(0)
    assert page.goto(f'{live_server}/petugas/tiket/{code}').status == 404

    # The note was never queued to the resident; the refused status change left no trace.
    assert resident_outbox(committed_db, ticket_id) == ['acknowledgement']
    rows = committed_db.session.execute(sa.select(TicketEvent.action, TicketEvent.to_value, TicketEvent.reason)
                                        .where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)).all()
    assert [tuple(r) for r in rows] == [('created', 'DINSOS', None), ('assigned', officer.email, None),
                                        ('transferred', 'PUPR', 'Lampu jalan urusan Dinas PUPR.')]
    assert committed_db.session.scalar(sa.select(Ticket.status).where(Ticket.id == ticket_id)) == 'new'
    committed_db.session.rollback()
    page.get_by_role('button', name='Keluar').click()
    sign_in(page, live_server, pupr_officer)
    page.goto(f'{live_server}/petugas/tiket/{code}')
    expect(page.locator('#riwayat')).to_contain_text('Lampu jalan urusan Dinas PUPR.')


# -- without a browser -------------------------------------------------------------------------------

@pytest.fixture
def dinsos_ticket(db, make):
    """DINSOS with a ticket from +6281200001234, assigned to its second officer."""
    dinsos = make.agency('DINSOS')
    ticket = make.ticket(make.category(dinsos, 'bansos'), phone='+6281200001234')
    _duty, second = staff_of_agency(dinsos.id, 'officer')
    assign(ticket, dinsos.head, second.email, now=ticket.received_dt)
    db.session.commit()
    return dinsos, ticket, second


def test_the_phone_is_masked_except_for_the_assignee_and_supervisors(client, make, dinsos_ticket):
    dinsos, ticket, assignee = dinsos_ticket
    path = f'/petugas/tiket/{ticket.tracking_code}'
    sign_in_client(client, dinsos.duty_officer)
    page = client.get(path).get_data(as_text=True)
    assert '+62812****1234' in page and '+6281200001234' not in page

    for user in (assignee, dinsos.head, make.user(dinsos, 'admin')):
        sign_in_client(client, user)
        page = client.get(path).get_data(as_text=True)
        assert '+6281200001234' in page and '****' not in page, user.role


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, db, dinsos_ticket):
    dinsos, ticket, _ = dinsos_ticket
    sign_in_client(client, dinsos.duty_officer)
    path = f'/petugas/tiket/{ticket.tracking_code}'
    response = client.post(f'{path}/balas', data={'reply-body': 'Segera kami tangani.'})
    assert response.status_code == 400
    response = client.post(f'{path}/status', data={'status-status': 'rejected', 'status-reason': 'Bukan urusan kami'})
    assert response.status_code == 400
    db.session.expire_all()
    assert (ticket.status, ticket.first_response_dt) == ('new', None)
    assert resident_outbox(db, ticket.id) == ['acknowledgement']

    # The same reply with the token goes through: the 400 above was the token.
    response = client.post(f'{path}/balas', data={'reply-body': 'Segera kami tangani.',
                                                  'reply-csrf_token': csrf_token(client)})
    assert response.status_code == 302 and response.headers['Location'].endswith(path)
    assert resident_outbox(db, ticket.id) == ['acknowledgement', 'reply']


def test_a_status_change_the_operation_refuses_rerenders_with_the_error(client, db, dinsos_ticket):
    dinsos, ticket, _ = dinsos_ticket
    sign_in_client(client, dinsos.duty_officer)
    path = f'/petugas/tiket/{ticket.tracking_code}'
    response = client.post(f'{path}/status', data={'status-status': 'rejected', 'status-reason': '  ',
                                                    'status-csrf_token': csrf_token(client)})
    assert response.status_code == 422
    assert 'Tulis alasannya: warga diberi tahu mengapa tiket menjadi &#34;Ditolak&#34;' in \
        response.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.status == 'new'
    assert resident_outbox(db, ticket.id) == ['acknowledgement']

    response = client.post(f'{path}/status', data={'status-status': 'closed', 'status-csrf_token': csrf_token(client)})
    assert response.status_code == 422, 'a new ticket cannot be closed: not among the choices'
    db.session.expire_all()
    assert ticket.status == 'new'


def test_another_agencys_ticket_is_404_and_strangers_go_to_sign_in(client, db, make, dinsos_ticket, app, tmp_path,
                                                                   monkeypatch):
    dinsos, ticket, _ = dinsos_ticket
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path))
    (tmp_path / 'ab').mkdir()
    (tmp_path / 'ab' / 'foto.png').write_bytes(PNG)
    message = db.session.scalar(sa.select(TicketMessage).where(TicketMessage.ticket_id == ticket.id))
    photo = Attachment(ticket=ticket, message=message, kind='photo', content_type='image/png', size_bytes=len(PNG),
                       storage_key='ab/foto.png', created_dt=ticket.received_dt)
    db.session.add(photo)
    db.session.commit()
    path = f'/petugas/tiket/{ticket.tracking_code}'

    assert '/masuk' in client.get(path).headers['Location']
    assert '/masuk' in client.get(f'/petugas/lampiran/{photo.id}').headers['Location']

    sign_in_client(client, dinsos.duty_officer)
    page = client.get(path).get_data(as_text=True)
    assert f'src="/petugas/lampiran/{photo.id}"' in page
    response = client.get(f'/petugas/lampiran/{photo.id}')
    assert (response.status_code, response.mimetype, response.data) == (200, 'image/png', PNG)

    sign_in_client(client, make.agency('PUPR').duty_officer)
    token = csrf_token(client)
    response = client.get(path)
    assert response.status_code == 404
    assert 'Tiket tidak ditemukan di instansi Anda.' in response.get_data(as_text=True)
    assert ticket.tracking_code not in response.get_data(as_text=True)
    assert client.get(f'/petugas/lampiran/{photo.id}').status_code == 404
    for action, data in (('balas', {'reply-body': 'Halo', 'reply-csrf_token': token}),
                         ('catatan', {'note-body': 'Halo', 'note-csrf_token': token}),
                         ('status', {'status-status': 'rejected', 'status-reason': 'x', 'status-csrf_token': token}),
                         ('tugaskan', {'assign-officer': dinsos.duty_officer.email, 'assign-csrf_token': token})):
        assert client.post(f'{path}/{action}', data=data).status_code == 404, action
    db.session.expire_all()
    assert (ticket.status, ticket.assignee_id == dinsos.duty_officer.id) == ('new', False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)
                             .where(TicketMessage.ticket_id == ticket.id)) == 1


def test_delivery_status_locations_and_notes_are_shown_as_such(client, db, make, dinsos_ticket):
    dinsos, ticket, assignee = dinsos_ticket
    message = db.session.scalar(sa.select(TicketMessage).where(TicketMessage.ticket_id == ticket.id))
    db.session.add(Attachment(ticket=ticket, message=message, kind='location', latitude=-8.2192, longitude=114.3691,
                              created_dt=ticket.received_dt))
    sent = reply(ticket, assignee, 'Sudah kami catat.', now=ticket.received_dt + timedelta(minutes=30))
    row = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == 'reply')).one()
    row.status, row.provider_status = 'delivered', 'read'
    db.session.commit()

    sign_in_client(client, dinsos.duty_officer)
    page = client.get(f'/petugas/tiket/{ticket.tracking_code}').get_data(as_text=True)
    assert 'https://www.openstreetmap.org/?mlat=-8.219200&amp;mlon=114.369100' in page
    assert '-8.21920, 114.36910' in page
    reply_item = page.split(f'id="pesan-{sent.id}"')[1].split('</li>')[0]
    assert 'Sudah kami catat.' in reply_item and 'Pengiriman: <span class="st-delivery-delivered">terkirim · dibaca' \
        in reply_item
    assert 'dijawab' in page.split('id="hitung-mundur"')[1][:200]
    assert '09.30 WIB, Senin 23 November 2026' in page.split('id="dijawab"')[1][:200]
