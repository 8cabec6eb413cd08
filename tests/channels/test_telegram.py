"""Telegram through the real python-telegram-bot against a fake Bot API on loopback: sending, the webhook,
parsing updates, media and the set-webhook command."""
import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from channels.base import DeliveryError, OutboundMessage
from channels.inbound import InboundMessage, Media, MediaError, MediaTooLarge
from channels.models import InboundPayload
from channels.telegram import TelegramAdapter, fetch_media, parse_update, split_text
from notifications.models import DEAD, DELIVERED, PENDING, OutboxMessage
from notifications.operations import enqueue
from tests.fakes.telegram import WEBHOOK_SECRET
from tests.helpers import attempts, dispatch

CHAT = '5550001'
USER = {'id': 5550001, 'is_bot': False, 'first_name': 'Siti', 'last_name': 'Rahmawati', 'language_code': 'id'}
PRIVATE_CHAT = {'id': 5550001, 'type': 'private', 'first_name': 'Siti'}
REPLY = {'tracking_code': 'K7QM-4XH2', 'agency_name': 'Dinas Sosial', 'body': 'Lampu sudah kami ganti.'}
REPLY_TEXT = '[K7QM-4XH2] Dinas Sosial: Lampu sudah kami ganti.'
WEBHOOK = '/channels/telegram/webhook'


def queue(db, clock, *, address=CHAT, options=None):
    message = enqueue(channel='telegram', address=address, template='reply', context=REPLY, options=options,
                      now=clock.now)
    db.session.commit()
    return message


def outbound(**kwargs):
    values = dict(outbox_id=1, channel='telegram', address=CHAT, subject=None, body=REPLY_TEXT,
                  ticket_code='K7QM-4XH2')
    return OutboundMessage(**{**values, **kwargs})


def update(update_id=700001, **message):
    return {'update_id': update_id,
            'message': {'message_id': 11, 'date': 1795406400, 'chat': PRIVATE_CHAT, 'from': USER, **message}}


def callback_update(update_id=700002, data='cat:jalan', *, query_id='4382bfdwdsb323b2d9'):
    return {'update_id': update_id,
            'callback_query': {'id': query_id, 'from': USER, 'chat_instance': '-8802231',
                               'data': data,
                               'message': {'message_id': 12, 'date': 1795406300, 'chat': PRIVATE_CHAT,
                                           'from': {'id': 123456789, 'is_bot': True, 'first_name': 'Tanggap'},
                                           'text': 'Pilih kategori'}}}


def parse(data):
    return parse_update(json.dumps(data))


def post_update(client, data, *, secret=WEBHOOK_SECRET):
    headers = {} if secret is None else {'X-Telegram-Bot-Api-Secret-Token': secret}
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(WEBHOOK, data=body, content_type='application/json', headers=headers)


def row_counts(db):
    """Rows in every table, to show that a refused request stored nothing anywhere."""
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def payloads(db):
    return db.session.scalars(sa.select(InboundPayload).order_by(InboundPayload.id)).all()


# -- sending ---------------------------------------------------------------------------------------------

def test_reply_is_delivered_to_the_chat(db, clock, fake_telegram):
    message = queue(db, clock)

    assert dispatch(db, clock) == {'delivered': 1, 'retried': 0, 'dead': 0}

    assert fake_telegram.calls_to('sendMessage') == [{'chat_id': CHAT, 'text': REPLY_TEXT}]
    row = db.session.get(OutboxMessage, message.id)
    assert row.status == DELIVERED
    assert row.provider_message_id == '1001'
    assert attempts(db, row) == [(1, True, None)]
    assert row.attempts_log[0].adapter == 'telegram'


def test_options_become_an_inline_keyboard_one_button_a_row(db, clock, fake_telegram):
    queue(db, clock, options=[('Jalan rusak', 'cat:jalan'), ('Sampah', 'cat:sampah')])

    assert dispatch(db, clock)['delivered'] == 1

    [sent] = fake_telegram.calls_to('sendMessage')
    assert sent['text'] == REPLY_TEXT
    assert sent['reply_markup'] == {'inline_keyboard': [[{'text': 'Jalan rusak', 'callback_data': 'cat:jalan'}],
                                                        [{'text': 'Sampah', 'callback_data': 'cat:sampah'}]]}


