"""The outbox: every message to a resident or a member of staff, and every attempt to deliver it."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime

PENDING, DELIVERED, DEAD = 'pending', 'delivered', 'dead'


class OutboxMessage(db.Model):
    """One message to send, written in the same transaction as the change that caused it."""

    __tablename__ = 'outbox'
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'delivered', 'dead')", name='status'),
        # The dispatcher reads only pending rows, by the time they are due.
        sa.Index('ix_outbox_pending_due', 'next_attempt_dt',
                 postgresql_where=sa.text("status = 'pending'"),
                 sqlite_where=sa.text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The channel to deliver on: console, sms, whatsapp, telegram, email.
    channel: Mapped[str] = mapped_column(sa.String(16))
    #: Where: a phone number, a chat id, an email address, or a label for the console.
    address: Mapped[str] = mapped_column(sa.String(254))
    #: Which template produced the body, e.g. 'acknowledgement', 'reply', 'escalation'.
    template: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey('tickets.id', ondelete='SET NULL'),
                                                  index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey('residents.id', ondelete='SET NULL'))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id', ondelete='SET NULL'))
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A dispatcher has claimed the row until then; another may take it over afterwards.
    locked_until_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    #: The provider's last word on delivery (Twilio: sent, delivered, read, failed, undelivered).
    provider_status: Mapped[str | None] = mapped_column(sa.String(16))
    #: Buttons to offer where the channel has them: a JSON list of [label, callback data] pairs.
    options: Mapped[list | None] = mapped_column(sa.JSON)
    #: Where to try next when this channel fails for good: a JSON list of [channel, address] pairs.
    fallbacks: Mapped[list | None] = mapped_column(sa.JSON)
    language: Mapped[str] = mapped_column(sa.String(5), default='id', server_default='id')
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempts_log = relationship('DeliveryAttempt', order_by='DeliveryAttempt.id',
                                back_populates='message')


class DeliveryAttempt(db.Model):
    """One try at delivering an outbox row, successful or not."""

    __tablename__ = 'delivery_attempts'

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(sa.ForeignKey('outbox.id', ondelete='CASCADE'), index=True)
    number: Mapped[int]
    adapter: Mapped[str] = mapped_column(sa.String(32))
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    is_success: Mapped[bool]
    error: Mapped[str | None] = mapped_column(sa.Text)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(64))

    message = relationship(OutboxMessage, back_populates='attempts_log')
