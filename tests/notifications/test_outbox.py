"""The outbox: queued in the caller's transaction, delivered after commit, retried, dead-lettered."""
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from channels.base import ChannelAdapter, DeliveryError, SendResult, register
from core.extensions import db as _db
from notifications.models import DeliveryAttempt, OutboxMessage
from notifications.operations import backoff_delay, dispatch_due, enqueue

PHONE = '+6281200001234'
REPLY = {'tracking_code': 'K7QM-4XH2', 'agency_name': 'Dinas Sosial', 'body': 'Lampu sudah kami ganti.'}
REPLY_TEXT = '[K7QM-4XH2] Dinas Sosial: Lampu sudah kami ganti.'


@register
class ScriptedAdapter(ChannelAdapter):
    """Plays `script` one entry per send: an exception to raise, a callable to run first, or None (ok)."""

    name = 'test-scripted'
    script = []
    calls = []

    def send(self, message):
        ScriptedAdapter.calls.append((message, _db.session().in_transaction()))
        step = ScriptedAdapter.script.pop(0) if ScriptedAdapter.script else None
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            step()
        return SendResult(provider_message_id=f'scripted-{message.outbox_id}')


@pytest.fixture
def scripted(app, monkeypatch):
    """Route SMS through ScriptedAdapter; set `scripted.script` to make sends fail."""
    monkeypatch.setattr(ScriptedAdapter, 'script', [])
    monkeypatch.setattr(ScriptedAdapter, 'calls', [])
    monkeypatch.setitem(app.config, 'CHANNEL_ADAPTERS', {**app.config['CHANNEL_ADAPTERS'], 'sms': 'test-scripted'})
    return ScriptedAdapter


def queue(db, clock, *, channel='sms', address=PHONE, commit=True):
    message = enqueue(channel=channel, address=address, template='reply', context=REPLY, now=clock.now)
    if commit:
        db.session.commit()
    return message


def dispatch(db, now):
    db.session.commit()  # the test's own reads leave a transaction open; dispatching needs none
    return dispatch_due(now=now)


def attempts(db, message):
    return [(a.number, a.is_success, a.error) for a in db.session.scalars(
        sa.select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == message.id).order_by(DeliveryAttempt.id))]


def nothing():
    return {'delivered': 0, 'retried': 0, 'dead': 0}


# -- enqueue -----------------------------------------------------------------------------------------

def test_enqueue_writes_a_pending_row_with_the_rendered_body_and_sends_nothing(db, clock, scripted):
    message = enqueue(channel='sms', address=PHONE, template='acknowledgement', language='en',
                      context={'tracking_code': 'K7QM-4XH2', 'agency_name': 'Dinas Sosial',
                               'due_local': '2:30 pm WIB, Monday 23 November 2026'}, now=clock.now)
    db.session.commit()

    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.channel, row.address, row.template) == ('pending', 'sms', PHONE, 'acknowledgement')
    assert row.body.startswith('Your complaint was received with code K7QM-4XH2')
    assert row.subject == 'Complaint K7QM-4XH2 received'
    assert (row.attempts, row.next_attempt_dt, row.created_dt) == (0, clock.now, clock.now)
    assert scripted.calls == [] and attempts(db, row) == []


def test_nothing_is_sent_while_the_change_that_queued_it_is_uncommitted(db, clock, scripted):
    queue(db, clock, commit=False)
    with pytest.raises(RuntimeError, match='commit or roll back'):
        dispatch_due(now=clock.now)
    assert scripted.calls == []


def test_enqueue_links_the_ticket_and_the_adapter_gets_its_code(db, make, clock, scripted):
    agency = make.agency()
    ticket = make.ticket(make.category(agency))  # filing queues the acknowledgement
    db.session.commit()

    [row] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
    assert (row.template, row.resident_id, row.address) == ('acknowledgement', ticket.resident.id, PHONE)
    assert dispatch(db, clock.now)['delivered'] == 1
    [(sent, _)] = scripted.calls
    assert sent.ticket_code == ticket.tracking_code and sent.body == row.body


# -- delivery ----------------------------------------------------------------------------------------

