"""Creating staff accounts, issuing and checking API tokens."""
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from accounts.models import ROLES, ApiToken, User
from core.errors import Conflict, Invalid, NotFound
from core.extensions import db
from core.phones import normalise_phone


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(*, email, password, role, agency, name=None, phone=None, telegram_chat_id=None,
                preferred_channel=None, now):
    """Create a staff account; the password is stored hashed."""
    email = (email or '').strip().lower()
    if '@' not in email:
        raise Invalid('Not an email address.', fields={'email': ['Not an email address.']})
    if role not in ROLES:
        raise Invalid(f'Role must be one of {", ".join(ROLES)}.', fields={'role': ['Unknown role.']})
    if not password or len(password) < 8:
        raise Invalid('Password must have at least 8 characters.',
                      fields={'password': ['At least 8 characters.']})
    if preferred_channel not in (None, 'telegram', 'whatsapp', 'sms', 'email'):
        raise Invalid('Preferred channel must be telegram, whatsapp, sms or email.',
                      fields={'preferred_channel': ['telegram, whatsapp, sms or email']})
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise Conflict(f'An account for {email} already exists.')
    user = User(email=email, name=name or email.split('@')[0], role=role, agency=agency,
                password_hash=generate_password_hash(password, method=_hash_method()),
                phone=normalise_phone(phone) if phone else None,
                telegram_chat_id=telegram_chat_id, preferred_channel=preferred_channel, created_dt=now)
    db.session.add(user)
    db.session.flush()
    return user


def _hash_method():
    from flask import current_app
    return current_app.config.get('PASSWORD_HASH_METHOD', 'scrypt')


def set_password(user, password):
    """Give the account a new password and lift any sign-in lock-out."""
    if not password or len(password) < 8:
        raise Invalid('Password must have at least 8 characters.',
                      fields={'password': ['At least 8 characters.']})
    user.password_hash = generate_password_hash(password, method=_hash_method())
    user.failed_logins = 0
    user.locked_until_dt = None
    db.session.flush()
    return user


def check_password(user, password):
    """True when `password` is the user's password."""
    return check_password_hash(user.password_hash, password)


def issue_token(user, *, now):
    """Create a new API token for `user`; returns the plaintext, which is not stored anywhere."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_hash_token(token), created_dt=now))
    db.session.flush()
    return token


def user_for_token(token, *, now):
    """The active user a bearer token belongs to, or None."""
    if not token:
        return None
    api_token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == _hash_token(token), ApiToken.revoked_dt.is_(None)))
    if api_token is None or not api_token.user.is_active:
        return None
    return api_token.user


def get_user_by_email(email):
    """The account with that email, or NotFound."""
    user = db.session.scalar(sa.select(User).where(User.email == (email or '').strip().lower()))
    if user is None:
        raise NotFound(f'No staff account {email}.')
    return user


#: Failed sign-ins before the account is locked, and for how long.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# Checked when the email is unknown, so both answers take as long (no account enumeration by timing).
_DUMMY_HASH = generate_password_hash('not-a-password', method='pbkdf2:sha256:1000')


class LockedOut(Exception):
    """Too many failed sign-ins; `until` says when the account opens again."""

    def __init__(self, until):
        super().__init__(f'locked until {until.isoformat()}')
        self.until = until


def sign_in(email, password, *, now):
    """The active account for these credentials, or None; raises LockedOut after repeated failures."""
    user = db.session.scalar(sa.select(User).where(User.email == (email or '').strip().lower()))
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password or '')
        return None
    if user.locked_until_dt is not None and user.locked_until_dt > now:
        raise LockedOut(user.locked_until_dt)
    if check_password(user, password or ''):
        user.failed_logins = 0
        user.locked_until_dt = None
        db.session.flush()
        return user
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.failed_logins = 0
        user.locked_until_dt = now + LOCKOUT
        db.session.flush()
        raise LockedOut(user.locked_until_dt)
    db.session.flush()
    return None
