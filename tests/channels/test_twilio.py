"""Twilio for SMS and WhatsApp, through the real SDK against a fake Twilio on loopback: sending, webhooks,
parsing and media."""
import json
import socket
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from channels.base import DeliveryError, OutboundMessage
from channels.inbound import Media, MediaError, MediaTooLarge
from channels.models import InboundPayload
from channels.twilio import TwilioAdapter, fetch_media, parse_form
from complaints.models import Attachment, Resident, Ticket, TicketMessage
from notifications.models import DEAD, DELIVERED, PENDING, OutboxMessage
from notifications.operations import enqueue
from tests.fakes.twilio import (
    ACCOUNT_SID, AUTH_TOKEN, MESSAGES_PATH, PUBLIC_BASE_URL, SMS_FROM, STATUS_PATH, WHATSAPP_FROM, FakeTwilio, new_sid)
from tests.helpers import attempts, dispatch

PHONE = '+6281200007890'
STATUS_CALLBACK = PUBLIC_BASE_URL + '/channels/twilio/status'
TEMPLATE_SID = 'HX' + '0b1c2d3e' * 4
REPLY = {'tracking_code': 'K7QM-4XH2', 'agency_name': 'Dinas Sosial', 'body': 'Lampu sudah kami ganti.'}


def resident(db, clock, *, phone=PHONE, last_whatsapp=None):
    row = Resident(phone=phone, created_dt=clock.now, whatsapp_last_inbound_dt=last_whatsapp)
    db.session.add(row)
    db.session.flush()
    return row


def queue(db, clock, *, channel='sms', address=PHONE, resident=None, fallbacks=None):
    message = enqueue(channel=channel, address=address, template='reply', context=REPLY, resident=resident,
                      fallbacks=fallbacks, now=clock.now)
    db.session.commit()
    return message


def outbound(**kwargs):
    values = dict(outbox_id=1, channel='whatsapp', address=PHONE, subject=None, body='Lampu sudah kami ganti.',
                  ticket_code='K7QM-4XH2')
    return OutboundMessage(**{**values, **kwargs})


def payloads(db):
    return db.session.scalars(sa.select(InboundPayload).order_by(InboundPayload.id)).all()


# -- sending ---------------------------------------------------------------------------------------------

def test_sms_reply_is_delivered_through_twilio(db, clock, fake_twilio):
    message = queue(db, clock)

    assert dispatch(db, clock) == {'delivered': 1, 'retried': 0, 'dead': 0}

    [request] = fake_twilio.message_requests()
    assert request.path == f'/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json'
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.form == {'From': SMS_FROM, 'To': PHONE, 'Body': '[K7QM-4XH2] Dinas Sosial: Lampu sudah kami ganti.',
                            'StatusCallback': STATUS_CALLBACK}
    row = db.session.get(OutboxMessage, message.id)
    assert row.status == DELIVERED
    assert row.provider_message_id == fake_twilio.messages[0]['sid']
    assert row.provider_message_id.startswith('SM') and len(row.provider_message_id) == 34
    assert attempts(db, row) == [(1, True, None)]
    assert row.attempts_log[0].adapter == 'twilio'


def test_whatsapp_inside_the_window_is_free_form(db, clock, fake_twilio):
    someone = resident(db, clock, last_whatsapp=clock.now - timedelta(hours=23))
    queue(db, clock, channel='whatsapp', resident=someone)

    assert dispatch(db, clock)['delivered'] == 1

    [sent] = fake_twilio.sent
    assert (sent['From'], sent['To']) == (f'whatsapp:{WHATSAPP_FROM}', f'whatsapp:{PHONE}')
    assert sent['Body'] == '[K7QM-4XH2] Dinas Sosial: Lampu sudah kami ganti.'
    assert 'ContentSid' not in sent
    assert sent['StatusCallback'] == STATUS_CALLBACK


def test_whatsapp_outside_the_window_sends_the_approved_template(app, db, clock, make, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, 'TWILIO_WHATSAPP_TEMPLATE_SID', TEMPLATE_SID)
    category = make.category(make.agency('DINSOS'))
    ticket = make.ticket(category, phone=PHONE, channel='whatsapp')
    ticket.resident.whatsapp_last_inbound_dt = clock.now - timedelta(hours=25)
    [ack] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
    body = ack.body

    assert dispatch(db, clock)['delivered'] == 1

    [sent] = fake_twilio.sent
    assert (sent['From'], sent['To']) == (f'whatsapp:{WHATSAPP_FROM}', f'whatsapp:{PHONE}')
    assert sent['ContentSid'] == TEMPLATE_SID
    assert json.loads(sent['ContentVariables']) == {'1': ticket.tracking_code, '2': body[:900]}
    assert 'Body' not in sent
    assert sent['StatusCallback'] == STATUS_CALLBACK