def test_the_console_adapter_delivers_and_logs(db, clock, caplog):
    caplog.set_level(logging.INFO, logger='channels.console')
    message = queue(db, clock)

    assert dispatch(db, clock.now) == {**nothing(), 'delivered': 1}

    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.delivered_dt, row.provider_message_id, row.locked_until_dt) == (
        'delivered', clock.now, f'console-{row.id}', None)
    [attempt] = db.session.scalars(sa.select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == row.id)).all()
    assert (attempt.number, attempt.adapter, attempt.is_success, attempt.started_dt) == (
        1, 'console', True, clock.now)
    assert attempt.provider_message_id == f'console-{row.id}'
    assert f'To {PHONE} via sms: {REPLY_TEXT}' in caplog.messages
    assert dispatch(db, clock.advance(timedelta(hours=1))) == nothing()  # delivered once, never again


def test_a_failed_send_is_retried_after_30_seconds(db, clock, scripted):
    scripted.script = [DeliveryError('Twilio 503 Service Unavailable')]
    message = queue(db, clock)
    start = clock.now

    assert dispatch(db, start) == {**nothing(), 'retried': 1}
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts, row.last_error) == ('pending', 1, 'Twilio 503 Service Unavailable')
    assert row.next_attempt_dt == start + timedelta(seconds=30)

    assert dispatch(db, clock.advance(timedelta(seconds=29))) == nothing()
    assert len(scripted.calls) == 1

    assert dispatch(db, clock.advance(timedelta(seconds=2))) == {**nothing(), 'delivered': 1}
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.provider_message_id) == ('delivered', f'scripted-{row.id}')
    assert attempts(db, row) == [(1, False, 'Twilio 503 Service Unavailable'), (2, True, None)]
    assert [in_transaction for _, in_transaction in scripted.calls] == [False, False]


def test_an_always_failing_channel_backs_off_doubling_then_capped_then_dead_letters(
        db, app, clock, scripted, monkeypatch, caplog):
    monkeypatch.setitem(app.config, 'OUTBOX_BACKOFF_MAX_SECONDS', 200)
    max_attempts = app.config['OUTBOX_MAX_ATTEMPTS']
    scripted.script = [DeliveryError(f'timeout {n}') for n in range(1, max_attempts + 1)]
    message = queue(db, clock)

    delays = []
    for _ in range(max_attempts - 1):
        assert dispatch(db, clock.now) == {**nothing(), 'retried': 1}
        row = db.session.get(OutboxMessage, message.id)
        delays.append((row.next_attempt_dt - clock.now).total_seconds())
        clock.set(row.next_attempt_dt)
    assert delays == [30, 60, 120, 200, 200, 200, 200][:max_attempts - 1]

    assert dispatch(db, clock.now) == {**nothing(), 'dead': 1}
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts, row.last_error) == ('dead', max_attempts, f'timeout {max_attempts}')
    assert [success for _, success, _ in attempts(db, row)] == [False] * max_attempts
    assert any(r.levelno == logging.WARNING and 'dead-lettered' in r.getMessage() for r in caplog.records)
    assert dispatch(db, clock.advance(timedelta(days=1))) == nothing()


def test_a_permanent_error_dead_letters_at_once_and_retry_brings_it_back(db, app, clock, scripted):
    scripted.script = [DeliveryError('21211 invalid To number', permanent=True)]
    message = queue(db, clock)

    assert dispatch(db, clock.now) == {**nothing(), 'dead': 1}
    assert db.session.get(OutboxMessage, message.id).status == 'dead'

    db.session.commit()
    result = app.test_cli_runner().invoke(args=['notifications', 'retry', str(message.id)])
    assert result.exit_code == 0, result.output
    assert 'pending again' in result.output
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts, row.next_attempt_dt) == ('pending', 0, clock.now)

    assert dispatch(db, clock.now) == {**nothing(), 'delivered': 1}
    assert attempts(db, row) == [(1, False, '21211 invalid To number'), (2, True, None)]


def test_retry_refuses_a_message_that_is_not_dead(db, app, clock):
    message = queue(db, clock)
    dispatch(db, clock.now)
    result = app.test_cli_runner().invoke(args=['notifications', 'retry', str(message.id)])
    assert result.exit_code != 0 and 'only dead messages' in result.output
    assert db.session.get(OutboxMessage, message.id).status == 'delivered'


