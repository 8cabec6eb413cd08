"""The application factory."""
import logging

from flask import Flask

from config import Settings


def create_app(**overrides):
    """Create the web app; refuses to start on a bad setting. Never starts the scheduler."""
    settings = Settings.from_env(**overrides)
    base_dir = __import__('config').BASE_DIR
    app = Flask('tanggap', instance_relative_config=True, root_path=str(base_dir),
                static_folder=str(base_dir / 'web' / 'static'), template_folder=str(base_dir / 'web' / 'templates'))
    app.config.from_mapping(settings.to_flask())
    app.json.sort_keys = False
    if app.config['SQLALCHEMY_DATABASE_URI'].startswith('sqlite:///'):
        import os
        os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    logging.getLogger('alembic.runtime.plugins').setLevel(logging.WARNING)

    from core.extensions import db, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=str(__import__('config').BASE_DIR / 'migrations'))
    _configure_sqlite(app)

    from core.errors import register_error_handlers
    register_error_handlers(app)

    from core import models_registry  # noqa: F401  (every model known to Alembic and the mapper)
    from complaints.views import public_bp, staff_bp
    from sla.views import bp as sla_bp
    from core.views import bp as core_bp
    from channels.telegram import telegram_bp
    from channels.twilio import twilio_bp
    # Before init_web: the provider webhooks authenticate by signature or secret and are exempt from CSRF.
    for blueprint in (core_bp, public_bp, staff_bp, sla_bp, telegram_bp, twilio_bp):
        app.register_blueprint(blueprint)

    from web import init_web
    init_web(app)

    from accounts.cli import users_cli
    from channels.cli import channels_cli
    from complaints.cli import seed_cli
    from notifications.cli import notifications_cli
    from sla.cli import sla_cli
    from core.scheduler import scheduler_command
    for group in (users_cli, seed_cli, notifications_cli, sla_cli, channels_cli):
        app.cli.add_command(group)
    app.cli.add_command(scheduler_command)
    return app


def _configure_sqlite(app):
    # SQLite needs foreign keys switched on per connection, and a busy timeout so the scheduler and
    # the web process can share the embedded database without "database is locked".
    from sqlalchemy import event

    from core.extensions import db
    if not app.config['SQLALCHEMY_DATABASE_URI'].startswith('sqlite'):
        return
    with app.app_context():
        @event.listens_for(db.engine, 'connect')
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute('PRAGMA foreign_keys=ON')
            cursor.execute('PRAGMA busy_timeout=10000')
            cursor.close()
            # Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINTs and rollbacks behave as on PostgreSQL.
            dbapi_connection.isolation_level = None

        @event.listens_for(db.engine, 'begin')
        def _on_begin(connection):
            connection.exec_driver_sql('BEGIN')
