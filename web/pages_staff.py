"""Officer pages: the inbox and the ticket page."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint('pages', __name__, url_prefix='/petugas')


@bp.get('/')
@login_required
def inbox():
    """The officer inbox."""
    return render_template('staff/inbox.html')
