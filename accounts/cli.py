"""The `users` commands."""
from flask.cli import AppGroup

users_cli = AppGroup('users', help='users commands')