def test_many_sends_in_a_row_reuse_one_bot_and_one_connection(db, clock, fake_telegram):
    for _ in range(3):
        queue(db, clock)
    assert dispatch(db, clock)['delivered'] == 3
    clock.advance(timedelta(minutes=1))
    queue(db, clock)
    assert dispatch(db, clock)['delivered'] == 1, 'the next dispatcher run sends through the same bot'

    assert [call.method for call in fake_telegram.calls] == ['getMe'] + ['sendMessage'] * 4
    # The fake keeps connections alive as Telegram does; one kept-alive connection served every call,
    # which is what breaks ("Event loop is closed") when a Bot outlives the loop that opened it.
    assert len({call.client_port for call in fake_telegram.calls}) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == DELIVERED)) == 4


def test_sends_from_several_threads_at_once(app, fake_telegram):
    adapter = TelegramAdapter(app.config)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: adapter.send(outbound(outbox_id=n, body=f'Pesan {n}')), range(12)))

    assert len({result.provider_message_id for result in results}) == 12
    assert sorted(call['text'] for call in fake_telegram.calls_to('sendMessage')) == sorted(
        f'Pesan {n}' for n in range(12))
    assert len(fake_telegram.calls_to('getMe')) == 1, 'the bot is initialised once, not per thread'


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_a_forked_worker_gets_its_own_loop(app, fake_telegram):
    """gunicorn forks after the app is loaded: the parent's loop thread does not exist in the child."""
    config = {key: app.config[key] for key in ('TELEGRAM_BOT_TOKEN', 'TELEGRAM_API_BASE_URL')}
    TelegramAdapter(config).send(outbound(body='Sebelum fork'))  # the parent's loop and bot now exist

    pid = os.fork()
    if pid == 0:  # the child: send, and report through the exit code only
        try:
            TelegramAdapter(config).send(outbound(body='Dari worker'))
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert sent_texts(fake_telegram) == ['Sebelum fork', 'Dari worker']
    TelegramAdapter(config).send(outbound(body='Sesudah fork'))
    assert sent_texts(fake_telegram)[-1] == 'Sesudah fork'


def test_failed_send_is_retried_after_the_back_off(app, db, clock, fake_telegram):
    fake_telegram.fail('sendMessage', status=500)
    message = queue(db, clock)

    assert dispatch(db, clock) == {'delivered': 0, 'retried': 1, 'dead': 0}
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert 'Internal Server Error' in row.last_error
    assert dispatch(db, clock)['delivered'] == 0, 'not due before the back-off has passed'

    clock.advance(timedelta(seconds=app.config['OUTBOX_BACKOFF_SECONDS'] + 1))
    assert dispatch(db, clock) == {'delivered': 1, 'retried': 0, 'dead': 0}

    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts) == (DELIVERED, 2)
    assert len(fake_telegram.calls_to('sendMessage')) == 2


def test_bot_blocked_by_the_resident_is_dead_at_once(db, clock, fake_telegram):
    fake_telegram.fail('sendMessage', status=403)
    message = queue(db, clock)

    assert dispatch(db, clock) == {'delivered': 0, 'retried': 0, 'dead': 1}

    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts) == (DEAD, 1)
    assert 'bot was blocked by the user' in row.last_error


@pytest.mark.filterwarnings('ignore::DeprecationWarning:telegram')  # PTB's own RetryAfter.__init__
@pytest.mark.parametrize('status, retry_after, is_permanent', [
    (400, None, True),   # chat not found
    (403, None, True),   # blocked
    (429, 7, False),     # flood control
    (500, None, False),
    (502, None, False),
])
def test_which_telegram_errors_are_permanent(app, fake_telegram, status, retry_after, is_permanent):
    fake_telegram.fail('sendMessage', status=status, retry_after=retry_after)

    with pytest.raises(DeliveryError) as refused:
        TelegramAdapter(app.config).send(outbound())

    assert refused.value.permanent is is_permanent


