"""The conversation engine, channel by channel: what a resident sees when they write, whatever the provider.

These tests feed channel-neutral messages through the same intake the webhooks use (store, then process);
the provider-specific parsing and sending are tested against fake Twilio and Telegram servers elsewhere.
"""
import json
from dataclasses import asdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from channels import intake
from channels.inbound import InboundMessage, Media, MediaTooLarge
from channels.models import InboundPayload
from complaints.models import Attachment, Resident, Ticket, TicketMessage
from complaints.operations import change_status, reply
from notifications.models import OutboxMessage

PHONE = '+6281200001234'


def _parse(raw):
    data = json.loads(raw)
    if data.get('ignore'):
        return None
    if data.get('explode'):
        raise ValueError('cannot parse this')
    data['media'] = tuple(Media(**m) for m in data.get('media', ()))
    if data.get('location'):
        data['location'] = tuple(data['location'])
    return InboundMessage(**data)


@pytest.fixture(autouse=True)
def test_provider(monkeypatch):
    monkeypatch.setitem(intake._parsers, 'test', _parse)


@pytest.fixture
def city(make, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path / 'media'))
    diskominfo, dinsos, pupr = make.agency('DISKOMINFO'), make.agency('DINSOS'), make.agency('PUPR')
    return {'umum': make.category(diskominfo, 'umum'), 'bansos': make.category(dinsos, 'bansos'),
            'jalan': make.category(pupr, 'jalan-rusak')}


counter = iter(range(10_000, 99_999))


def send(clock, channel='sms', text='', external_id=None, **fields):
    """Deliver one message through the intake, as a webhook would."""
    fields.setdefault('phone', PHONE if channel != 'telegram' else None)
    message = InboundMessage(channel=channel, external_id=external_id or str(next(counter)), text=text, **fields)
    data = asdict(message)
    payload, duplicate = intake.receive('test', message.external_id, json.dumps(data), now=clock.now)
    return payload, duplicate


def outbox(db, address=PHONE):
    return [m.body for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.address == address)
                                               .order_by(OutboxMessage.id))]


def test_first_sms_files_a_ticket_acknowledges_with_code_and_deadline_and_offers_categories(db, city, clock):
    send(clock, text='Jalan di depan rumah saya berlubang besar sejak minggu lalu.')

    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.channel == 'sms' and ticket.resident.phone == PHONE
    assert ticket.category.code == 'umum'
    ack, menu = outbox(db)
    assert ticket.tracking_code in ack and 'paling lambat pukul 13.00 WIB' in ack
    assert '1. ' in menu and 'Kategori uji' in menu


