"""Staff pages: the officer inbox, the ticket page, the supervisor desk."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint('pages', __name__, url_prefix='/petugas')


@bp.get('/')
@login_required
def inbox():
    """The officer inbox."""
    return render_template('staff/inbox.html')


@bp.get('/supervisor')
@login_required
def desk():
    """The supervisor desk."""
    return render_template('staff/desk.html')
