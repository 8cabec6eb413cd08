"""Public intake and the officer API."""
from flask import Blueprint

public_bp = Blueprint('public', __name__, url_prefix='/api/v1')
staff_bp = Blueprint('staff', __name__, url_prefix='/api/v1')