def test_a_number_picks_the_category_and_routes_the_ticket(db, city, clock):
    send(clock, text='Bansos keluarga kami belum cair tiga bulan.')
    ticket = db.session.scalar(sa.select(Ticket))
    due = ticket.response_due_dt
    number = str(1 + [c.code for c in _menu(db)].index('bansos'))
    assert f'{number}. Kategori uji' in outbox(db)[-1]

    send(clock, text=number)

    db.session.refresh(ticket)
    assert ticket.category.code == 'bansos' and ticket.agency.code == 'DINSOS'
    assert ticket.response_due_dt == due, 'choosing a category does not restart the deadline'
    assert 'Dinas Uji DINSOS' in outbox(db)[-1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def _menu(db):
    from channels.conversation import _menu_categories
    return _menu_categories()


def test_an_out_of_range_choice_says_what_to_send(db, city, clock):
    send(clock, text='Bansos keluarga kami belum cair tiga bulan.')
    send(clock, text='99')
    assert 'Pilihan 99 tidak ada' in outbox(db)[-1]


def test_follow_up_messages_thread_into_the_open_ticket_until_closed(db, city, clock):
    send(clock, text='Lampu jalan di gang kami mati semua.')
    send(clock, text='BATAL')
    clock.advance(timedelta(minutes=5))
    send(clock, text='Sudah tiga malam gelap gulita.')
    [ticket] = db.session.scalars(sa.select(Ticket)).all()
    assert [m.body for m in ticket.messages] == ['Lampu jalan di gang kami mati semua.', 'Sudah tiga malam gelap gulita.']
    assert 'ditambahkan ke pengaduan ' + ticket.tracking_code in outbox(db)[-1]

    officer = ticket.agency.duty_officer
    change_status(ticket, officer, 'resolved', None, now=clock.now)
    change_status(ticket, officer, 'closed', None, now=clock.now)
    send(clock, text='Lampu mati lagi malam ini.')
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


def test_baru_starts_a_new_ticket_while_one_is_open(db, city, clock):
    send(clock, text='Lampu jalan di gang kami mati semua.')
    send(clock, text='/baru')
    assert outbox(db)[-1] == 'Silakan tulis pengaduan baru Anda.'
    send(clock, text='Saluran air depan pasar tersumbat.')
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


def test_status_answers_with_status_and_last_reply(db, city, clock):
    send(clock, text='Lampu jalan di gang kami mati semua.')
    ticket = db.session.scalar(sa.select(Ticket))
    reply(ticket, ticket.agency.duty_officer, 'Teknisi datang besok pagi.', now=clock.now)
    send(clock, text=f'status {ticket.tracking_code.lower()}')
    assert 'Jawaban terakhir: Teknisi datang besok pagi.' in outbox(db)[-1]
    send(clock, text='STATUS')
    assert ticket.tracking_code in outbox(db)[-1]
    send(clock, text='STATUS ZZZZ-ZZZZ')
    assert 'tidak ditemukan' in outbox(db)[-1]


@pytest.mark.parametrize('text,expected', [
    ('/start', 'Selamat datang'), ('/help', 'STATUS <kode>'), ('bantuan', 'STATUS <kode>'),
    ('/foo', 'Perintah /foo tidak dikenal'), ('/batal', 'Tidak ada yang perlu dibatalkan'),
])
def test_commands_always_get_an_answer(db, city, clock, text, expected):
    send(clock, text=text)
    assert expected in outbox(db)[-1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_english_speakers_are_answered_in_english(db, city, clock):
    send(clock, channel='telegram', text='Hello, the street light on my road is broken since Monday.',
         telegram_user_id=7001, telegram_chat_id=7001, language='en')
    ack = outbox(db, '7001')[0]
    assert 'Your complaint was received' in ack
    send(clock, text='The water pipe has been broken for a week, please help.', phone='+6281200005678')
    assert 'Your complaint was received' in outbox(db, '+6281200005678')[0]


def test_the_same_delivery_twice_makes_one_message(db, city, clock):
    first, dup1 = send(clock, text='Lampu jalan mati semua.', external_id='SM1')
    second, dup2 = send(clock, text='Lampu jalan mati semua.', external_id='SM1')
    assert (dup1, dup2) == (False, True) and first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundPayload)) == 1


def test_a_payload_that_fails_is_kept_and_can_be_reprocessed(db, app, city, clock, monkeypatch):
    payload, _ = send(clock, text='Jalan berlubang dekat sekolah.', external_id='SM-BROKEN')
    assert payload.status == 'processed'
    raw = json.dumps({'explode': True})
    broken, _ = intake.receive('test', 'SM-EXPLODE', raw, now=clock.now)
    assert broken.status == 'failed' and 'cannot parse this' in broken.error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1

    fixed = json.dumps(asdict(InboundMessage(channel='sms', external_id='SM-EXPLODE', text='Drainase mampet total.',
                                             phone='+6281200007777')))
    broken.body = fixed
    db.session.commit()
    result = app.test_cli_runner().invoke(args=['channels', 'reprocess'])
    assert result.exit_code == 0, result.output
    db.session.refresh(broken)
    assert broken.status == 'processed' and broken.error is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


