"""Typed settings read from the environment and checked before the app starts."""
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which variable to set and how."""


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, '') else value


def _int(name, default):
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f'{name} must be a whole number, got {raw!r}') from None


@dataclass
class Settings:
    """Every setting the app reads; `to_flask()` gives the Flask config mapping."""

    SECRET_KEY: str = 'dev-secret-key-change-me'
    SQLALCHEMY_DATABASE_URI: str = ''
    TIMEZONE: str = 'Asia/Jakarta'
    #: How residents' messages name the service ("layanan pengaduan Kota Sukamaju").
    CITY_NAME: str = 'Kota Sukamaju'
    PUBLIC_BASE_URL: str = 'http://127.0.0.1:5000'
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_SMS_FROM: str | None = None
    TWILIO_WHATSAPP_FROM: str | None = None
    TWILIO_API_BASE_URL: str = 'https://api.twilio.com'
    TELEGRAM_BOT_TOKEN: str | None = None
    TELEGRAM_WEBHOOK_SECRET: str | None = None
    TELEGRAM_API_BASE_URL: str = 'https://api.telegram.org/bot'
    #: Delivery attempts before an outbox row is dead-lettered.
    OUTBOX_MAX_ATTEMPTS: int = 8
    #: First retry delay in seconds; doubles with each failed attempt.
    OUTBOX_BACKOFF_SECONDS: int = 30
    OUTBOX_BACKOFF_MAX_SECONDS: int = 3600
    #: Which adapter (channels/*.py, by name) delivers each channel. Only the console adapter ships so
    #: far, so every channel goes to the log; the next issue maps sms/whatsapp, telegram and email to
    #: their real adapters when their credentials are set.
    CHANNEL_ADAPTERS: dict = field(default_factory=dict)
    #: Approved WhatsApp template (ContentSid HX...) used outside the 24-hour window; its variables are
    #: {{1}} the tracking code and {{2}} the message. Without it, such messages fall back to SMS.
    TWILIO_WHATSAPP_TEMPLATE_SID: str | None = None
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM: str = 'tanggap@localhost'
    SMTP_STARTTLS: bool = True
    #: Attachments residents send: largest size kept, and the types accepted.
    MEDIA_MAX_BYTES: int = 5 * 1024 * 1024
    MEDIA_TYPES: tuple = ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf')
    #: Where fetched attachments are stored (default: instance/media).
    MEDIA_DIR: str = ''
    #: Category of complaints that arrive by message before the resident picks one (triage).
    TRIAGE_CATEGORY: str = 'umum'
    #: How often an open inbox asks whether new tickets arrived.
    INBOX_POLL_SECONDS: int = 20
    #: Request bodies larger than this are refused with 413.
    MAX_CONTENT_LENGTH: int = 1024 * 1024
    TESTING: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides):
        """Read the environment; `overrides` (used by tests) win over it."""
        default_db = 'sqlite:///' + str(BASE_DIR / 'instance' / 'tanggap.db')
        settings = cls(
            SECRET_KEY=_env('SECRET_KEY', cls.SECRET_KEY),
            SQLALCHEMY_DATABASE_URI=_normalise_db_url(_env('DATABASE_URL', default_db)),
            TIMEZONE=_env('TIMEZONE', cls.TIMEZONE),
            CITY_NAME=_env('CITY_NAME', cls.CITY_NAME),
            PUBLIC_BASE_URL=_env('PUBLIC_BASE_URL', cls.PUBLIC_BASE_URL).rstrip('/'),
            TWILIO_ACCOUNT_SID=_env('TWILIO_ACCOUNT_SID'),
            TWILIO_AUTH_TOKEN=_env('TWILIO_AUTH_TOKEN'),
            TWILIO_SMS_FROM=_env('TWILIO_SMS_FROM'),
            TWILIO_WHATSAPP_FROM=_env('TWILIO_WHATSAPP_FROM'),
            TWILIO_API_BASE_URL=_env('TWILIO_API_BASE_URL', cls.TWILIO_API_BASE_URL).rstrip('/'),
            TELEGRAM_BOT_TOKEN=_env('TELEGRAM_BOT_TOKEN'),
            TELEGRAM_WEBHOOK_SECRET=_env('TELEGRAM_WEBHOOK_SECRET'),
            TELEGRAM_API_BASE_URL=_env('TELEGRAM_API_BASE_URL', cls.TELEGRAM_API_BASE_URL),
            OUTBOX_MAX_ATTEMPTS=_int('OUTBOX_MAX_ATTEMPTS', cls.OUTBOX_MAX_ATTEMPTS),
            OUTBOX_BACKOFF_SECONDS=_int('OUTBOX_BACKOFF_SECONDS', cls.OUTBOX_BACKOFF_SECONDS),
            OUTBOX_BACKOFF_MAX_SECONDS=_int('OUTBOX_BACKOFF_MAX_SECONDS', cls.OUTBOX_BACKOFF_MAX_SECONDS),
            MAX_CONTENT_LENGTH=_int('MAX_CONTENT_LENGTH', cls.MAX_CONTENT_LENGTH),
            TWILIO_WHATSAPP_TEMPLATE_SID=_env('TWILIO_WHATSAPP_TEMPLATE_SID'),
            SMTP_HOST=_env('SMTP_HOST'),
            SMTP_PORT=_int('SMTP_PORT', cls.SMTP_PORT),
            SMTP_USER=_env('SMTP_USER'),
            SMTP_PASSWORD=_env('SMTP_PASSWORD'),
            SMTP_FROM=_env('SMTP_FROM', cls.SMTP_FROM),
            SMTP_STARTTLS=_env('SMTP_STARTTLS', 'true').lower() in ('1', 'true', 'yes'),
            MEDIA_MAX_BYTES=_int('MEDIA_MAX_BYTES', cls.MEDIA_MAX_BYTES),
            MEDIA_DIR=_env('MEDIA_DIR', str(BASE_DIR / 'instance' / 'media')),
            TRIAGE_CATEGORY=_env('TRIAGE_CATEGORY', cls.TRIAGE_CATEGORY),
        )
        for key, value in overrides.items():
            if key in {f.name for f in fields(cls)}:
                setattr(settings, key, value)
            else:
                settings.extra[key] = value
        if not settings.CHANNEL_ADAPTERS:
            settings.CHANNEL_ADAPTERS = settings.default_adapters()
        settings.validate()
        return settings

    def default_adapters(self):
        """Real adapters for the providers that are configured; the console (the log) for the rest."""
        adapters = dict.fromkeys(('sms', 'whatsapp', 'telegram', 'email', 'console', 'web'), 'console')
        if self.TWILIO_ACCOUNT_SID:
            if self.TWILIO_SMS_FROM:
                adapters['sms'] = 'twilio'
            if self.TWILIO_WHATSAPP_FROM:
                adapters['whatsapp'] = 'twilio'
        if self.TELEGRAM_BOT_TOKEN:
            adapters['telegram'] = 'telegram'
        if self.SMTP_HOST:
            adapters['email'] = 'email'
        return adapters

    def validate(self):
        """Refuse a configuration that cannot work, saying what to set."""
        try:
            ZoneInfo(self.TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f'TIMEZONE={self.TIMEZONE!r} is not a known timezone; '
                              'set it to Asia/Jakarta, Asia/Makassar or Asia/Jayapura') from None
        if bool(self.TWILIO_ACCOUNT_SID) != bool(self.TWILIO_AUTH_TOKEN):
            raise ConfigError('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together: set both or neither')
        if self.TWILIO_ACCOUNT_SID and not (self.TWILIO_SMS_FROM or self.TWILIO_WHATSAPP_FROM):
            raise ConfigError('Twilio is configured but has no sender: set TWILIO_SMS_FROM and/or '
                              'TWILIO_WHATSAPP_FROM')
        if self.TELEGRAM_BOT_TOKEN and not self.TELEGRAM_WEBHOOK_SECRET:
            raise ConfigError('TELEGRAM_BOT_TOKEN is set without TELEGRAM_WEBHOOK_SECRET; set a secret of '
                              '1-256 characters A-Z a-z 0-9 _ -')
        if not self.SQLALCHEMY_DATABASE_URI.startswith(('sqlite:', 'postgresql')):
            raise ConfigError('DATABASE_URL must be sqlite:///path or postgresql://user@host/db')
        if not self.PUBLIC_BASE_URL.startswith(('http://', 'https://')):
            raise ConfigError('PUBLIC_BASE_URL must start with http:// or https://')
        if self.OUTBOX_MAX_ATTEMPTS < 1:
            raise ConfigError('OUTBOX_MAX_ATTEMPTS must be at least 1')
        is_production = not self.TESTING and self.SQLALCHEMY_DATABASE_URI.startswith('postgresql')
        if is_production and self.SECRET_KEY == Settings.SECRET_KEY:
            raise ConfigError('SECRET_KEY is the development default; set SECRET_KEY to a long random '
                              'string (python -c "import secrets; print(secrets.token_hex(32))")')

    def to_flask(self):
        """The mapping handed to `app.config`."""
        mapping = {f.name: getattr(self, f.name) for f in fields(self) if f.name != 'extra'}
        mapping.update(self.extra)
        mapping['SQLALCHEMY_ENGINE_OPTIONS'] = {'pool_pre_ping': True}
        mapping['JSON_SORT_KEYS'] = False
        return mapping


def _normalise_db_url(url):
    # Heroku-style and plain postgresql:// URLs are both common; the driver installed is psycopg 3.
    if url.startswith('postgres://'):
        url = 'postgresql://' + url[len('postgres://'):]
    if url.startswith('postgresql://'):
        url = 'postgresql+psycopg://' + url[len('postgresql://'):]
    return url