def test_template_variables_without_a_ticket_and_with_a_long_body(app, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, 'TWILIO_WHATSAPP_TEMPLATE_SID', TEMPLATE_SID)

    TwilioAdapter(app.config).send(outbound(window_open=False, ticket_code=None, body='x' * 1500))

    [sent] = fake_twilio.sent
    assert json.loads(sent['ContentVariables']) == {'1': '-', '2': 'x' * 900}


def test_whatsapp_outside_the_window_without_a_template_is_refused_for_good(app, fake_twilio):
    with pytest.raises(DeliveryError) as refused:
        TwilioAdapter(app.config).send(outbound(window_open=False))

    assert refused.value.permanent
    assert '24-hour window' in str(refused.value)
    assert fake_twilio.requests == [], 'nothing is sent that WhatsApp would refuse'


def test_outside_the_window_without_a_template_the_dispatcher_falls_back_to_sms(db, clock, fake_twilio):
    someone = resident(db, clock, last_whatsapp=clock.now - timedelta(days=3))
    message = queue(db, clock, channel='whatsapp', resident=someone, fallbacks=[('sms', PHONE)])

    dispatch(db, clock)
    dispatch(db, clock)

    assert [(m['From'], m['To']) for m in fake_twilio.sent] == [(SMS_FROM, PHONE)]
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.channel) == (DELIVERED, 'sms')
    [(_, failed, error), (_, succeeded, _)] = attempts(db, row)
    assert not failed and '24-hour window' in error and succeeded


def test_a_twilio_server_error_is_retried_after_the_backoff(db, clock, fake_twilio):
    fake_twilio.fail_next(status=500)
    message = queue(db, clock)

    assert dispatch(db, clock) == {'delivered': 0, 'retried': 1, 'dead': 0}
    row = db.session.get(OutboxMessage, message.id)
    assert row.status == PENDING and fake_twilio.sent == []
    assert row.next_attempt_dt == clock.now + timedelta(seconds=30)
    assert dispatch(db, clock)['delivered'] == 0, 'not before the backoff has passed'

    clock.advance(timedelta(seconds=30))
    assert dispatch(db, clock) == {'delivered': 1, 'retried': 0, 'dead': 0}

    row = db.session.get(OutboxMessage, message.id)
    assert row.status == DELIVERED and row.provider_message_id == fake_twilio.messages[0]['sid']
    [first, second] = attempts(db, row)
    assert first[:2] == (1, False) and '20500' in first[2] and 'HTTP 500' in first[2]
    assert second == (2, True, None)
    assert len(fake_twilio.message_requests()) == 2


def test_an_invalid_number_is_dead_at_once(db, clock, fake_twilio):
    fake_twilio.fail_next(status=400, code=21211)
    message = queue(db, clock)

    assert dispatch(db, clock) == {'delivered': 0, 'retried': 0, 'dead': 1}

    row = db.session.get(OutboxMessage, message.id)
    assert row.status == DEAD and '21211' in row.last_error
    assert '\x1b' not in row.last_error, 'no terminal colours in what officers read'
    clock.advance(timedelta(hours=1))
    dispatch(db, clock)
    assert len(fake_twilio.message_requests()) == 1


@pytest.mark.parametrize('status, code, is_permanent', [
    (400, 21211, True), (400, 21610, True), (400, 63016, True),
    (429, 20429, False), (503, 20503, False), (401, 20003, False),
])
def test_twilio_errors_are_permanent_only_when_the_message_is_at_fault(app, fake_twilio, status, code,
                                                                     is_permanent):
    fake_twilio.fail_next(status=status, code=code)

    with pytest.raises(DeliveryError) as failed:
        TwilioAdapter(app.config).send(outbound(channel='sms'))

    assert failed.value.permanent is is_permanent
    assert str(code) in str(failed.value)


def test_wrong_credentials_are_refused_by_twilio_and_retried(app, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, 'TWILIO_AUTH_TOKEN', 'f' * 32)

    with pytest.raises(DeliveryError) as failed:
        TwilioAdapter(app.config).send(outbound(channel='sms'))

    assert not failed.value.permanent and '20003' in str(failed.value)
    assert fake_twilio.sent == []


