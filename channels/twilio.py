"""Twilio, for SMS and WhatsApp: the outbound adapter, the inbound parser and media fetcher, and the webhooks.

The `twilio` SDK is imported only here. Inbound messages are stored and handled by `channels.intake`;
replies go through the outbox, so the webhook answers with an empty TwiML response.
"""
import json
import logging
import time
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Blueprint, Response, current_app, request
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from channels import intake
from channels.base import ChannelAdapter, DeliveryError, SendResult, register
from channels.inbound import InboundMessage, Media, MediaError, MediaTooLarge
from core.errors import error_response
from core.extensions import db
from core.timeutil import now_utc

logger = logging.getLogger(__name__)
# The SDK logs every API request's headers at INFO, which the app's INFO logging would print for each
# message sent; keep it to warnings unless a deployment configured that logger itself.
if logging.getLogger('twilio.http_client').level == logging.NOTSET:
    logging.getLogger('twilio.http_client').setLevel(logging.WARNING)

WHATSAPP_PREFIX = 'whatsapp:'
#: Twilio's own API host; any other TWILIO_API_BASE_URL (a fake on loopback) disables edge/region rewriting.
DEFAULT_API_BASE_URL = 'https://api.twilio.com'
STATUS_CALLBACK_PATH = '/channels/twilio/status'
#: Seconds to wait for Twilio to accept a message; the SDK's default is to wait forever.
SEND_TIMEOUT_SECONDS = 15
#: For the whole download: requests' own timeout applies to each connect and read, not to the total.
MEDIA_TIMEOUT_SECONDS = 10
#: Twilio allows at most 10 media per message; the cap keeps a malformed NumMedia from looping long.
_MAX_MEDIA = 10
#: Client errors that say nothing about the message itself (credentials, account, rate): worth retrying,
#: so that fixing the deployment lets the queued messages through.
_RETRYABLE_CLIENT_ERRORS = {401, 403, 404, 408, 409, 425, 429}
#: How much of the message goes into the template's {{2}}: template variables are length-limited, and the
#: template's own text counts towards WhatsApp's limit for the whole message.
_TEMPLATE_BODY_LIMIT = 900


# -- outbound ----------------------------------------------------------------------------------------

@register
class TwilioAdapter(ChannelAdapter):
    """Sends SMS and WhatsApp messages through Twilio's Messages API."""

    name = 'twilio'
    channels = ('sms', 'whatsapp')

    def __init__(self, config):
        super().__init__(config)
        if not (config.get('TWILIO_ACCOUNT_SID') and config.get('TWILIO_AUTH_TOKEN')):
            # A deployment mistake, not a property of the message: retryable once it is fixed.
            raise DeliveryError('Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN')
        self.client = make_client(config)

    def send(self, message):
        """Create the message at Twilio; returns its MessageSid."""
        if message.channel not in self.channels:
            raise DeliveryError(f'Twilio does not deliver the {message.channel!r} channel', permanent=True)
        params = self._params(message)
        try:
            created = self.client.messages.create(**params)
        except TwilioException as exc:
            raise _delivery_error(exc) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f'Twilio could not be reached: {type(exc).__name__}: {exc}') from exc
        logger.info('Outbox message %s accepted by Twilio as %s', message.outbox_id, created.sid)
        return SendResult(provider_message_id=created.sid)

    def _params(self, message):
        config = self.config
        address = _without_prefix(message.address)
        params = {'status_callback': config['PUBLIC_BASE_URL'].rstrip('/') + STATUS_CALLBACK_PATH}
        if message.channel == 'sms':
            sender = _setting(config, 'TWILIO_SMS_FROM')
            return {**params, 'from_': sender, 'to': address, 'body': message.body}
        sender = WHATSAPP_PREFIX + _without_prefix(_setting(config, 'TWILIO_WHATSAPP_FROM'))
        params.update(from_=sender, to=WHATSAPP_PREFIX + address)
        if message.window_open is False:
            # More than 24 hours since the resident last wrote: WhatsApp takes only approved templates.
            template_sid = config.get('TWILIO_WHATSAPP_TEMPLATE_SID')
            if not template_sid:
                raise DeliveryError('outside the WhatsApp 24-hour window and no approved template', permanent=True)
            variables = {'1': message.ticket_code or '-', '2': message.body[:_TEMPLATE_BODY_LIMIT]}
            return {**params, 'content_sid': template_sid, 'content_variables': json.dumps(variables)}
        return {**params, 'body': message.body}


