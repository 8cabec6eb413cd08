"""The OpenAPI document, generated from the routes and the marshmallow schemas they declare."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

_PARAM = re.compile(r'<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>')


def doc(summary, *, request=None, response=None, status=200, query=None, many=False, tag=None):
    """Describe a route for the OpenAPI document: its request and response schemas."""
    def decorator(view):
        view.openapi = {'summary': summary, 'request': request, 'response': response, 'status': status,
                        'query': query, 'many': many, 'tag': tag}
        return view
    return decorator


def _error_schema(spec):
    spec.components.schema('Error', {
        'type': 'object',
        'properties': {'error': {'type': 'object', 'properties': {
            'code': {'type': 'string'}, 'message': {'type': 'string'},
            'fields': {'type': 'object', 'additionalProperties': True}}}}})


def build_spec():
    """Walk the app's routes and build the document; a route without `@doc` is not part of the API."""
    spec = APISpec(title='Tanggap API', version='1.0.0', openapi_version='3.0.3',
                   plugins=[MarshmallowPlugin()],
                   info={'description': 'Citizen complaints with a 4-hour response deadline. Times are '
                                        'ISO 8601 with an offset; errors are {"error": {...}} with a 4xx status.'})
    spec.components.security_scheme('bearer', {'type': 'http', 'scheme': 'bearer'})
    _error_schema(spec)
    error_ref = {'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}}
    paths = {}
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions[rule.endpoint]
        meta = getattr(view, 'openapi', None)
        if meta is None:
            continue
        path = _PARAM.sub(lambda m: '{' + m.group('name') + '}', rule.rule)
        for method in sorted(rule.methods - {'HEAD', 'OPTIONS'}):
            operation = {'summary': meta['summary'], 'operationId': rule.endpoint.replace('.', '_'),
                         'responses': {'4XX': {'description': 'Error', **error_ref}}}
            if meta['tag']:
                operation['tags'] = [meta['tag']]
            params = [{'in': 'path', 'name': m.group('name'), 'required': True,
                       'schema': {'type': 'integer' if m.group('conv') == 'int' else 'string'}}
                      for m in _PARAM.finditer(rule.rule)]
            if meta['query'] is not None:
                params.append({'in': 'query', 'schema': meta['query']})
            if params:
                operation['parameters'] = params
            if meta['request'] is not None:
                operation['requestBody'] = {'required': True,
                                            'content': {'application/json': {'schema': meta['request']}}}
            response = {'description': 'OK'}
            if meta['response'] is not None:
                schema = meta['response']
                if meta['many']:
                    schema = {'type': 'array', 'items': schema}
                response['content'] = {'application/json': {'schema': schema}}
            operation['responses'][str(meta['status'])] = response
            roles = getattr(view, 'staff_roles', None)
            if roles:
                operation['security'] = [{'bearer': []}]
                operation['description'] = 'Roles: ' + ', '.join(roles)
            paths.setdefault(path, {})[method.lower()] = operation
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    return spec.to_dict()