def test_twilio_unreachable_is_retried(app, db, clock, fake_twilio, monkeypatch):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(('127.0.0.1', 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, 'TWILIO_API_BASE_URL', f'http://127.0.0.1:{closed_port}')
    message = queue(db, clock)

    assert dispatch(db, clock)['retried'] == 1

    row = db.session.get(OutboxMessage, message.id)
    assert row.status == PENDING and 'could not be reached' in row.last_error


def test_an_adapter_keeps_one_client_pointed_at_the_configured_base_url(app, fake_twilio):
    adapter = TwilioAdapter(app.config)
    client = adapter.client

    adapter.send(outbound(channel='sms', outbox_id=1))
    adapter.send(outbound(channel='sms', outbox_id=2))

    assert adapter.client is client and client.api.base_url == fake_twilio.base_url
    assert len(fake_twilio.sent) == 2


# -- webhooks --------------------------------------------------------------------------------------------

def test_signed_sms_is_stored_and_answered_with_empty_twiml(client, db, fake_twilio):
    params = fake_twilio.inbound_sms('Lampu jalan di Jl. Melati mati.')

    response = fake_twilio.post_message(client, params)

    assert response.status_code == 200
    assert response.mimetype == 'text/xml'
    assert response.get_data(as_text=True).endswith('<Response />')
    [payload] = payloads(db)
    assert (payload.provider, payload.external_id) == ('twilio', params['MessageSid'])
    assert parse_form(payload.body).text == 'Lampu jalan di Jl. Melati mati.'


def test_the_signature_is_checked_against_the_public_url_not_the_one_flask_sees(client, db, fake_twilio):
    params = fake_twilio.inbound_sms('Halo')
    seen_by_flask = 'http://localhost' + MESSAGES_PATH

    refused = fake_twilio.post_message(client, params, signed_url=seen_by_flask)
    accepted = fake_twilio.post_message(client, params)

    assert refused.status_code == 403
    assert accepted.status_code == 200


def test_the_query_string_is_part_of_the_signed_url(client, db, fake_twilio):
    params = fake_twilio.inbound_sms('Halo')
    path = MESSAGES_PATH + '?source=sms'

    assert fake_twilio.post(client, path, params, signed_url=PUBLIC_BASE_URL + MESSAGES_PATH).status_code == 403
    assert fake_twilio.post(client, path, params).status_code == 200


@pytest.mark.parametrize('how', ['unsigned', 'wrong token', 'another url', 'tampered'])
def test_a_request_not_signed_by_twilio_is_refused_and_nothing_stored(client, db, fake_twilio, how):
    params = fake_twilio.inbound_sms('Halo')
    if how == 'unsigned':
        response = fake_twilio.post_message(client, params, signature=False)
    elif how == 'wrong token':
        forged = FakeTwilio(auth_token='0' * 32).sign(PUBLIC_BASE_URL + MESSAGES_PATH, params)
        response = fake_twilio.post_message(client, params, signature=forged)
    elif how == 'another url':
        response = fake_twilio.post_message(client, params, signed_url='https://evil.example' + MESSAGES_PATH)
    else:
        signature = fake_twilio.sign(PUBLIC_BASE_URL + MESSAGES_PATH, params)
        response = fake_twilio.post_message(client, {**params, 'Body': 'Transfer ke rekening 123'},
                                            signature=signature)

    assert response.status_code == 403
    assert response.json['error']['code'] == 'forbidden'
    assert payloads(db) == []


def test_another_account_is_refused(client, db, fake_twilio):
    params = fake_twilio.inbound_sms('Halo', AccountSid='AC' + '1' * 32)

    response = fake_twilio.post_message(client, params)

    assert response.status_code == 403 and payloads(db) == []


@pytest.mark.parametrize('missing', ['MessageSid', 'From'])
def test_a_malformed_message_is_a_bad_request(client, db, fake_twilio, missing):
    params = fake_twilio.inbound_sms('Halo', **{missing: None})

    response = fake_twilio.post_message(client, params)

    assert response.status_code == 400
    assert response.json['error']['code'] == 'bad_request'
    assert payloads(db) == []


def test_the_webhooks_are_not_found_when_twilio_is_not_configured(app, client, db, fake_twilio, monkeypatch):
    params = fake_twilio.inbound_sms('Halo')
    monkeypatch.setitem(app.config, 'TWILIO_ACCOUNT_SID', None)
    monkeypatch.setitem(app.config, 'TWILIO_AUTH_TOKEN', None)

    assert fake_twilio.post_message(client, params).status_code == 404
    assert fake_twilio.post_status(client, fake_twilio.status_callback('SM' + '0' * 32, 'sent')).status_code == 404


def test_status_callbacks_must_be_signed(client, db, fake_twilio):
    params = fake_twilio.status_callback(new_sid('SM'), 'delivered')

    assert fake_twilio.post_status(client, params, signature=False).status_code == 403
    assert fake_twilio.post_status(client, params, signed_url='http://localhost' + STATUS_PATH).status_code == 403
    assert fake_twilio.post_status(client, params).status_code == 204


def test_a_status_callback_for_an_unknown_message_is_acknowledged(client, db, fake_twilio):
    response = fake_twilio.post_status(client, fake_twilio.status_callback(new_sid('SM'), 'delivered'))

    assert response.status_code == 204


# -- parsing ---------------------------------------------------------------------------------------------

def test_parse_an_sms(fake_twilio):
    params = fake_twilio.inbound_sms('Jalan berlubang di depan SDN 3', from_='+6281200007890')

    message = parse_form(urlencode(params))

    assert message.channel == 'sms'
    assert message.external_id == params['MessageSid']
    assert message.phone == '+6281200007890'
    assert message.text == 'Jalan berlubang di depan SDN 3'
    assert (message.name, message.location, message.media) == (None, None, ())


def test_parse_a_whatsapp_photo(fake_twilio):
    url = f'https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{"a" * 32}/Media/ME{"b" * 32}'
    params = fake_twilio.inbound_whatsapp('Sampah menumpuk', profile_name='Sari Wulandari',
                                          media=[(url, 'image/jpeg')])

    message = parse_form(urlencode(params))

    assert message.channel == 'whatsapp'
    assert message.phone == '+6281200007890'
    assert message.name == 'Sari Wulandari'
    assert message.text == 'Sampah menumpuk'
    assert message.media == (Media(url=url, content_type='image/jpeg'),)


def test_parse_a_whatsapp_location_with_an_empty_body(fake_twilio):
    params = fake_twilio.inbound_whatsapp('', location=(-7.2575, 112.7521))

    message = parse_form(urlencode(params))

    assert message.channel == 'whatsapp'
    assert message.text == ''
    assert message.location == (-7.2575, 112.7521)
    assert message.media == ()


@pytest.mark.parametrize('missing', ['MessageSid', 'From'])
def test_parse_refuses_a_form_without_the_essentials(fake_twilio, missing):
    with pytest.raises(ValueError):
        parse_form(urlencode(fake_twilio.inbound_sms('Halo', **{missing: None})))


# -- media -----------------------------------------------------------------------------------------------

PHOTO = b'\xff\xd8\xff\xe0' + b'\x00' * 20_000


def test_media_within_the_limit_is_fetched_with_the_account_credentials(app, fake_twilio):
    url = fake_twilio.add_media('ME1', PHOTO, 'image/jpeg', require_auth=True)

    content, content_type = fetch_media(Media(url=url, content_type='image/jpeg'), max_bytes=len(PHOTO),
                                        config=app.config)

    assert (content, content_type) == (PHOTO, 'image/jpeg')
    [request] = fake_twilio.requests
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)