def test_a_rejected_token_is_retryable_and_never_written_down(app, db, clock, fake_telegram, monkeypatch):
    monkeypatch.setitem(app.config, 'TELEGRAM_BOT_TOKEN', '987654:WrongTokenWrongToken')
    message = queue(db, clock)

    assert dispatch(db, clock)['retried'] == 1

    row = db.session.get(OutboxMessage, message.id)
    assert 'rejected' in row.last_error
    assert '987654:WrongTokenWrongToken' not in row.last_error


def test_a_long_reply_is_sent_in_pieces_with_the_buttons_on_the_last(app, fake_telegram):
    body = ('Kalimat yang panjang sekali. ' * 200).strip()  # about 5800 characters: over the 4096 limit

    result = TelegramAdapter(app.config).send(outbound(body=body, options=(('Puas', 'rate:5'),)))

    first, last = fake_telegram.calls_to('sendMessage')
    assert len(first['text']) <= 4096 and len(last['text']) <= 4096
    assert f"{first['text']} {last['text']}" == body
    assert 'reply_markup' not in first and last['reply_markup']['inline_keyboard'][0][0]['callback_data'] == 'rate:5'
    assert result.provider_message_id == '1002'


def test_split_text_counts_what_telegram_counts():
    assert split_text('Halo') == ['Halo']
    emoji = '\U0001F600' * 3000  # two UTF-16 units each, as Telegram counts them
    pieces = split_text(emoji)
    assert ''.join(pieces) == emoji
    assert all(len(piece.encode('utf-16-le')) // 2 <= 4096 for piece in pieces)


# -- the webhook -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('secret', [None, '', 'wrong-secret', WEBHOOK_SECRET + 'x', WEBHOOK_SECRET[:-1]])
def test_webhook_without_the_secret_is_refused_and_stores_nothing(db, client, fake_telegram, secret):
    before = row_counts(db)

    response = post_update(client, update(text='Jalan berlubang'), secret=secret)

    assert response.status_code == 403
    assert response.get_json()['error']['code'] == 'forbidden'
    assert row_counts(db) == before
    assert fake_telegram.calls == []


@pytest.mark.parametrize('body', ['{"update_id": 7', '[1, 2]', '{"message": {}}', '{"update_id": "7"}',
                                  '{"update_id": true}', ''])
def test_webhook_refuses_what_is_not_an_update(db, client, fake_telegram, body):
    before = row_counts(db)

    response = post_update(client, body)

    assert response.status_code == 400
    assert response.get_json()['error']['code'] == 'bad_request'
    assert row_counts(db) == before


def test_webhook_is_not_found_where_telegram_is_not_configured(app, db, client, monkeypatch):
    monkeypatch.setitem(app.config, 'TELEGRAM_BOT_TOKEN', None)
    monkeypatch.setitem(app.config, 'TELEGRAM_WEBHOOK_SECRET', None)

    response = post_update(client, update(text='Halo'), secret='anything')

    assert response.status_code == 404
    assert payloads(db) == []


def test_webhook_stores_the_update_once(db, client, fake_telegram):
    data = update(700101, text='Jalan berlubang di depan SD 3')
    raw = json.dumps(data)

    first = post_update(client, raw)
    again = post_update(client, raw)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_json() == {} and again.get_json() == {}
    [payload] = payloads(db)
    assert (payload.provider, payload.external_id, payload.body) == ('telegram', '700101', raw)


def test_webhook_answers_a_button_press_in_its_response(db, client, fake_telegram):
    response = post_update(client, callback_update(query_id='cbq-42'))

    assert response.status_code == 200
    assert response.get_json() == {'method': 'answerCallbackQuery', 'callback_query_id': 'cbq-42'}
    assert fake_telegram.calls_to('answerCallbackQuery') == [], 'no extra request was needed'


# -- parsing updates -------------------------------------------------------------------------------------

def test_parse_text_message():
    assert parse(update(700201, text='Lampu jalan mati sejak kemarin')) == InboundMessage(
        channel='telegram', external_id='700201', text='Lampu jalan mati sejak kemarin', name='Siti Rahmawati',
        language='id', telegram_user_id=5550001, telegram_chat_id=5550001)


@pytest.mark.parametrize('code, language', [('id', 'id'), ('en', 'en'), ('en-GB', 'en'), ('ru', None),
                                            (None, None)])
def test_parse_language(code, language):
    user = {**USER, 'language_code': code} if code else {k: v for k, v in USER.items() if k != 'language_code'}

    assert parse(update(text='Halo', **{'from': user})).language == language


def test_parse_photo_takes_the_largest_size_and_the_caption():
    sizes = [{'file_id': 'small', 'file_unique_id': 's', 'width': 90, 'height': 67, 'file_size': 1200},
             {'file_id': 'large', 'file_unique_id': 'l', 'width': 1280, 'height': 960, 'file_size': 98000},
             {'file_id': 'medium', 'file_unique_id': 'm', 'width': 320, 'height': 240, 'file_size': 14000}]

    inbound = parse(update(photo=sizes, caption='Sampah menumpuk di pasar'))

    assert inbound.text == 'Sampah menumpuk di pasar'
    assert inbound.media == (Media(file_id='large', size=98000, content_type='image/jpeg'),)


def test_parse_document():
    document = {'file_id': 'doc-1', 'file_unique_id': 'd1', 'file_name': 'surat.pdf',
                'mime_type': 'application/pdf', 'file_size': 52000}

    assert parse(update(document=document)).media == (
        Media(file_id='doc-1', size=52000, content_type='application/pdf'),)


def test_parse_location():
    inbound = parse(update(location={'latitude': -6.914744, 'longitude': 107.60981}))

    assert inbound.location == (-6.914744, 107.60981)
    assert inbound.text == ''


@pytest.mark.parametrize('contact_user_id, is_shared_contact', [(5550001, True), (5559999, False), (None, False)])
def test_parse_contact(contact_user_id, is_shared_contact):
    contact = {'phone_number': '6281200007890', 'first_name': 'Siti'}
    if contact_user_id:
        contact['user_id'] = contact_user_id

    inbound = parse(update(contact=contact))

    assert (inbound.phone, inbound.is_shared_contact) == ('6281200007890', is_shared_contact)


def test_parse_callback_query():
    assert parse(callback_update(700301, 'cat:jalan')) == InboundMessage(
        channel='telegram', external_id='700301', callback_data='cat:jalan', name='Siti Rahmawati',
        language='id', telegram_user_id=5550001, telegram_chat_id=5550001)


@pytest.mark.parametrize('text', ['/status K7QM-4XH2', '/status@tanggap_test_bot K7QM-4XH2'])
def test_parse_status_command(text):
    assert parse(update(text=text, entities=[{'type': 'bot_command', 'offset': 0, 'length': 7}])).text == \
        '/status K7QM-4XH2'


@pytest.mark.parametrize('data', [
    {'update_id': 700401, 'edited_message': {**update()['message'], 'edit_date': 1795406500, 'text': 'x'}},
    {'update_id': 700402, 'channel_post': {'message_id': 3, 'date': 1795406400, 'text': 'x',
                                           'chat': {'id': -100123, 'type': 'channel', 'title': 'Info'}}},
    update(700403, text='halo semua', chat={'id': -4001, 'type': 'group', 'title': 'RT 05'}),
    {'update_id': 700404, 'my_chat_member': {
        'chat': PRIVATE_CHAT, 'from': USER, 'date': 1795406400,
        'old_chat_member': {'status': 'member', 'user': {'id': 123456789, 'is_bot': True, 'first_name': 'T'}},
        'new_chat_member': {'status': 'kicked', 'until_date': 0,
                            'user': {'id': 123456789, 'is_bot': True, 'first_name': 'T'}}}},
    {'update_id': 700405},
])
def test_parse_ignores_other_updates(data):
    assert parse(data) is None


@pytest.mark.parametrize('raw', ['{not json', '[]', '{"message": {}}', '{"update_id": "1"}',
                                 '{"update_id": 9, "message": {"message_id": 1}}'])
def test_parse_refuses_malformed_updates(raw):
    with pytest.raises(ValueError):
        parse_update(raw)


# -- media -----------------------------------------------------------------------------------------------

JPEG = b'\xff\xd8\xff\xe0' + b'\x00' * 996


def test_fetch_media_downloads_the_file(app, fake_telegram):
    fake_telegram.add_file('large', JPEG, file_path='photos/file_7.jpg')

    data, content_type = fetch_media(Media(file_id='large', size=len(JPEG), content_type='image/jpeg'),
                                     max_bytes=5000, config=app.config)

    assert (data, content_type) == (JPEG, 'image/jpeg')
    assert fake_telegram.calls_to('getFile') == [{'file_id': 'large'}]
    assert fake_telegram.downloads == ['photos/file_7.jpg']


def test_fetch_media_takes_the_type_from_the_file_path(app, fake_telegram):
    fake_telegram.add_file('doc-1', b'%PDF-1.4 ...', file_path='documents/file_3.pdf')

    assert fetch_media(Media(file_id='doc-1'), max_bytes=5000, config=app.config)[1] == 'application/pdf'


def test_fetch_media_refuses_a_size_announced_in_the_update_without_asking(app, fake_telegram):
    with pytest.raises(MediaTooLarge):
        fetch_media(Media(file_id='large', size=6000), max_bytes=5000, config=app.config)

    assert fake_telegram.calls == []


def test_fetch_media_refuses_a_size_announced_by_get_file_without_downloading(app, fake_telegram):
    fake_telegram.add_file('large', JPEG, file_size=6000)

    with pytest.raises(MediaTooLarge):
        fetch_media(Media(file_id='large'), max_bytes=5000, config=app.config)

    assert len(fake_telegram.calls_to('getFile')) == 1
    assert fake_telegram.downloads == []


def test_fetch_media_refuses_a_download_larger_than_announced(app, fake_telegram):
    fake_telegram.add_file('large', JPEG * 6, file_size=900)

    with pytest.raises(MediaTooLarge):
        fetch_media(Media(file_id='large', size=900), max_bytes=5000, config=app.config)

    assert len(fake_telegram.downloads) == 1


def test_fetch_media_of_an_unknown_file_is_a_media_error(app, fake_telegram):
    with pytest.raises(MediaError) as refused:
        fetch_media(Media(file_id='gone'), max_bytes=5000, config=app.config)

    assert not isinstance(refused.value, MediaTooLarge)
    assert fake_telegram.token not in str(refused.value)


# -- the set-webhook command -----------------------------------------------------------------------------

def run_cli(app, *args):
    """`flask channels telegram ...`, as an administrator types it."""
    return app.test_cli_runner().invoke(args=['channels', 'telegram', *args])


def test_set_webhook_registers_the_public_url_and_the_secret(app, fake_telegram, monkeypatch):
    monkeypatch.setitem(app.config, 'PUBLIC_BASE_URL', 'https://tanggap.example.go.id')

    result = run_cli(app, 'set-webhook')

    assert result.exit_code == 0, result.output
    assert fake_telegram.calls_to('setWebhook') == [{
        'url': 'https://tanggap.example.go.id/channels/telegram/webhook', 'secret_token': WEBHOOK_SECRET,
        'allowed_updates': ['message', 'callback_query']}]
    assert 'https://tanggap.example.go.id/channels/telegram/webhook' in result.output


def test_set_webhook_takes_another_url(app, fake_telegram):
    result = run_cli(app, 'set-webhook', '--url', 'https://bot.example.go.id/hook')

    assert result.exit_code == 0, result.output
    assert fake_telegram.calls_to('setWebhook')[0]['url'] == 'https://bot.example.go.id/hook'


def test_set_webhook_refuses_a_secret_telegram_would_refuse(app, fake_telegram, monkeypatch):
    monkeypatch.setitem(app.config, 'TELEGRAM_WEBHOOK_SECRET', 'rahasia kota!')

    result = run_cli(app, 'set-webhook')

    assert result.exit_code == 1
    assert 'A-Z a-z 0-9 _ -' in result.output
    assert fake_telegram.calls == []


def test_set_webhook_without_telegram_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, 'TELEGRAM_BOT_TOKEN', None)

    result = run_cli(app, 'set-webhook')

    assert result.exit_code == 1
    assert 'TELEGRAM_BOT_TOKEN' in result.output


