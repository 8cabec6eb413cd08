"""The staff web app and the public pages: server-rendered, in Bahasa Indonesia first, English second.

The pages call the same operations as the JSON API. Kept apart from the domain packages because what
it shares is the shell (sign-in, layout, language, CSRF), not a domain.
"""
from flask import request, session
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_wtf import CSRFProtect

LANGUAGES = ('id', 'en')

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def select_locale():
    """?lang= (remembered in the session), then the browser's preference; Indonesian by default."""
    chosen = request.args.get('lang')
    if chosen in LANGUAGES:
        session['lang'] = chosen
    return session.get('lang') or request.accept_languages.best_match(LANGUAGES, default='id')


def init_web(app):
    """Attach sign-in, CSRF, translations and the page blueprints to the app."""
    from accounts.models import User
    from core.extensions import db
    from web import auth, pages_admin, pages_public, pages_staff, pages_supervisor

    secure = app.config['PUBLIC_BASE_URL'].startswith('https://')
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE='Lax', SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE='Lax', REMEMBER_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE='id', BABEL_TRANSLATION_DIRECTORIES=str(app.root_path) + '/web/translations')
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = 'auth.login'
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None

    @app.context_processor
    def _locale():
        return {'current_locale': str(get_locale())}

    for blueprint in (auth.bp, pages_staff.bp, pages_supervisor.bp, pages_admin.bp, pages_public.bp):
        app.register_blueprint(blueprint)
    # The JSON API authenticates with bearer tokens, not cookies: CSRF does not apply to it.
    for name in ('public', 'staff', 'sla', 'core'):
        csrf.exempt(app.blueprints[name])
    for name in ('telegram', 'twilio'):
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
