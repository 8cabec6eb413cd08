"""The outbox: messages are queued in the caller's transaction and delivered after commit, with retries.

`enqueue` only flushes, like every operation. `dispatch_due` is the exception: it is the worker that
runs after commit, so it opens and commits its own short transactions around each provider call.
"""
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from channels.base import DeliveryError, OutboundMessage, adapter_name, get_adapter
from core.errors import Conflict
from core.extensions import db
from core.timeutil import ensure_utc
from notifications.models import DEAD, DELIVERED, PENDING, DeliveryAttempt, OutboxMessage
from notifications.templates import render

logger = logging.getLogger(__name__)

#: How long a dispatcher owns the rows it claimed; a crashed dispatcher's rows are taken over afterwards.
CLAIM_DURATION = timedelta(minutes=2)
#: WhatsApp's customer-service window after a resident's message.
WHATSAPP_WINDOW = timedelta(hours=24)
#: Provider error pages can be long; the start says what went wrong.
_MAX_ERROR_LENGTH = 2000


def enqueue(*, channel, address, template, language='id', context, ticket=None, resident=None, user=None,
            options=None, fallbacks=None, now):
    """Queue `template` rendered with `context` for delivery; flushes, the caller commits.

    `options`: [label, data] pairs offered as buttons where the channel has them. `fallbacks`:
    [channel, address] pairs tried in turn when this channel fails for good.
    """
    subject, body = render(template, language, **context)
    message = OutboxMessage(channel=channel, address=address, template=template, subject=subject, body=body,
                            ticket_id=_id_of(ticket), resident_id=_id_of(resident), user_id=_id_of(user),
                            language=language, options=[list(o) for o in options] if options else None,
                            fallbacks=[list(f) for f in fallbacks] if fallbacks else None,
                            status=PENDING, attempts=0, next_attempt_dt=now, created_dt=now)
    db.session.add(message)
    db.session.flush()
    return message


def _id_of(obj):
    if obj is None:
        return None
    if obj.id is None:
        db.session.flush()  # a ticket or resident created in the same transaction gets its id
    return obj.id


def backoff_delay(failed_attempts, base_seconds, max_seconds):
    """How long to wait after the `failed_attempts`-th failure: base, doubled per failure, capped."""
    seconds = base_seconds * 2 ** (max(failed_attempts, 1) - 1)
    return timedelta(seconds=min(seconds, max_seconds))


def dispatch_due(*, now, limit=100):
    """Deliver up to `limit` due pending messages; returns dict(delivered=N, retried=N, dead=N).

    Commits its own transactions, so it refuses to run inside one: nothing is sent before the change
    that caused it is committed, and a caller's unsaved work is never committed by accident.
    """
    if db.session().in_transaction():
        raise RuntimeError('dispatch_due commits as it goes; commit or roll back the session first')
    config = current_app.config
    counts = {'delivered': 0, 'retried': 0, 'dead': 0}
    adapters = {}
    for message in _claim(now, limit):
        outcome = _deliver(message, now, config, adapters)
        if outcome:
            counts[outcome] += 1
    return counts


def _claimable(now):
    return sa.and_(OutboxMessage.status == PENDING,
                   sa.or_(OutboxMessage.locked_until_dt.is_(None), OutboxMessage.locked_until_dt < now))


def _claim(now, limit):
    """Lock a batch of due rows for CLAIM_DURATION, in one short committed transaction."""
    try:
        candidates = db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(_claimable(now), OutboxMessage.next_attempt_dt <= now)
            .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)).all()
        # SQLite ignores FOR UPDATE; the conditional update still lets only one dispatcher win a row.
        claimed = []
        for outbox_id in candidates:
            result = db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id, _claimable(now))
                .values(locked_until_dt=now + CLAIM_DURATION)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                claimed.append(outbox_id)
        messages = _outbound(claimed, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return messages


def _outbound(outbox_ids, now):
    """Plain values for the adapters, so that sending reads nothing from the database."""
    from complaints.models import Resident, Ticket
    if not outbox_ids:
        return []
    rows = db.session.execute(
        sa.select(OutboxMessage, Ticket.tracking_code, Resident.whatsapp_last_inbound_dt)
        .outerjoin(Ticket, Ticket.id == OutboxMessage.ticket_id)
        .outerjoin(Resident, Resident.id == OutboxMessage.resident_id)
        .where(OutboxMessage.id.in_(outbox_ids))
        .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)).all()
    return [OutboundMessage(outbox_id=row.id, channel=row.channel, address=row.address, subject=row.subject,
                            body=row.body, ticket_code=code, options=tuple(tuple(o) for o in row.options or ()),
                            language=row.language, window_open=_window_open(row, last_inbound, now))
            for row, code, last_inbound in rows]


def _window_open(row, last_inbound_dt, now):
    # WhatsApp allows free-form messages for 24 hours after the resident's last message.
    if row.channel != 'whatsapp' or row.resident_id is None:
        return None
    return last_inbound_dt is not None and now - ensure_utc(last_inbound_dt) < WHATSAPP_WINDOW


