"""The `sla` commands: run a sweep, manage extra days off."""
from datetime import datetime
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from complaints.models import Agency
from core.extensions import db
from core.timeutil import now_utc
from sla import operations
from sla.models import ExtraDayOff

sla_cli = AppGroup('sla', help='Deadlines, the sweep, calendars.')


def parse_time(text):
    """ISO 8601; without an offset the time is read in the configured TIMEZONE."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f'{text!r} is not an ISO 8601 time such as 2026-11-23T14:30+07:00') from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(current_app.config['TIMEZONE']))
    return parsed


@sla_cli.command('sweep')
@click.option('--at', 'at', default=None, help='sweep as at this time (ISO 8601); default now')
def sweep_command(at):
    """One sweep: warnings, escalations, sanction records. Prints what it did."""
    now = parse_time(at) if at else now_utc()
    report = operations.sweep(now=now)
    db.session.commit()
    for line in report.lines:
        click.echo(line)
    click.echo(f'Sweep at {now.isoformat()}: {report.warnings} warning(s), {report.escalations} escalation(s), '
               f'{report.sanctions} sanction record(s), {report.resolution_breaches} resolution breach(es).')


@sla_cli.group('days-off')
def days_off():
    """Extra days off the national calendar lacks (regional decrees)."""


@days_off.command('add')
@click.argument('day', type=click.DateTime(formats=['%Y-%m-%d']))
@click.argument('name')
@click.option('--agency', 'agency_code', default=None, help='only for this agency (default: all)')
def add_day_off(day, name, agency_code):
    """Add a day off and recompute the deadlines of open tickets."""
    agency = None
    if agency_code:
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code.upper()))
        if agency is None:
            raise click.ClickException(f'No agency {agency_code}.')
    exists = db.session.scalar(sa.select(ExtraDayOff.id).where(
        ExtraDayOff.day == day.date(), ExtraDayOff.agency_id == (agency.id if agency else None)))
    if exists:
        raise click.ClickException(f'{day.date()} is already a day off.')
    db.session.add(ExtraDayOff(day=day.date(), name=name, agency_id=agency.id if agency else None))
    db.session.flush()
    count = operations.recompute_open_tickets(now=now_utc(), agency_id=agency.id if agency else None)
    db.session.commit()
    click.echo(f'{day.date()} ({name}) is a day off for {agency.code if agency else "every agency"}; '
               f'{count} open ticket(s) recomputed.')


@days_off.command('list')
def list_days_off():
    """List the extra days off."""
    rows = db.session.scalars(sa.select(ExtraDayOff).order_by(ExtraDayOff.day)).all()
    for row in rows:
        scope = db.session.get(Agency, row.agency_id).code if row.agency_id else 'all'
        click.echo(f'{row.day.isoformat()}  {scope:12}  {row.name}')
    if not rows:
        click.echo('No extra days off.')