def test_a_channel_without_an_adapter_is_dead_lettered(db, clock):
    message = queue(db, clock, channel='pigeon')
    assert dispatch(db, clock.now) == {**nothing(), 'dead': 1}
    row = db.session.get(OutboxMessage, message.id)
    assert 'pigeon' in row.last_error
    assert attempts(db, row) == [(1, False, row.last_error)]


def test_an_adapter_crash_is_a_failed_attempt_and_the_batch_goes_on(db, clock, scripted, caplog):
    scripted.script = [ValueError('SDK surprise'), None]
    first, second = queue(db, clock), queue(db, clock, address='+6281200009999')

    assert dispatch(db, clock.now) == {**nothing(), 'retried': 1, 'delivered': 1}
    assert db.session.get(OutboxMessage, first.id).last_error == 'ValueError: SDK surprise'
    assert db.session.get(OutboxMessage, second.id).status == 'delivered'
    [crash] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert crash.exc_info is not None


# -- claiming ----------------------------------------------------------------------------------------

def test_a_row_claimed_by_another_dispatcher_is_not_sent_twice(db, clock, scripted):
    message = queue(db, clock)
    db.session.get(OutboxMessage, message.id).locked_until_dt = clock.now + timedelta(minutes=1)

    assert dispatch(db, clock.now) == nothing()
    assert scripted.calls == []
    # The other dispatcher died: once its claim runs out, the row is taken over and sent once.
    assert dispatch(db, clock.advance(timedelta(minutes=2))) == {**nothing(), 'delivered': 1}
    assert len(scripted.calls) == 1


def test_a_second_dispatcher_running_mid_send_does_not_resend(db, clock, scripted):
    second_pass = []
    # Another worker's pass, 30 s into a slow send.
    scripted.script = [lambda: second_pass.append(dispatch_due(now=clock.now + timedelta(seconds=30)))]
    message = queue(db, clock)

    assert dispatch(db, clock.now) == {**nothing(), 'delivered': 1}
    assert second_pass == [nothing()]
    assert len(scripted.calls) == 1 and attempts(db, message) == [(1, True, None)]


def test_a_pass_sends_due_rows_oldest_first_and_at_most_limit(db, clock, scripted):
    queue(db, clock, address='+6281200000001')
    clock.advance(timedelta(seconds=1))
    queue(db, clock, address='+6281200000002')
    for address, due_in in (('+6281200000003', timedelta(hours=1)), ('+6281200000004', timedelta(minutes=30))):
        enqueue(channel='sms', address=address, template='reply', context=REPLY, now=clock.now + due_in)

    assert dispatch(db, clock.now) == {**nothing(), 'delivered': 2}
    assert [m.address for m, _ in scripted.calls] == ['+6281200000001', '+6281200000002']

    scripted.calls.clear()
    assert dispatch_due(now=clock.now + timedelta(hours=2), limit=1) == {**nothing(), 'delivered': 1}
    assert [m.address for m, _ in scripted.calls] == ['+6281200000004']


# -- back-off ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('failed, expected', [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (50, 3600)])
def test_backoff_doubles_per_failure_and_is_capped(failed, expected):
    assert backoff_delay(failed, 30, 3600) == timedelta(seconds=expected)


# -- commands and the scheduled job ------------------------------------------------------------------

def test_dispatch_once_prints_the_counts(db, app, clock):
    queue(db, clock)
    queue(db, clock, channel='pigeon')
    result = app.test_cli_runner().invoke(args=['notifications', 'dispatch', '--once'])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == 'delivered 1, retried 0, dead-lettered 1'


def test_list_shows_dead_letters_with_their_error(db, app, clock):
    delivered, dead = queue(db, clock), queue(db, clock, channel='pigeon', address='kandang-7')
    dispatch(db, clock.now)
    result = app.test_cli_runner().invoke(args=['notifications', 'list', '--status', 'dead'])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if 'kandang-7' in line]
    assert line.split()[:5] == [str(dead.id), 'dead', 'pigeon', 'kandang-7', '1']
    assert "channel 'pigeon'" in line
    assert PHONE not in result.output


def test_the_scheduled_job_delivers_due_messages(db, clock):
    from notifications.tasks import deliver_outbox
    message = queue(db, clock)
    deliver_outbox()
    assert db.session.get(OutboxMessage, message.id).status == 'delivered'