def test_set_webhook_reports_telegrams_refusal(app, fake_telegram):
    fake_telegram.fail('setWebhook', status=400, description='Bad Request: bad webhook: HTTPS url must be provided')

    result = run_cli(app, 'set-webhook')

    assert result.exit_code == 1
    assert 'https url must be provided' in result.output.lower()


# -- end to end: the webhook, the conversation and the outbox -------------------------------------------

@pytest.fixture
def city(app, make):
    """An agency with the triage category messages arrive in and two categories residents can pick."""
    agency = make.agency('DINSOS')
    triage = make.category(agency, app.config['TRIAGE_CATEGORY'])
    roads = make.category(agency, 'jalan')
    waste = make.category(agency, 'sampah')
    return agency, triage, roads, waste


def telegram_tickets(db):
    from complaints.models import Ticket
    return db.session.scalars(sa.select(Ticket).where(Ticket.channel == 'telegram').order_by(Ticket.id)).all()


def sent_texts(fake):
    return [call['text'] for call in fake.calls_to('sendMessage')]


def test_a_telegram_message_files_a_complaint_and_the_acknowledgement_reaches_the_chat(
        db, clock, client, city, fake_telegram):
    response = post_update(client, update(700501, text='Lampu jalan di Jl. Merdeka mati sejak kemarin'))

    assert response.status_code == 200
    [payload] = payloads(db)
    assert payload.status == 'processed', payload.error
    [ticket] = telegram_tickets(db)
    assert ticket.description == 'Lampu jalan di Jl. Merdeka mati sejak kemarin'
    assert (ticket.resident.telegram_user_id, ticket.resident.telegram_chat_id) == (5550001, 5550001)
    assert ticket.resident.name == 'Siti Rahmawati'
    assert ticket.messages[0].payload_id == payload.id

    dispatch(db, clock)

    sent = fake_telegram.calls_to('sendMessage')
    assert {call['chat_id'] for call in sent} == {CHAT}
    acknowledgement, menu = sent
    assert ticket.tracking_code in acknowledgement['text']
    assert acknowledgement['text'].startswith('Pengaduan Anda diterima')
    assert [row[0]['callback_data'] for row in menu['reply_markup']['inline_keyboard']] == [
        f'cat:{ticket.id}:jalan', f'cat:{ticket.id}:sampah']


