"""The `notifications` commands: run the dispatcher, look at the outbox, retry dead letters."""
import logging
import time

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.errors import ApiError
from core.extensions import db
from core.timeutil import now_utc
from notifications import operations
from notifications.models import DEAD, DELIVERED, PENDING, OutboxMessage

logger = logging.getLogger(__name__)

notifications_cli = AppGroup('notifications', help='The outbox: deliver, list, retry.')

#: Seconds between passes of `notifications dispatch` without --once.
POLL_SECONDS = 5


def _summary(counts):
    return f'delivered {counts["delivered"]}, retried {counts["retried"]}, dead-lettered {counts["dead"]}'


@notifications_cli.command('dispatch')
@click.option('--once', is_flag=True, help='one pass, then exit (default: every 5 s until Ctrl-C)')
def dispatch_command(once):
    """Deliver due outbox messages."""
    if once:
        click.echo(_summary(operations.dispatch_due(now=now_utc())))
        return
    click.echo(f'Dispatching every {POLL_SECONDS} s; Ctrl-C to stop.')
    try:
        while True:
            try:
                counts = operations.dispatch_due(now=now_utc())
            except Exception:
                # A database hiccup should not stop delivery; the next pass tries again.
                logger.exception('Outbox dispatch pass failed')
                db.session.remove()
            else:
                if any(counts.values()):
                    click.echo(_summary(counts))
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        click.echo('Stopped.')


@notifications_cli.command('list')
@click.option('--status', type=click.Choice([PENDING, DELIVERED, DEAD]), default=None,
              help='only rows in this state (default: all)')
@click.option('--limit', default=50, show_default=True, help='newest rows first, at most this many')
def list_command(status, limit):
    """List outbox messages: id, status, channel, address, attempts, last error."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = db.session.scalars(query).all()
    if not rows:
        click.echo('No messages.')
        return
    click.echo(f'{"id":>6}  {"status":9}  {"channel":9}  {"address":30}  {"tries":>5}  last error')
    for row in rows:
        click.echo(f'{row.id:>6}  {row.status:9}  {row.channel:9}  {row.address:30}  {row.attempts:>5}  '
                   f'{row.last_error or ""}')


@notifications_cli.command('retry')
@click.argument('outbox_id', type=int)
def retry_command(outbox_id):
    """Put a dead-lettered message back in the queue."""
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None:
        raise click.ClickException(f'No outbox message {outbox_id}.')
    try:
        operations.retry(message, now=now_utc())
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    address = message.address
    db.session.commit()
    click.echo(f'Message {outbox_id} to {address} is pending again.')
