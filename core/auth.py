"""Bearer-token authentication and role checks for the staff API."""
from functools import wraps

from flask import g, request

from core.errors import ApiError, Forbidden
from core.timeutil import now_utc


class Unauthorized(ApiError):
    status = 401
    code = 'unauthorized'


def staff_required(*roles):
    """Require a valid `Authorization: Bearer <token>`; with `roles`, one of those roles."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from accounts.operations import user_for_token
            header = request.headers.get('Authorization', '')
            scheme, _, token = header.partition(' ')
            user = user_for_token(token.strip(), now=now_utc()) if scheme.lower() == 'bearer' else None
            if user is None:
                raise Unauthorized('Send a valid staff token: Authorization: Bearer <token> '
                                   '(flask --app wsgi users token EMAIL prints one).')
            if roles and user.role not in roles:
                raise Forbidden(f'This needs the role {" or ".join(roles)}.')
            g.user = user
            return view(*args, **kwargs)
        wrapper.staff_roles = roles or ('officer', 'supervisor', 'admin')
        return wrapper
    return decorator
