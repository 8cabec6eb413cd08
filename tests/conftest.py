"""Shared fixtures: the app on SQLite (or TEST_DATABASE_URL), a rolled-back session per test,
a frozen clock, factories, and a guard that fails any test reaching beyond loopback."""
import ipaddress
import os
import socket
from datetime import datetime, timezone

import pytest
from flask import g
import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401

from core import create_app
from core import timeutil
from core.extensions import db as _db

#: Fake Telegram, Twilio and SMTP servers on loopback, as fixtures for every test.
pytest_plugins = ['tests.fakes.telegram', 'tests.fakes.twilio', 'tests.fakes.smtp']

#: Monday 2026-11-23 09:00 WIB: a working morning, the default frozen time.
DEFAULT_NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def _database_url(tmp_path_factory):
    url = os.environ.get('TEST_DATABASE_URL')
    if url:
        return url
    return 'sqlite:///' + str(tmp_path_factory.mktemp('db') / 'test.db')


@pytest.fixture(scope='session')
def app(tmp_path_factory):
    """The app with a freshly migrated schema (through Alembic, as in production)."""
    from flask_migrate import upgrade
    url = _database_url(tmp_path_factory)
    # A cheap password hash keeps factories fast; production uses scrypt.
    app = create_app(TESTING=True, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY='test-secret',
                     PASSWORD_HASH_METHOD='pbkdf2:sha256:1000')
    # Test-client requests reuse the test's app context; a signed-in user must not outlive its request.
    @app.before_request
    def _forget_previous_user():
        g.pop('_login_user', None)

    with app.app_context():
        if _db.engine.dialect.name == 'postgresql':
            with _db.engine.begin() as conn:
                conn.execute(sa.text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))
        upgrade()
    yield app


def _app_ctx_id():
    from flask.globals import app_ctx
    return id(app_ctx._get_current_object())


@pytest.fixture
def db(app):
    """A session whose commits land in savepoints of one transaction, rolled back after the test."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        # A plain Session: Flask-SQLAlchemy's own ignores `bind` and would reach the engine directly.
        factory = sa.orm.sessionmaker(bind=connection, join_transaction_mode='create_savepoint')
        _db.session = sa.orm.scoped_session(factory, scopefunc=_app_ctx_id)
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def committed_db(app):
    """Real commits, visible to other connections and threads; every table emptied afterwards.

    Objects stay readable after a commit without a new query: on SQLite an idle read transaction in the
    test would otherwise keep a live server's writes waiting on the lock.
    """
    with app.app_context():
        _db.session.remove()
        _db.session.configure(expire_on_commit=False)
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session.configure(expire_on_commit=True)
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture(autouse=True)
def clock():
    """Freeze `now_utc()`; move it with `clock.set(dt)` or `clock.advance(timedelta)`."""
    class Clock:
        def __init__(self):
            self.now = DEFAULT_NOW
            timeutil.freeze_time(self.now)

        def set(self, dt):
            self.now = timeutil.ensure_utc(dt)
            timeutil.freeze_time(self.now)
            return self.now

        def advance(self, delta):
            return self.set(self.now + delta)

    clock = Clock()
    yield clock
    timeutil.freeze_time(None)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Fail any test that connects anywhere but loopback or a local socket."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                is_local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                is_local = host == 'localhost'
            if not is_local:
                raise RuntimeError(f'test tried to reach the network: {address!r}')
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, 'connect', guarded_connect)


@pytest.fixture
def make(db, clock):
    """Factories that build rows through the same operations the app uses (rolled back after the test)."""
    return _factories(db, clock)


@pytest.fixture
def make_committed(committed_db, clock):
    """The same factories on `committed_db`, for tests that need other connections to see the rows."""
    return _factories(committed_db, clock)


def _factories(db, clock):
    from accounts.operations import create_user, issue_token
    from complaints.models import Agency, Category
    from complaints.operations import file_complaint

    class Make:
        counter = 0

        def _next(self):
            Make.counter += 1
            return Make.counter

        def agency(self, code=None, *, timezone='Asia/Jakarta', staffed=True):
            """An agency; staffed: with a head (supervisor), a duty officer and a second officer."""
            code = code or f'OPD{self._next()}'
            agency = Agency(code=code, name=f'Dinas Uji {code}', timezone=timezone)
            db.session.add(agency)
            db.session.flush()
            if staffed:
                agency.head = self.user(agency, 'supervisor', name=f'Kepala {code}')
                agency.duty_officer = self.user(agency, 'officer', name=f'Piket {code}')
                self.user(agency, 'officer', name=f'Petugas {code}')
                db.session.flush()
            return agency

        def user(self, agency, role='officer', *, email=None, name=None, phone=None):
            n = self._next()
            return create_user(email=email or f'{role}{n}@{agency.code.lower()}.example', password='rahasia123',
                               role=role, agency=agency, name=name or f'{role.title()} {n}', phone=phone,
                               now=clock.now)

        def category(self, agency, code=None, *, window_minutes=240, clock='wall', resolution_days=3):
            category = Category(code=code or f'kategori-{self._next()}', agency=agency, name_id='Kategori uji',
                                name_en='Test category', response_window_minutes=window_minutes, clock=clock,
                                resolution_days=resolution_days)
            db.session.add(category)
            db.session.flush()
            return category

        def ticket(self, category, *, description='Lampu jalan di depan rumah saya mati sejak kemarin.',
                   phone='+6281200001234', **kwargs):
            return file_complaint(category=category, description=description, phone=phone, now=clock.now,
                                  **kwargs)

        def headers(self, user):
            return {'Authorization': f'Bearer {issue_token(user, now=clock.now)}'}

    return Make()
