"""Agencies, categories, residents, tickets, their messages and their append-only history."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime

NEW, IN_PROGRESS, WAITING, RESOLVED, CLOSED, REJECTED = (
    'new', 'in_progress', 'waiting_on_resident', 'resolved', 'closed', 'rejected')
STATUSES = (NEW, IN_PROGRESS, WAITING, RESOLVED, CLOSED, REJECTED)
#: Statuses in which the ticket still needs work (and its deadlines still run).
OPEN_STATUSES = (NEW, IN_PROGRESS, WAITING)

WEB, TELEGRAM, WHATSAPP, SMS, CONSOLE = 'web', 'telegram', 'whatsapp', 'sms', 'console'
CHANNELS = (WEB, TELEGRAM, WHATSAPP, SMS, CONSOLE)

WALL_CLOCK, WORKING_HOURS = 'wall', 'working'


class Agency(db.Model):
    """A government agency (OPD) that owns categories and answers their tickets."""

    __tablename__ = 'agencies'

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: IANA zone of the agency's office: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT).
    timezone: Mapped[str] = mapped_column(sa.String(40), default='Asia/Jakarta')
    #: Answers for tickets nobody is assigned to; the sanction record falls on them.
    duty_officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey('users.id', use_alter=True, ondelete='SET NULL'))
    #: Receives the level-2 escalation.
    head_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey('users.id', use_alter=True, ondelete='SET NULL'))
    is_active: Mapped[bool] = mapped_column(default=True)

    staff = relationship('User', foreign_keys='User.agency_id', back_populates='agency')
    duty_officer = relationship('User', foreign_keys=[duty_officer_id], post_update=True)
    head = relationship('User', foreign_keys=[head_id], post_update=True)
    categories = relationship('Category', back_populates='agency', order_by='Category.code')

    def __repr__(self):
        return f'<Agency {self.code}>'


class Category(db.Model):
    """What a complaint is about; decides the owning agency and the deadlines."""

    __tablename__ = 'categories'
    __table_args__ = (
        sa.CheckConstraint("clock IN ('wall', 'working')", name='clock'),
        sa.CheckConstraint('response_window_minutes > 0', name='window_positive'),
        sa.CheckConstraint('resolution_days > 0', name='resolution_positive'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey('agencies.id'), index=True)
    name_id: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    response_window_minutes: Mapped[int] = mapped_column(default=240)
    clock: Mapped[str] = mapped_column(sa.String(10), default=WALL_CLOCK)
    #: Completion deadline in working days (service standard).
    resolution_days: Mapped[int] = mapped_column(default=3)
    is_active: Mapped[bool] = mapped_column(default=True)

    agency = relationship(Agency, back_populates='categories')


class Resident(db.Model):
    """A person who complains; one record per person across channels."""

    __tablename__ = 'residents'

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(120))
    #: E.164 (+62...), normalised with phonenumbers.
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    #: The private chat with the bot, where replies go.
    telegram_chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    language: Mapped[str] = mapped_column(sa.String(5), default='id')
    #: The resident's last WhatsApp message: free-form replies are allowed for 24 hours after it.
    whatsapp_last_inbound_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the conversation waits for: 'new' (next message starts a new ticket) or
    #: 'category' (a number picks the category of `conversation_ticket_id`); NULL when nothing.
    conversation_state: Mapped[str | None] = mapped_column(sa.String(16))
    conversation_ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey('tickets.id', use_alter=True, ondelete='SET NULL'))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)


class Ticket(db.Model):
    """One complaint, routed to one agency, with its stored deadlines."""

    __tablename__ = 'tickets'
    __table_args__ = (
        sa.CheckConstraint(sa.column('status').in_(STATUSES), name='status'),
        # The sweep reads only this index: tickets with a deadline still to act on.
        sa.Index('ix_tickets_sla_next_dt_pending', 'sla_next_dt',
                 postgresql_where=sa.text('sla_next_dt IS NOT NULL'),
                 sqlite_where=sa.text('sla_next_dt IS NOT NULL')),
        # The inbox: an agency's tickets by status, ordered by due time.
        sa.Index('ix_tickets_inbox', 'agency_id', 'status', 'response_due_dt'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey('agencies.id'))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey('categories.id'), index=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey('residents.id'), index=True)
    channel: Mapped[str] = mapped_column(sa.String(16), default=WEB)
    status: Mapped[str] = mapped_column(sa.String(24), default=NEW)
    description: Mapped[str] = mapped_column(sa.Text)
    location_lat: Mapped[float | None]
    location_lng: Mapped[float | None]
    location_address: Mapped[str | None] = mapped_column(sa.String(300))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'), index=True)
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: 75 % of the response window: the responsible officer is reminded.
    response_warn_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    response_due_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Twice the response window: level-2 escalation to the agency head.
    response_level2_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The first reply the resident receives; never set by notes, assignments or status changes.
    first_response_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'))
    resolution_due_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set while waiting on the resident: the resolution clock is paused since then.
    resolution_paused_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The next deadline the sweep must act on; NULL once nothing is left to check.
    sla_next_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    agency = relationship(Agency)
    category = relationship(Category)
    resident = relationship(Resident, foreign_keys=[resident_id])
    assignee = relationship('User', foreign_keys=[assignee_id])
    first_response_by = relationship('User', foreign_keys=[first_response_by_id])
    messages = relationship('TicketMessage', back_populates='ticket', order_by='TicketMessage.id')
    events = relationship('TicketEvent', back_populates='ticket', order_by='TicketEvent.id')

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    def __repr__(self):
        return f'<Ticket {self.tracking_code} {self.status}>'


RESIDENT_MESSAGE, REPLY, NOTE = 'resident', 'reply', 'note'


class TicketMessage(db.Model):
    """What the resident wrote, what officers replied (public) and internal notes (never sent)."""

    __tablename__ = 'ticket_messages'
    __table_args__ = (sa.CheckConstraint("kind IN ('resident', 'reply', 'note')", name='kind'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey('tickets.id', ondelete='CASCADE'), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'))
    channel: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    #: The stored webhook payload a resident message came from.
    payload_id: Mapped[int | None] = mapped_column(sa.ForeignKey('inbound_payloads.id', ondelete='SET NULL'))
    #: Replies: the outbox row that carries it to the resident (its delivery status).
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey('outbox.id', ondelete='SET NULL'))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket = relationship(Ticket, back_populates='messages')
    author = relationship('User')
    attachments = relationship('Attachment', back_populates='message', order_by='Attachment.id')
    outbox = relationship('OutboxMessage')

    @property
    def is_public(self):
        return self.kind != NOTE


class TicketEvent(db.Model):
    """One line of a ticket's history: who did what when. Rows are only ever added."""

    __tablename__ = 'ticket_events'

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey('tickets.id', ondelete='CASCADE'), index=True)
    #: NULL when the system acted (intake, the sweep).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey('users.id'))
    action: Mapped[str] = mapped_column(sa.String(32))
    from_value: Mapped[str | None] = mapped_column(sa.String(200))
    to_value: Mapped[str | None] = mapped_column(sa.String(200))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket = relationship(Ticket, back_populates='events')
    actor = relationship('User')


PHOTO, FILE, LOCATION = 'photo', 'file', 'location'


class Attachment(db.Model):
    """A photo, file or location a resident sent with a message; files are stored under MEDIA_DIR."""

    __tablename__ = 'attachments'
    __table_args__ = (sa.CheckConstraint("kind IN ('photo', 'file', 'location')", name='kind'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey('tickets.id', ondelete='CASCADE'), index=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey('ticket_messages.id', ondelete='CASCADE'))
    kind: Mapped[str] = mapped_column(sa.String(16))
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    size_bytes: Mapped[int | None]
    #: Path relative to MEDIA_DIR, named by content hash.
    storage_key: Mapped[str | None] = mapped_column(sa.String(200))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket = relationship(Ticket)
    message = relationship(TicketMessage, back_populates='attachments')
