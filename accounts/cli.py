"""The `users` commands: create staff accounts and print API tokens."""
import click
import sqlalchemy as sa
from flask.cli import AppGroup

from accounts import operations
from accounts.models import ROLES
from complaints.models import Agency
from core.errors import ApiError
from core.extensions import db
from core.timeutil import now_utc

users_cli = AppGroup('users', help='Staff accounts.')


@users_cli.command('create')
@click.option('--email', required=True)
@click.option('--password', required=True)
@click.option('--role', required=True, type=click.Choice(ROLES))
@click.option('--agency', 'agency_code', required=True, help='agency code, e.g. DINSOS')
@click.option('--name', default=None)
@click.option('--phone', default=None, help='+62... for WhatsApp/SMS alerts')
@click.option('--telegram-chat-id', type=int, default=None)
@click.option('--channel', 'preferred_channel', type=click.Choice(['telegram', 'whatsapp', 'sms', 'email']),
              default=None, help='where alerts go first')
def create(email, password, role, agency_code, name, phone, telegram_chat_id, preferred_channel):
    """Create a staff account."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        codes = ', '.join(db.session.scalars(sa.select(Agency.code).order_by(Agency.code)))
        raise click.ClickException(f'No agency {agency_code}; known agencies: {codes or "none (run seed demo)"}')
    try:
        user = operations.create_user(email=email, password=password, role=role, agency=agency, name=name,
                                      phone=phone, telegram_chat_id=telegram_chat_id,
                                      preferred_channel=preferred_channel, now=now_utc())
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f'Created {user.role} {user.email} in {agency.code}')


@users_cli.command('token')
@click.argument('email')
def token(email):
    """Print a new API token for the account (on the last line)."""
    try:
        user = operations.get_user_by_email(email)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    plaintext = operations.issue_token(user, now=now_utc())
    db.session.commit()
    click.echo(f'New API token for {user.email} ({user.role}, {user.agency.code}); it is shown only once:')
    click.echo(plaintext)