def test_a_resident_whose_telegram_is_in_english_is_answered_in_english(db, clock, client, city, fake_telegram):
    english = {**USER, 'language_code': 'en'}

    post_update(client, update(700502, text='The street light has been broken since Monday', **{'from': english}))
    dispatch(db, clock)

    assert sent_texts(fake_telegram)[0].startswith('Your complaint was received')


def test_a_photo_is_attached_to_the_ticket(app, db, clock, client, city, fake_telegram, monkeypatch, tmp_path):
    from complaints.models import Attachment
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path))
    fake_telegram.add_file('photo-large', JPEG, file_path='photos/file_9.jpg')
    sizes = [{'file_id': 'photo-small', 'file_unique_id': 's', 'width': 90, 'height': 90, 'file_size': 200},
             {'file_id': 'photo-large', 'file_unique_id': 'l', 'width': 1280, 'height': 960,
              'file_size': len(JPEG)}]

    post_update(client, update(700503, photo=sizes, caption='Sampah menumpuk di depan pasar'))

    [ticket] = telegram_tickets(db)
    assert ticket.description == 'Sampah menumpuk di depan pasar'
    [attachment] = db.session.scalars(sa.select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert (attachment.kind, attachment.content_type, attachment.size_bytes) == ('photo', 'image/jpeg', len(JPEG))
    assert (tmp_path / attachment.storage_key).read_bytes() == JPEG
    assert fake_telegram.calls_to('getFile') == [{'file_id': 'photo-large'}]


def test_an_oversized_photo_is_refused_and_the_resident_told(
        app, db, clock, client, city, fake_telegram, monkeypatch, tmp_path):
    from complaints.models import Attachment
    monkeypatch.setitem(app.config, 'MEDIA_DIR', str(tmp_path))
    monkeypatch.setitem(app.config, 'MEDIA_MAX_BYTES', 500)
    fake_telegram.add_file('photo-large', JPEG, file_path='photos/file_9.jpg', file_size=None)
    sizes = [{'file_id': 'photo-large', 'file_unique_id': 'l', 'width': 1280, 'height': 960}]

    post_update(client, update(700504, photo=sizes, caption='Jalan berlubang besar sekali'))

    [ticket] = telegram_tickets(db)
    assert db.session.scalars(sa.select(Attachment).where(Attachment.ticket_id == ticket.id)).all() == []
    dispatch(db, clock)
    assert any(text.startswith('Lampiran tidak dapat diterima') for text in sent_texts(fake_telegram))


def test_a_location_is_kept_on_the_ticket(db, clock, client, city, fake_telegram):
    from complaints.models import Attachment

    post_update(client, update(700505, location={'latitude': -6.914744, 'longitude': 107.60981}))

    [ticket] = telegram_tickets(db)
    assert (ticket.location_lat, ticket.location_lng) == (-6.914744, 107.60981)
    [attachment] = db.session.scalars(sa.select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert (attachment.kind, attachment.latitude, attachment.longitude) == ('location', -6.914744, 107.60981)


def test_status_command_answers_with_the_ticket_status(db, clock, client, city, fake_telegram):
    post_update(client, update(700506, text='Air PDAM tidak mengalir sejak tadi pagi'))
    [ticket] = telegram_tickets(db)
    dispatch(db, clock)
    before = len(fake_telegram.calls_to('sendMessage'))

    response = post_update(client, update(700507, text=f'/status {ticket.tracking_code.lower()}',
                                          entities=[{'type': 'bot_command', 'offset': 0, 'length': 7}]))
    dispatch(db, clock)

    assert response.status_code == 200
    [answer] = sent_texts(fake_telegram)[before:]
    assert answer.startswith(f'[{ticket.tracking_code}] Dinas Uji DINSOS: status baru.')
    assert len(telegram_tickets(db)) == 1, 'a command is not a complaint'


def test_choosing_a_category_on_the_keyboard(db, clock, client, city, fake_telegram):
    agency, triage, roads, waste = city
    post_update(client, update(700508, text='Jalan berlubang di depan SD Negeri 3'))
    dispatch(db, clock)
    menu = fake_telegram.calls_to('sendMessage')[-1]
    [button] = [row[0] for row in menu['reply_markup']['inline_keyboard'] if row[0]['callback_data'].endswith(':jalan')]

    response = post_update(client, callback_update(700509, button['callback_data'], query_id='cbq-700509'))

    assert response.status_code == 200
    assert response.get_json() == {'method': 'answerCallbackQuery', 'callback_query_id': 'cbq-700509'}
    [ticket] = telegram_tickets(db)
    db.session.refresh(ticket)
    assert ticket.category_id == roads.id
    dispatch(db, clock)
    assert sent_texts(fake_telegram)[-1].startswith(f'Pengaduan {ticket.tracking_code} masuk kategori')


def test_the_same_update_delivered_twice_makes_one_message_and_one_ticket(db, clock, client, city, fake_telegram):
    from complaints.models import TicketMessage
    raw = json.dumps(update(700510, text='Pohon tumbang menutup jalan di Jl. Sudirman'))

    responses = [post_update(client, raw) for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 200]
    assert len(payloads(db)) == 1
    [ticket] = telegram_tickets(db)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)
                             .where(TicketMessage.ticket_id == ticket.id)) == 1
    dispatch(db, clock)
    assert sum(ticket.tracking_code in text and text.startswith('Pengaduan Anda diterima')
               for text in sent_texts(fake_telegram)) == 1