@pytest.mark.parametrize('send_length', [True, False], ids=['announced', 'streamed'])
def test_oversize_media_is_aborted(app, fake_twilio, send_length):
    url = fake_twilio.add_media('ME2', b'\x00' * 300_000, 'image/png', send_length=send_length)

    with pytest.raises(MediaTooLarge):
        fetch_media(Media(url=url, content_type='image/png'), max_bytes=100_000, config=app.config)


def test_a_download_that_drags_on_is_abandoned(app, fake_twilio, monkeypatch):
    monkeypatch.setattr('channels.twilio.MEDIA_TIMEOUT_SECONDS', 0.3)
    # Each piece arrives well within the per-read timeout; the whole takes far longer than allowed.
    url = fake_twilio.add_media('ME4', b'\x00' * 160_000, 'image/png', delay=0.1)

    with pytest.raises(MediaError, match='took longer'):
        fetch_media(Media(url=url), max_bytes=1_000_000, config=app.config)


def test_credentials_go_only_to_twilio(app, fake_twilio):
    url = fake_twilio.add_media('ME3', PHOTO).replace('127.0.0.1', 'localhost')  # another host

    with pytest.raises(MediaError):
        fetch_media(Media(url=url), max_bytes=len(PHOTO), config=app.config)

    [request] = fake_twilio.requests
    assert request.auth is None


