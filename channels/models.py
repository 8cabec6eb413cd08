"""Raw inbound payloads, stored before anything else is done with them."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.timeutil import UTCDateTime

RECEIVED, PROCESSED, FAILED, IGNORED = 'received', 'processed', 'failed', 'ignored'


class InboundPayload(db.Model):
    """A webhook delivery exactly as it arrived. The provider's id is unique: a redelivery is a no-op."""

    __tablename__ = 'inbound_payloads'
    __table_args__ = (
        sa.UniqueConstraint('provider', 'external_id'),
        sa.CheckConstraint("status IN ('received', 'processed', 'failed', 'ignored')", name='status'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 'twilio' or 'telegram'.
    provider: Mapped[str] = mapped_column(sa.String(16))
    #: MessageSid, or the Telegram update_id.
    external_id: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text)
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default=RECEIVED, index=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    processed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
