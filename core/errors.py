"""JSON errors: `{"error": {"code", "message", "fields"}}` with a 4xx status, for every failure."""
from flask import jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An error a client can act on; raised by operations and views, rendered as JSON."""

    status = 400
    code = 'bad_request'

    def __init__(self, message, *, code=None, status=None, fields=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields or {}


class NotFound(ApiError):
    status = 404
    code = 'not_found'


class Forbidden(ApiError):
    status = 403
    code = 'forbidden'


class Conflict(ApiError):
    status = 409
    code = 'conflict'


class Invalid(ApiError):
    status = 422
    code = 'invalid'


def error_response(status, code, message, fields=None):
    """Build the JSON error response used everywhere."""
    body = {'error': {'code': code, 'message': message, 'fields': fields or {}}}
    return jsonify(body), status


def register_error_handlers(app):
    """Make every error, including Flask's own 404/405/413, answer in the JSON shape."""

    @app.errorhandler(ApiError)
    def handle_api_error(exc):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc):
        messages = exc.messages if isinstance(exc.messages, dict) else {'_schema': exc.messages}
        return error_response(422, 'invalid', 'Some fields are missing or invalid.', messages)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc):
        code = (exc.name or 'error').lower().replace(' ', '_')
        return error_response(exc.code or 500, code, exc.description or exc.name)