@pytest.mark.parametrize('url', ['file:///etc/passwd', 'ftp://127.0.0.1/x.jpg', ''])
def test_only_http_media_urls_are_fetched(app, fake_twilio, url):
    with pytest.raises(MediaError):
        fetch_media(Media(url=url), max_bytes=1000, config=app.config)


def test_missing_media_is_a_media_error(app, fake_twilio):
    with pytest.raises(MediaError):
        fetch_media(Media(url=f'{fake_twilio.base_url}/media/gone'), max_bytes=1000, config=app.config)


# -- end to end: a signed webhook in, the conversation, the answer out through the fake ------------------

@pytest.fixture
def city(make, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path / 'media'))
    diskominfo, pupr = make.agency('DISKOMINFO'), make.agency('PUPR')
    return {'umum': make.category(diskominfo, 'umum'), 'jalan': make.category(pupr, 'jalan-rusak')}


def tickets_of(db):
    return db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_signed_sms_files_a_ticket_and_the_acknowledgement_goes_back_by_sms(client, db, clock, city, fake_twilio):
    response = fake_twilio.post_message(client, fake_twilio.inbound_sms(
        'Jalan di depan SDN 3 berlubang besar sejak minggu lalu.', from_='+6281200007890'))
    assert response.status_code == 200

    [ticket] = tickets_of(db)
    assert (ticket.channel, ticket.resident.phone) == ('sms', '+6281200007890')
    assert ticket.messages[0].body == 'Jalan di depan SDN 3 berlubang besar sejak minggu lalu.'

    dispatch(db, clock)

    ack, menu = fake_twilio.sent
    assert (ack['From'], ack['To'], ack['StatusCallback']) == (SMS_FROM, '+6281200007890', STATUS_CALLBACK)
    assert f'kode {ticket.tracking_code}' in ack['Body'] and 'paling lambat pukul 13.00 WIB' in ack['Body']
    assert ticket.tracking_code in menu['Body'] and '1. ' in menu['Body']


def test_a_whatsapp_photo_is_fetched_and_attached_to_the_ticket(app, client, db, clock, city, fake_twilio):
    url = fake_twilio.add_media('ME' + 'c' * 32, PHOTO, 'image/jpeg', require_auth=True)

    response = fake_twilio.post_message(client, fake_twilio.inbound_whatsapp(
        'Sampah menumpuk di pinggir kali', profile_name='Sari Wulandari', media=[(url, 'image/jpeg')]))
    assert response.status_code == 200

    [ticket] = tickets_of(db)
    assert ticket.channel == 'whatsapp' and ticket.resident.name == 'Sari Wulandari'
    assert ticket.resident.whatsapp_last_inbound_dt == clock.now
    [photo] = db.session.scalars(sa.select(Attachment)).all()
    assert (photo.kind, photo.content_type, photo.size_bytes) == ('photo', 'image/jpeg', len(PHOTO))
    with open(f"{app.config['MEDIA_DIR']}/{photo.storage_key}", 'rb') as fh:
        assert fh.read() == PHOTO
    [media_request] = [r for r in fake_twilio.requests if r.path.startswith('/media/')]
    assert media_request.auth == (ACCOUNT_SID, AUTH_TOKEN)

    dispatch(db, clock)  # inside the 24-hour window: free-form WhatsApp
    assert {(m['From'], m['To']) for m in fake_twilio.sent} == {(f'whatsapp:{WHATSAPP_FROM}', f'whatsapp:{PHONE}')}
    assert ticket.tracking_code in fake_twilio.sent[0]['Body']


def test_a_whatsapp_location_is_attached_to_the_ticket(client, db, clock, city, fake_twilio):
    response = fake_twilio.post_message(client, fake_twilio.inbound_whatsapp('', location=(-7.2575, 112.7521)))
    assert response.status_code == 200

    [ticket] = tickets_of(db)
    assert (ticket.location_lat, ticket.location_lng) == (-7.2575, 112.7521)
    [pin] = db.session.scalars(sa.select(Attachment)).all()
    assert (pin.kind, pin.latitude, pin.longitude) == ('location', -7.2575, 112.7521)