def make_client(config):
    """A `twilio.rest.Client` for the configured account, pointed at TWILIO_API_BASE_URL."""
    client = Client(config['TWILIO_ACCOUNT_SID'], config['TWILIO_AUTH_TOKEN'],
                    http_client=TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS))
    base_url = (config.get('TWILIO_API_BASE_URL') or DEFAULT_API_BASE_URL).rstrip('/')
    # The SDK has no base-URL option; the Api domain's `base_url` is a plain attribute read on each request.
    client.api.base_url = base_url
    if base_url != DEFAULT_API_BASE_URL:
        # TWILIO_EDGE / TWILIO_REGION make the SDK rewrite the host name, which only makes sense for Twilio's.
        client.edge = client.region = None
    return client


def _setting(config, key):
    value = config.get(key)
    if not value:
        raise DeliveryError(f'{key} is not set; Twilio needs a sender number for this channel')
    return value


def _delivery_error(exc):
    """Turn an SDK error into a DeliveryError: a rejected message (HTTP 400) is permanent."""
    status = getattr(exc, 'status', None)
    code = getattr(exc, 'code', None)
    # Not str(exc): the SDK colours it with terminal escapes when stderr is a terminal.
    text = getattr(exc, 'msg', None) or getattr(exc, 'detail', None) or getattr(exc, 'title', None) or repr(exc)
    is_permanent = status is not None and 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS
    return DeliveryError(f'Twilio error {code} (HTTP {status}): {text}', permanent=is_permanent)


def _without_prefix(address):
    address = (address or '').strip()
    if address.lower().startswith(WHATSAPP_PREFIX):
        return address[len(WHATSAPP_PREFIX):]
    return address


# -- inbound: parsing and media ----------------------------------------------------------------------

def parse_form(raw_body):
    """Turn a stored Twilio webhook body (the urlencoded form) into an InboundMessage; pure.

    Raises ValueError when MessageSid or From is missing.
    """
    form = {key: values[0] for key, values in parse_qs(raw_body or '', keep_blank_values=True).items()}
    message_sid, sender = form.get('MessageSid', '').strip(), form.get('From', '').strip()
    if not message_sid or not sender:
        raise ValueError('A Twilio message needs MessageSid and From')
    is_whatsapp = sender.lower().startswith(WHATSAPP_PREFIX)
    return InboundMessage(
        channel='whatsapp' if is_whatsapp else 'sms',
        external_id=message_sid,
        text=(form.get('Body') or '').strip(),
        phone=_without_prefix(sender),
        name=(form.get('ProfileName') or '').strip() or None,
        location=_location(form),
        media=_media(form),
    )


