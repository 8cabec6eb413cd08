"""The supervisor desk: escalations, sanction records, compliance, exports."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint('supervisor', __name__, url_prefix='/supervisor')


@bp.get('/')
@login_required
def desk():
    """The supervisor desk."""
    return render_template('supervisor/desk.html')
