"""Supervisor API: escalations and sanction records."""
from flask import Blueprint

bp = Blueprint('sla', __name__, url_prefix='/api/v1')
