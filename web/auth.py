"""Staff sign-in and sign-out, with a lock-out after repeated failures."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from accounts.operations import LockedOut, sign_in
from core.extensions import db
from core.timeutil import now_utc
from notifications.templates import format_local
from web import select_locale

bp = Blueprint('auth', __name__, template_folder='templates')


class SignInForm(FlaskForm):
    email = EmailField('Email', validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField('Kata sandi', validators=[DataRequired(), Length(max=200)])
    remember = BooleanField('Ingat saya')


def home_for(user):
    """Where a member of staff lands after signing in."""
    if user.role in ('supervisor', 'admin'):
        return url_for('supervisor.desk')
    return url_for('pages.inbox')


@bp.route('/masuk', methods=['GET', 'POST'])
def login():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        now = now_utc()
        try:
            user = sign_in(form.email.data, form.password.data, now=now)
        except LockedOut as exc:
            db.session.commit()
            flash(_('Terlalu banyak percobaan gagal. Coba lagi setelah %(time)s.',
                    time=format_local(exc.until, 'Asia/Jakarta', select_locale())), 'error')
            return render_template('auth/login.html', form=form), 429
        db.session.commit()
        if user is None:
            flash(_('Email atau kata sandi salah.'), 'error')
            return render_template('auth/login.html', form=form), 401
        login_user(user, remember=form.remember.data)
        target = request.args.get('next', '')
        # Only local paths: an open redirect would let a phishing link borrow our sign-in page.
        if not target.startswith('/') or target.startswith('//'):
            target = home_for(user)
        return redirect(target)
    return render_template('auth/login.html', form=form), 400 if request.method == 'POST' else 200


@bp.post('/keluar')
@login_required
def logout():
    """Sign out (a POST with the CSRF token, so a link elsewhere cannot sign anyone out)."""
    logout_user()
    flash(_('Anda telah keluar.'), 'info')
    return redirect(url_for('auth.login'))
