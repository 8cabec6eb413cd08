"""Staff alerts reach people on their channel, falling back to the next; delivery reports count."""
import email
import email.policy
from datetime import timedelta

import pytest
import sqlalchemy as sa

from channels.base import ChannelAdapter, DeliveryError, SendResult, register
from notifications.models import DeliveryAttempt, OutboxMessage
from notifications.operations import dispatch_due, enqueue, record_provider_status
from sla.operations import sweep


@register
class DownAdapter(ChannelAdapter):
    """A provider that refuses everything for good (e.g. the bot was blocked)."""

    name = 'test-down'

    def send(self, message):
        raise DeliveryError(f'{message.channel} refused', permanent=True)


@register
class AcceptingAdapter(ChannelAdapter):
    """A provider that accepts everything and hands back a message id."""

    name = 'test-accepting'

    def send(self, message):
        return SendResult(provider_message_id=f'SM{message.outbox_id:032d}')


def deliver_all(db, clock, rounds=6):
    for _ in range(rounds):
        db.session.commit()
        dispatch_due(now=clock.now)
        clock.advance(timedelta(minutes=1))


def test_an_escalation_falls_back_from_telegram_to_whatsapp_sms_and_email(db, app, make, clock, fake_smtp,
                                                                           monkeypatch):
    monkeypatch.setitem(app.config, 'CHANNEL_ADAPTERS', {**app.config['CHANNEL_ADAPTERS'], 'telegram': 'test-down',
                                                         'whatsapp': 'test-down', 'sms': 'test-down'})
    dinsos = make.agency('DINSOS')
    dinsos.head.telegram_chat_id, dinsos.head.phone = 880011, '+6281200008888'
    ticket = make.ticket(make.category(dinsos))
    sweep(now=clock.advance(timedelta(hours=4, minutes=30)))

    deliver_all(db, clock)

    alert = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.template == 'escalation'))
    assert (alert.status, alert.channel, alert.address) == ('delivered', 'email', dinsos.head.email)
    tried = [(a.adapter, a.is_success) for a in alert.attempts_log]
    assert tried == [('test-down', False)] * 3 + [('email', True)]
    [mail] = [m for m in fake_smtp.messages if dinsos.head.email in m['to']]
    parsed = email.message_from_bytes(mail['data'], policy=email.policy.default)
    text = parsed['Subject'] + ' ' + parsed.get_content()
    assert ticket.tracking_code in text and 'terlambat 30 menit' in text and 'Dinas Uji DINSOS' in text


def test_an_email_the_server_refuses_is_dead_lettered_and_visible(db, app, clock, fake_smtp):
    fake_smtp.refuse.add('salah@sukamaju.example')
    enqueue(channel='email', address='salah@sukamaju.example', template='help', context={}, now=clock.now)
    deliver_all(db, clock, rounds=1)
    row = db.session.scalar(sa.select(OutboxMessage))
    assert row.status == 'dead' and 'refused' in row.last_error
    result = app.test_cli_runner().invoke(args=['notifications', 'list', '--status', 'dead'])
    assert 'salah@sukamaju.example' in result.output


@pytest.fixture
def accepted_sms(db, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, 'CHANNEL_ADAPTERS', {**app.config['CHANNEL_ADAPTERS'],
                                                         'whatsapp': 'test-accepting', 'sms': 'test-accepting'})
    row = enqueue(channel='whatsapp', address='+6281200001234', template='help', context={}, now=clock.now,
                  fallbacks=[('sms', '+6281200001234')])
    db.session.commit()
    dispatch_due(now=clock.now)
    db.session.refresh(row)
    assert row.status == 'delivered'
    return row


def test_delivery_reports_only_move_forward(db, clock, accepted_sms):
    sid = accepted_sms.provider_message_id
    for status in ('sent', 'delivered', 'sent', 'queued'):
        record_provider_status(provider_message_id=sid, status=status, now=clock.now)
    assert accepted_sms.provider_status == 'delivered' and accepted_sms.status == 'delivered'


def test_undelivered_after_acceptance_falls_back_to_sms(db, clock, accepted_sms):
    record_provider_status(provider_message_id=accepted_sms.provider_message_id, status='sent', now=clock.now)
    record_provider_status(provider_message_id=accepted_sms.provider_message_id, status='undelivered',
                           error_code='63016', now=clock.now)
    assert (accepted_sms.status, accepted_sms.channel) == ('pending', 'sms')
    assert 'undelivered (error 63016)' in accepted_sms.last_error
    deliver_all(db, clock, rounds=1)
    assert accepted_sms.status == 'delivered'
    attempts = db.session.scalars(sa.select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
    assert [(a.adapter, a.is_success) for a in attempts] == [
        ('test-accepting', True), ('provider-report', False), ('test-accepting', True)]


def test_a_failed_report_without_fallback_is_retried_later(db, clock, accepted_sms):
    accepted_sms.fallbacks = None
    db.session.commit()
    record_provider_status(provider_message_id=accepted_sms.provider_message_id, status='failed', now=clock.now)
    assert accepted_sms.status == 'pending' and accepted_sms.next_attempt_dt == clock.now + timedelta(seconds=30)


def test_a_report_for_an_unknown_message_changes_nothing(db, clock):
    assert record_provider_status(provider_message_id='SMunknown', status='failed', now=clock.now) is None


def test_a_preferred_channel_comes_first(db, make, clock):
    from notifications.recipients import staff_contacts
    dinsos = make.agency('DINSOS')
    officer = make.user(dinsos, phone='+6281200004444')
    officer.telegram_chat_id = 5511
    assert [c for c, _ in staff_contacts(officer)] == ['telegram', 'whatsapp', 'sms', 'email']
    officer.preferred_channel = 'sms'
    assert [c for c, _ in staff_contacts(officer)] == ['sms', 'telegram', 'whatsapp', 'email']
