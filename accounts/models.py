"""Staff accounts and API tokens (only a hash of each token is stored)."""
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime

OFFICER, SUPERVISOR, ADMIN = 'officer', 'supervisor', 'admin'
ROLES = (OFFICER, SUPERVISOR, ADMIN)


class User(UserMixin, db.Model):
    """A member of staff of one agency."""

    __tablename__ = 'users'
    __table_args__ = (sa.CheckConstraint(sa.column('role').in_(ROLES), name='role'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey('agencies.id'), index=True)
    #: E.164, for WhatsApp/SMS alerts.
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    telegram_chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: Where alerts go first (telegram, whatsapp, sms, email); the others follow when it fails.
    preferred_channel: Mapped[str | None] = mapped_column(sa.String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Failed sign-ins in a row; at the limit the account is locked until `locked_until_dt`.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default='0')
    locked_until_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    agency = relationship('Agency', foreign_keys=[agency_id], back_populates='staff')

    @property
    def is_admin(self):
        return self.role == ADMIN

    @property
    def is_supervisor(self):
        return self.role == SUPERVISOR

    def __repr__(self):
        return f'<User {self.email} {self.role}>'


class ApiToken(db.Model):
    """A bearer token; the plaintext is shown once and only its SHA-256 is kept."""

    __tablename__ = 'api_tokens'

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship(User)
