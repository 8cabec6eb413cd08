"""Inbound webhooks: store the raw payload first, then turn it into conversation, exactly once.

Each provider module registers how to parse its payloads and fetch its media. `receive` is called by the
webhook views after they verified the request; `reprocess` by `flask channels reprocess`.
"""
import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from channels.models import FAILED, IGNORED, PROCESSED, RECEIVED, InboundPayload
from core.extensions import db

logger = logging.getLogger(__name__)

_parsers = {}
_media_fetchers = {}


def register_parser(provider, parse):
    """`parse(raw_body) -> InboundMessage | None` for the provider's stored payloads (pure, may raise ValueError)."""
    _parsers[provider] = parse


def register_media_fetcher(channel, fetch):
    """`fetch(media, *, max_bytes, config) -> (bytes, content_type)` for a channel's attachments."""
    _media_fetchers[channel] = fetch


def media_fetcher(channel):
    """The registered fetcher for `channel`, or None."""
    return _media_fetchers.get(channel)


def receive(provider, external_id, raw_body, *, now):
    """Store a verified delivery, then process it; commits. Returns (payload, is_duplicate).

    A redelivery (same provider id) changes nothing. A payload that fails processing stays stored with
    its error, and the provider is still answered with success: retrying the same bytes would fail the
    same way, and `channels reprocess` can run it again once the cause is fixed.
    """
    payload = InboundPayload(provider=provider, external_id=str(external_id), body=raw_body, received_dt=now,
                             status=RECEIVED, attempts=0)
    try:
        with db.session.begin_nested():
            db.session.add(payload)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        logger.info('Duplicate %s delivery %s ignored', provider, external_id)
        existing = db.session.scalar(sa.select(InboundPayload).where(
            InboundPayload.provider == provider, InboundPayload.external_id == str(external_id)))
        return existing, True
    process(payload, now=now)
    return payload, False


def process(payload, *, now):
    """Parse and handle one stored payload; records the outcome on it and commits."""
    from channels.conversation import handle
    payload_id = payload.id
    try:
        inbound = _parsers[payload.provider](payload.body)
        if inbound is None:
            payload.status = IGNORED
        else:
            handle(inbound, payload=payload, now=now)
            payload.status = PROCESSED
        payload.attempts += 1
        payload.processed_dt = now
        payload.error = None
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - whatever went wrong is kept on the payload
        db.session.rollback()
        logger.exception('Processing %s payload %s failed', payload.provider, payload_id)
        payload = db.session.get(InboundPayload, payload_id)
        payload.status = FAILED
        payload.attempts += 1
        payload.error = f'{type(exc).__name__}: {exc}'[:2000]
        db.session.commit()
    return payload


def reprocess(*, now, payload_id=None):
    """Process again the failed payloads (or one by id); returns the payloads processed."""
    query = sa.select(InboundPayload).order_by(InboundPayload.id)
    if payload_id is not None:
        query = query.where(InboundPayload.id == payload_id)
    else:
        # A payload still `received` a minute after arrival was interrupted (a crash between store and
        # process); a younger one may be in the middle of being processed by its webhook.
        query = query.where(sa.or_(InboundPayload.status == FAILED,
                                   sa.and_(InboundPayload.status == RECEIVED,
                                           InboundPayload.received_dt < now - timedelta(minutes=1))))
    return [process(payload, now=now) for payload in db.session.scalars(query).all()]