def test_status_by_sms_answers_with_the_ticket_status(client, db, clock, city, fake_twilio):
    fake_twilio.post_message(client, fake_twilio.inbound_sms('Lampu jalan di gang 5 mati semua.'))
    [ticket] = tickets_of(db)
    dispatch(db, clock)
    clock.advance(timedelta(minutes=10))

    response = fake_twilio.post_message(client, fake_twilio.inbound_sms(f'STATUS {ticket.tracking_code.lower()}'))
    assert response.status_code == 200
    dispatch(db, clock)

    answer = fake_twilio.sent[-1]
    assert answer['To'] == PHONE
    assert answer['Body'].startswith(f'[{ticket.tracking_code}] ') and 'status baru' in answer['Body']
    assert len(tickets_of(db)) == 1, 'a command files nothing'


def test_twilio_redelivering_the_same_message_sid_changes_nothing(client, db, clock, city, fake_twilio):
    params = fake_twilio.inbound_sms('Air PDAM tidak mengalir sejak pagi.')

    first = fake_twilio.post_message(client, params)
    again = fake_twilio.post_message(client, params)

    assert first.status_code == again.status_code == 200
    assert again.get_data(as_text=True).endswith('<Response />')
    assert count(db, InboundPayload) == 1
    assert count(db, TicketMessage) == 1
    assert len(tickets_of(db)) == 1
    dispatch(db, clock)
    assert len(fake_twilio.sent) == 2, 'one acknowledgement and one category menu, not two of each'


def test_an_undelivered_report_puts_a_delivered_sms_back_for_retry(client, db, clock, city, fake_twilio):
    fake_twilio.post_message(client, fake_twilio.inbound_sms('Pohon tumbang menutup jalan.'))
    dispatch(db, clock)
    ack_sid = fake_twilio.messages[0]['sid']
    ack = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.provider_message_id == ack_sid))
    assert ack.status == DELIVERED

    clock.advance(timedelta(minutes=1))
    response = fake_twilio.post_status(client, fake_twilio.status_callback(ack_sid, 'undelivered', error_code=30003))
    assert response.status_code == 204

    ack = db.session.get(OutboxMessage, ack.id)
    assert ack.status == PENDING and '30003' in ack.last_error
    clock.advance(timedelta(minutes=5))
    dispatch(db, clock)
    resent = fake_twilio.sent[-1]
    assert (resent['To'], resent['Body']) == (PHONE, fake_twilio.sent[0]['Body'])
    assert db.session.get(OutboxMessage, ack.id).status == DELIVERED


def test_a_failed_whatsapp_report_falls_back_to_sms(client, db, clock, city, fake_twilio):
    fake_twilio.post_message(client, fake_twilio.inbound_whatsapp('Jembatan kayu di RW 2 patah.'))
    dispatch(db, clock)
    ack_sid = fake_twilio.messages[0]['sid']
    assert fake_twilio.sent[0]['To'] == f'whatsapp:{PHONE}'

    response = fake_twilio.post_status(client, fake_twilio.status_callback(
        ack_sid, 'failed', error_code=63016, channel='whatsapp'))
    assert response.status_code == 204
    dispatch(db, clock)

    resent = fake_twilio.sent[-1]
    assert (resent['From'], resent['To']) == (SMS_FROM, PHONE)
    assert resent['Body'] == fake_twilio.sent[0]['Body']


def test_a_late_status_callback_does_not_move_a_message_back(client, db, clock, city, fake_twilio):
    fake_twilio.post_message(client, fake_twilio.inbound_sms('Saluran air mampet.'))
    dispatch(db, clock)
    ack_sid = fake_twilio.messages[0]['sid']

    for status in ('delivered', 'sent', 'undelivered'):
        assert fake_twilio.post_status(client, fake_twilio.status_callback(ack_sid, status)).status_code == 204

    ack = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.provider_message_id == ack_sid))
    assert (ack.status, ack.provider_status) == (DELIVERED, 'delivered')


def test_sms_and_whatsapp_from_the_same_number_are_one_resident(client, db, clock, city, fake_twilio):
    fake_twilio.post_message(client, fake_twilio.inbound_whatsapp('Bansos belum cair sejak Januari.',
                                                                  from_='+6281200007890'))
    fake_twilio.post_message(client, fake_twilio.inbound_sms('Jalan rusak di RT 3.', from_='+6281200007890'))

    [resident] = db.session.scalars(sa.select(Resident)).all()
    assert resident.phone == '+6281200007890'
    assert sorted(t.channel for t in tickets_of(db)) == ['sms', 'whatsapp']
    assert {t.resident_id for t in tickets_of(db)} == {resident.id}
