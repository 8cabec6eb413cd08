"""Administration: agencies, categories, staff, office hours, extra days off; every change audited."""
from flask import Blueprint

bp = Blueprint('admin', __name__, url_prefix='/admin')
