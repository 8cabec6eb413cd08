"""Public pages: the complaint form and the tracking page; they work without JavaScript."""
from flask import Blueprint, render_template

bp = Blueprint('public_pages', __name__)


@bp.get('/')
def home():
    """The complaint form."""
    return render_template('public/home.html')