def test_photos_and_locations_are_attached_and_oversize_refused(db, app, city, clock, monkeypatch):
    files = {'ok': (b'\xff\xd8jpeg-bytes', 'image/jpeg')}

    def fetch(media, *, max_bytes, config):
        if media.url == 'big':
            raise MediaTooLarge('6000 KB is too large')
        return files[media.url]
    monkeypatch.setitem(intake._media_fetchers, 'whatsapp', fetch)

    send(clock, channel='whatsapp', text='', media=(Media(url='ok', content_type='image/jpeg'),))
    send(clock, channel='whatsapp', text='', location=(-8.2192, 114.3691))
    send(clock, channel='whatsapp', text='Ini foto kedua', media=(Media(url='big', content_type='image/jpeg'),))
    send(clock, channel='whatsapp', text='Dokumen', media=(Media(url='x', content_type='video/mp4'),))

    ticket = db.session.scalar(sa.select(Ticket))
    kinds = [(a.kind, a.content_type, a.size_bytes) for a in db.session.scalars(sa.select(Attachment))]
    assert kinds == [('photo', 'image/jpeg', 12), ('location', None, None)]
    assert (ticket.location_lat, ticket.location_lng) == (-8.2192, 114.3691)
    photo = db.session.scalar(sa.select(Attachment).where(Attachment.kind == 'photo'))
    with open(f"{app.config['MEDIA_DIR']}/{photo.storage_key}", 'rb') as fh:
        assert fh.read() == b'\xff\xd8jpeg-bytes'
    refusals = [m for m in outbox(db) if 'Lampiran tidak dapat diterima' in m]
    assert len(refusals) == 2
    assert any('ukuran file terlalu besar' in m for m in refusals)
    assert any('jenis file tidak diterima' in m for m in refusals)


def test_whatsapp_replies_fall_back_to_sms_and_record_the_window(db, city, clock):
    send(clock, channel='whatsapp', text='Bansos belum cair sejak Januari.')
    resident = db.session.scalar(sa.select(Resident))
    assert resident.whatsapp_last_inbound_dt == clock.now
    ack = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert (ack.channel, ack.fallbacks) == ('whatsapp', [['sms', PHONE]])


def test_one_resident_across_whatsapp_sms_and_a_shared_telegram_contact(db, city, clock):
    send(clock, channel='whatsapp', text='Bansos belum cair sejak Januari.', phone='whatsapp:+6281200001234')
    send(clock, channel='sms', text='Jalan rusak di RT 3.', phone='081200001234')
    send(clock, channel='telegram', text='Halo, saya mau lapor sampah menumpuk.', telegram_user_id=7002,
         telegram_chat_id=7002)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 2
    send(clock, channel='telegram', text='', telegram_user_id=7002, telegram_chat_id=7002,
         phone='+62 812-0000-1234', is_shared_contact=True)
    [resident] = db.session.scalars(sa.select(Resident)).all()
    assert (resident.phone, resident.telegram_user_id) == (PHONE, 7002)
    assert sorted(t.channel for t in db.session.scalars(sa.select(Ticket))) == ['sms', 'telegram', 'whatsapp']
    assert {t.resident_id for t in db.session.scalars(sa.select(Ticket))} == {resident.id}


def test_a_resident_answer_while_waiting_resumes_the_ticket(db, city, clock):
    send(clock, text='Kartu keluarga saya salah cetak nama.')
    ticket = db.session.scalar(sa.select(Ticket))
    officer = ticket.agency.duty_officer
    reply(ticket, officer, 'Mohon kirim foto KK lama.', now=clock.now)
    change_status(ticket, officer, 'waiting_on_resident', 'Menunggu foto KK', now=clock.now)
    clock.advance(timedelta(hours=2))
    send(clock, text='Ini nomor KK saya 3510xxxxxxxx.')
    db.session.refresh(ticket)
    assert ticket.status == 'in_progress' and ticket.resolution_paused_dt is None
