"""The email adapter: staff alerts (and residents who gave only an email) over SMTP."""
import smtplib
import socket
from email.message import EmailMessage
from email.utils import make_msgid

from channels.base import ChannelAdapter, DeliveryError, SendResult, register


@register
class EmailAdapter(ChannelAdapter):
    """Sends one plain-text email per message through the configured SMTP server."""

    name = 'email'

    def send(self, message):
        """Deliver by SMTP; a refused recipient is permanent, anything else is retried."""
        config = self.config
        email = EmailMessage()
        email['From'] = config['SMTP_FROM']
        email['To'] = message.address
        email['Subject'] = message.subject or (f'Tanggap {message.ticket_code}' if message.ticket_code else 'Tanggap')
        message_id = make_msgid(domain=config['SMTP_FROM'].rpartition('@')[2] or 'tanggap')
        email['Message-ID'] = message_id
        email.set_content(message.body)
        try:
            with smtplib.SMTP(config['SMTP_HOST'], config['SMTP_PORT'], timeout=15) as smtp:
                if config['SMTP_STARTTLS']:
                    smtp.starttls()
                if config['SMTP_USER']:
                    smtp.login(config['SMTP_USER'], config['SMTP_PASSWORD'] or '')
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f'recipient refused: {exc.recipients}', permanent=True) from exc
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise DeliveryError(f'SMTP: {exc}') from exc
        return SendResult(provider_message_id=message_id.strip('<>')[:64])
