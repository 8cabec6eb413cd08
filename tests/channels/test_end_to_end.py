"""A resident on each channel files a complaint, an officer answers through the API, and the answer
reaches the resident on the channel they used, through the real SDKs and the fake providers."""
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from complaints.models import Ticket
from notifications.operations import dispatch_due
from tests.fakes.telegram import WEBHOOK_SECRET


@pytest.fixture
def city(make):
    return {'umum': make.category(make.agency('DISKOMINFO'), 'umum'),
            'bansos': make.category(make.agency('DINSOS'), 'bansos')}


def deliver(db, clock):
    db.session.commit()
    return dispatch_due(now=clock.now)


def answer(client, make, ticket, body):
    officer = ticket.agency.duty_officer
    response = client.post(f'/api/v1/tickets/{ticket.tracking_code}/replies', json={'body': body},
                           headers=make.headers(officer))
    assert response.status_code == 201


def test_an_officer_reply_reaches_the_resident_on_telegram(client, db, make, city, clock, fake_telegram):
    update = {'update_id': 910001, 'message': {
        'message_id': 1, 'date': int(clock.now.timestamp()), 'text': 'Lampu jalan di gang kami mati semua.',
        'chat': {'id': 6600001, 'type': 'private'}, 'from': {'id': 6600001, 'is_bot': False, 'first_name': 'Dewi'}}}
    response = client.post('/channels/telegram/webhook', data=json.dumps(update), content_type='application/json',
                           headers={'X-Telegram-Bot-Api-Secret-Token': WEBHOOK_SECRET})
    assert response.status_code == 200
    ticket = db.session.scalar(sa.select(Ticket))
    answer(client, make, ticket, 'Teknisi kami datang sore ini.')
    deliver(db, clock)
    sent = [(str(params['chat_id']), params['text']) for params in fake_telegram.calls_to('sendMessage')]
    assert ('6600001', f'[{ticket.tracking_code}] {ticket.agency.name}: Teknisi kami datang sore ini.') in sent


@pytest.mark.parametrize('channel', ['sms', 'whatsapp'])
def test_an_officer_reply_reaches_the_resident_by_twilio(client, db, make, city, clock, fake_twilio, channel):
    params = (fake_twilio.inbound_sms('Bansos kami belum cair sejak Januari.', from_='+6281200003456')
              if channel == 'sms' else
              fake_twilio.inbound_whatsapp('Bansos kami belum cair sejak Januari.', from_='+6281200003456'))
    assert fake_twilio.post_message(client, params).status_code == 200
    ticket = db.session.scalar(sa.select(Ticket))
    clock.advance(timedelta(hours=1))
    answer(client, make, ticket, 'Data Bapak sedang kami periksa.')
    deliver(db, clock)
    replies = [m for m in fake_twilio.sent if 'Data Bapak sedang kami periksa.' in m.get('Body', '')]
    assert len(replies) == 1
    expected_to = '+6281200003456' if channel == 'sms' else 'whatsapp:+6281200003456'
    assert replies[0]['To'] == expected_to
