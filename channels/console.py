"""The console adapter: writes messages to the log instead of sending them (development and tests)."""
import logging

from channels.base import ChannelAdapter, SendResult, register

logger = logging.getLogger(__name__)


@register
class ConsoleAdapter(ChannelAdapter):
    """Logs each message and reports it delivered."""

    name = 'console'

    def send(self, message):
        """Write the message to the log."""
        logger.info('To %s via %s: %s', message.address, message.channel, message.body)
        return SendResult(provider_message_id=f'console-{message.outbox_id}')
