"""Helpers shared by the JSON views: reading a JSON body through a schema, paging."""
from flask import request

from core.errors import ApiError


def load_json(schema):
    """The request's JSON object loaded through `schema`; 400 on a body that is not a JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError('Send a JSON object with Content-Type: application/json.', code='invalid_json')
    return schema.load(data)


def load_query(schema):
    """The query string loaded through `schema`."""
    return schema.load(request.args.to_dict())
