"""The `channels` commands: re-process stored payloads; provider set-up lives with each provider."""
import click
from flask.cli import AppGroup

from channels import intake
from core.timeutil import now_utc

channels_cli = AppGroup('channels', help='Messaging channels.')


def _add_provider_commands():
    # Each provider declares its own set-up commands next to its adapter.
    from channels.telegram import telegram_cli
    channels_cli.add_command(telegram_cli)


_add_provider_commands()


@channels_cli.command('reprocess')
@click.option('--id', 'payload_id', type=int, default=None, help='only this stored payload')
def reprocess(payload_id):
    """Process again the stored webhook payloads that failed (or one by id)."""
    payloads = intake.reprocess(now=now_utc(), payload_id=payload_id)
    for payload in payloads:
        click.echo(f'{payload.id} {payload.provider} {payload.external_id}: {payload.status}'
                   + (f' ({payload.error})' if payload.error else ''))
    click.echo(f'{len(payloads)} payload(s) processed again.')
