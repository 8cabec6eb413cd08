"""Health check and the OpenAPI document."""
import sqlalchemy as sa
from flask import Blueprint, jsonify

from core.errors import error_response
from core.extensions import db

bp = Blueprint('core', __name__)


@bp.get('/healthz')
def healthz():
    """200 when the database answers."""
    try:
        db.session.execute(sa.text('SELECT 1'))
    except sa.exc.SQLAlchemyError:
        return error_response(503, 'database_unavailable', 'The database does not answer.')
    return jsonify(status='ok')


@bp.get('/api/v1/openapi.json')
def openapi():
    """The OpenAPI document, generated from the routes and their marshmallow schemas."""
    from core.openapi import build_spec
    return jsonify(build_spec())
