"""The `sla` commands."""
from flask.cli import AppGroup

sla_cli = AppGroup('sla', help='sla commands')
