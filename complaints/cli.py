"""The `seed` commands."""
from flask.cli import AppGroup

seed_cli = AppGroup('seed', help='seed commands')