def _deliver(message, now, config, adapters):
    """Send one claimed message (no transaction open), then record the attempt."""
    name = adapter_name(message.channel, config) or 'none'
    provider_message_id = error = None
    is_permanent = False
    try:
        adapter = adapters.get(message.channel)
        if adapter is None:
            adapter = adapters[message.channel] = get_adapter(message.channel, config)
        name = adapter.name
        result = adapter.send(message)
        provider_message_id = getattr(result, 'provider_message_id', None)
    except DeliveryError as exc:
        error, is_permanent = str(exc) or type(exc).__name__, exc.permanent
    except Exception as exc:
        # A bug or an SDK surprise: one failed attempt, not the end of the dispatcher.
        logger.exception('Adapter %s failed on outbox message %s', name, message.outbox_id)
        error = f'{type(exc).__name__}: {exc}'
    if error is not None:
        error = error[:_MAX_ERROR_LENGTH]
    return _record(message, now, name, provider_message_id, error, is_permanent, config)


def _record(message, now, adapter, provider_message_id, error, is_permanent, config):
    """Record the attempt and move the row on, in one short committed transaction."""
    try:
        row = db.session.get(OutboxMessage, message.outbox_id, with_for_update=True)
        if row is None:
            db.session.rollback()
            logger.warning('Outbox message %s vanished while being sent', message.outbox_id)
            return None
        number = (db.session.scalar(sa.select(sa.func.max(DeliveryAttempt.number))
                                    .where(DeliveryAttempt.outbox_id == row.id)) or 0) + 1
        db.session.add(DeliveryAttempt(outbox_id=row.id, number=number, adapter=adapter, started_dt=now,
                                       is_success=error is None, error=error,
                                       provider_message_id=provider_message_id))
        row.attempts += 1
        row.locked_until_dt = None
        if error is None:
            row.status, row.delivered_dt, row.provider_message_id = DELIVERED, now, provider_message_id
            outcome = 'delivered'
        else:
            row.last_error = error
            if (is_permanent or row.attempts >= config['OUTBOX_MAX_ATTEMPTS']) and row.fallbacks:
                _fall_back(row, now)
                outcome = 'retried'
            elif is_permanent or row.attempts >= config['OUTBOX_MAX_ATTEMPTS']:
                row.status = DEAD
                outcome = 'dead'
            else:
                row.next_attempt_dt = now + backoff_delay(row.attempts, config['OUTBOX_BACKOFF_SECONDS'],
                                                          config['OUTBOX_BACKOFF_MAX_SECONDS'])
                outcome = 'retried'
        attempts = row.attempts
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if outcome == 'dead':
        logger.warning('Outbox message %s to %s via %s dead-lettered after %s attempt(s): %s',
                       message.outbox_id, message.address, message.channel, attempts, error)
    return outcome


def _fall_back(row, now):
    """Move a message that failed for good on its channel to the next one, due at once."""
    channel, address = row.fallbacks[0]
    logger.info('Outbox message %s failed on %s; falling back to %s', row.id, row.channel, channel)
    row.fallbacks = row.fallbacks[1:] or None
    row.channel, row.address = channel, address
    row.attempts = 0
    row.provider_status = None
    row.next_attempt_dt = now


#: Twilio's delivery states in the order a message goes through them; a callback never moves back.
_PROVIDER_ORDER = {'accepted': 0, 'queued': 1, 'sending': 2, 'sent': 3, 'delivered': 4, 'read': 5,
                   'undelivered': 4, 'failed': 4}


def record_provider_status(*, provider_message_id, status, error_code=None, now):
    """A delivery report from the provider: kept when it moves forward; a failure after acceptance
    puts the message back for another attempt or its fallback. Returns the row, or None if unknown."""
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id)
                            .with_for_update())
    if row is None:
        logger.info('Delivery report for unknown message %s (%s)', provider_message_id, status)
        return None
    status = (status or '').lower()
    if status not in _PROVIDER_ORDER:
        return row
    if row.provider_status and _PROVIDER_ORDER[status] <= _PROVIDER_ORDER.get(row.provider_status, -1):
        return row  # a late or repeated callback: keep the furthest state
    row.provider_status = status
    if status in ('failed', 'undelivered') and row.status == DELIVERED:
        error = f'provider reported {status}' + (f' (error {error_code})' if error_code else '')
        number = (db.session.scalar(sa.select(sa.func.max(DeliveryAttempt.number))
                                    .where(DeliveryAttempt.outbox_id == row.id)) or 0) + 1
        db.session.add(DeliveryAttempt(outbox_id=row.id, number=number, adapter='provider-report', started_dt=now,
                                       is_success=False, error=error, provider_message_id=provider_message_id))
        row.last_error = error
        row.delivered_dt = None
        config = current_app.config
        if row.fallbacks:
            row.status = PENDING
            _fall_back(row, now)
        elif row.attempts >= config['OUTBOX_MAX_ATTEMPTS']:
            row.status = DEAD
        else:
            row.status = PENDING
            row.next_attempt_dt = now + backoff_delay(row.attempts, config['OUTBOX_BACKOFF_SECONDS'],
                                                      config['OUTBOX_BACKOFF_MAX_SECONDS'])
    db.session.flush()
    return row


def retry(message, *, now):
    """Put a dead-lettered message back in the queue, due now, with its attempt count reset."""
    if message.status != DEAD:
        raise Conflict(f'Outbox message {message.id} is {message.status}; only dead messages can be retried.')
    message.status = PENDING
    message.attempts = 0
    message.next_attempt_dt = now
    message.locked_until_dt = None
    db.session.flush()
    return message