def _location(form):
    try:
        latitude, longitude = float(form['Latitude']), float(form['Longitude'])
    except (KeyError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _media(form):
    try:
        count = min(int(form.get('NumMedia') or 0), _MAX_MEDIA)
    except ValueError:
        count = 0
    media = []
    for index in range(count):
        url = (form.get(f'MediaUrl{index}') or '').strip()
        if url:
            media.append(Media(url=url, content_type=form.get(f'MediaContentType{index}') or None))
    return tuple(media)


def fetch_media(media, *, max_bytes, config):
    """Download one attachment from Twilio: returns (bytes, content type). Raises MediaTooLarge past
    `max_bytes` (without reading further) and MediaError when it cannot be fetched."""
    parts = urlsplit(media.url or '')
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise MediaError(f'Not an http(s) media URL: {media.url!r}')
    deadline = time.monotonic() + MEDIA_TIMEOUT_SECONDS
    try:
        with requests.get(media.url, auth=_media_auth(parts, config), timeout=MEDIA_TIMEOUT_SECONDS,
                          stream=True) as response:
            if response.status_code != 200:
                raise MediaError(f'Twilio answered {response.status_code} for media {media.url}')
            announced = response.headers.get('Content-Length')
            if announced and announced.isdigit() and int(announced) > max_bytes:
                raise MediaTooLarge(f'The attachment is {announced} bytes; at most {max_bytes} are accepted')
            chunks, size = [], 0
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(f'The attachment is larger than {max_bytes} bytes')
                if time.monotonic() > deadline:
                    raise MediaError(f'Media {media.url} took longer than {MEDIA_TIMEOUT_SECONDS} s to fetch')
                chunks.append(chunk)
            content_type = (response.headers.get('Content-Type') or '').split(';')[0].strip()
    except requests.RequestException as exc:
        raise MediaError(f'Media {media.url} could not be fetched: {type(exc).__name__}: {exc}') from exc
    return b''.join(chunks), content_type or media.content_type


def _media_auth(parts, config):
    """Basic auth for Twilio's own media URLs only: the credentials never go to another host.
    (On the redirect to Twilio's CDN, requests drops the header itself.)"""
    sid, token = config.get('TWILIO_ACCOUNT_SID'), config.get('TWILIO_AUTH_TOKEN')
    if not (sid and token):
        return None
    api_host = urlsplit(config.get('TWILIO_API_BASE_URL') or DEFAULT_API_BASE_URL).hostname
    host = parts.hostname.lower()
    if host == api_host or host == 'twilio.com' or host.endswith('.twilio.com'):
        return sid, token
    return None


intake.register_parser('twilio', parse_form)
for _channel in ('sms', 'whatsapp'):
    intake.register_media_fetcher(_channel, fetch_media)


# -- webhooks ----------------------------------------------------------------------------------------

twilio_bp = Blueprint('twilio', __name__, url_prefix='/channels/twilio')


@twilio_bp.post('/messages')
def receive_message():
    """Twilio's messaging webhook (SMS and WhatsApp): verify, store and handle, answer with empty TwiML."""
    raw_body = request.get_data(cache=True, as_text=True)  # before `request.form` consumes the stream
    refusal = _refuse_unverified()
    if refusal is not None:
        return refusal
    message_sid = request.form.get('MessageSid', '').strip()
    if not message_sid or not request.form.get('From', '').strip():
        return error_response(400, 'bad_request', 'MessageSid and From are required.')
    intake.receive('twilio', message_sid, raw_body, now=now_utc())
    return Response(str(MessagingResponse()), status=200, content_type='text/xml; charset=utf-8')


@twilio_bp.post('/status')
def receive_status():
    """Twilio's delivery status callback for a message we sent."""
    refusal = _refuse_unverified()
    if refusal is not None:
        return refusal
    message_sid = request.form.get('MessageSid', '').strip()
    status = request.form.get('MessageStatus', '').strip()
    if not message_sid or not status:
        return error_response(400, 'bad_request', 'MessageSid and MessageStatus are required.')
    # Imported here: notifications.operations imports channels, which may import this module.
    from notifications.operations import record_provider_status
    record_provider_status(provider_message_id=message_sid, status=status,
                           error_code=request.form.get('ErrorCode') or None, now=now_utc())
    db.session.commit()
    return '', 204


def _refuse_unverified():
    """An error response unless the request is signed by our Twilio account for the URL Twilio called."""
    config = current_app.config
    sid, token = config.get('TWILIO_ACCOUNT_SID'), config.get('TWILIO_AUTH_TOKEN')
    if not (sid and token):
        return error_response(404, 'not_found', 'Twilio is not configured.')
    signature = request.headers.get('X-Twilio-Signature', '')
    # Twilio signed the public URL it was configured with, not the one Flask sees behind the TLS proxy.
    url = config['PUBLIC_BASE_URL'].rstrip('/') + request.full_path.removesuffix('?')
    if not signature or not RequestValidator(token).validate(url, request.form, signature):
        logger.warning('Twilio webhook %s refused: bad or missing signature', request.path)
        return error_response(403, 'forbidden', 'The request is not signed by Twilio.')
    if request.form.get('AccountSid') != sid:
        logger.warning('Twilio webhook %s refused: AccountSid %r is not ours', request.path,
                       request.form.get('AccountSid'))
        return error_response(403, 'forbidden', 'The request is for another Twilio account.')
    return None
