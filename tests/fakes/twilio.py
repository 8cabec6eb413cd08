"""A fake Twilio on loopback that the real `twilio` SDK talks to, plus helpers that sign webhooks as Twilio does.

The fake answers the Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`) with HTTP basic auth,
serves media files under `/media/<name>`, records every request, and can be told to fail the next sends.
Tests use the `fake_twilio` fixture (registered for every test by tests/conftest.py).
"""
import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from twilio.request_validator import RequestValidator

#: Invented credentials in Twilio's shapes ('AC' + 32 hex, a 32-hex auth token); never real ones.
ACCOUNT_SID = 'AC' + '7a3f0c1e' * 4
AUTH_TOKEN = '5b7c9d2e' * 4
SMS_FROM = '+6281200000001'
WHATSAPP_FROM = '+6281200000002'
#: What Twilio is configured to call; deliberately not what Flask's test client sees (http://localhost),
#: as behind a TLS-terminating proxy.
PUBLIC_BASE_URL = 'https://tanggap.example'
MESSAGES_PATH = '/channels/twilio/messages'
STATUS_PATH = '/channels/twilio/status'

_MESSAGES_URL = re.compile(r'^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$')
_E164 = re.compile(r'^\+[1-9][0-9]{6,14}$')

#: Twilio's own wording for the errors tests ask for.
ERROR_MESSAGES = {
    20003: 'Authenticate',
    20429: 'Too Many Requests',
    20500: 'An internal server error has occurred',
    21211: "The 'To' number is not a valid phone number.",
    21602: 'Message body is required.',
    21610: 'Attempt to send to unsubscribed recipient',
    21656: 'The ContentVariables Parameter is invalid.',
    21910: 'Invalid From and To pair. From and To should be of the same channel',
    63016: 'Failed to send freeform message because you are outside the allowed window. '
           'If you are using WhatsApp, please use a Message Template.',
}


@dataclass
class RecordedRequest:
    """One request the fake received, as it arrived."""

    method: str
    path: str
    headers: dict
    #: Form fields, first value of each (the Messages API never repeats the fields used here).
    form: dict = field(default_factory=dict)
    #: (username, password) from HTTP basic auth, or None.
    auth: tuple | None = None


@dataclass
class _Media:
    content: bytes
    content_type: str
    require_auth: bool
    send_length: bool
    delay: float


class FakeTwilio:
    """The fake server and what it saw; `start()` before use, `stop()` after."""

    def __init__(self, *, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.public_base_url = public_base_url
        self.requests = []
        #: Message resources the fake accepted, each with the form it was created from under 'form'.
        self.messages = []
        self._media = {}
        self._failures = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self):
        """Listen on a random loopback port, in a daemon thread."""
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the next poll, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.02},
                                        name='fake-twilio', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def base_url(self):
        """What TWILIO_API_BASE_URL points at."""
        return f'http://127.0.0.1:{self.port}'

    # -- scripting ---------------------------------------------------------------------------------

    def fail_next(self, count=1, *, status=500, code=None, message=None):
        """Make the next `count` message sends fail with `status` and a Twilio error JSON (`code`)."""
        if code is None:
            code = {429: 20429, 500: 20500}.get(status, status)
        with self._lock:
            self._failures.extend([(status, code, message)] * count)

    def add_media(self, name, content, content_type='image/jpeg', *, require_auth=True, send_length=True,
                  delay=0.0):
        """Serve `content` at GET /media/<name>; returns its URL. `send_length=False` streams it unannounced;
        `delay` seconds pass before each 16 KB piece (a slow link)."""
        self._media[name] = _Media(content, content_type, require_auth, send_length, delay)
        return f'{self.base_url}/media/{name}'

    @property
    def sent(self):
        """The forms of the messages the fake accepted, in order."""
        return [message['form'] for message in self.messages]

    def message_requests(self):
        """Every request to the Messages API, accepted or not."""
        return [r for r in self.requests if _MESSAGES_URL.match(r.path)]

    # -- webhooks, as Twilio sends them --------------------------------------------------------------

    def url_for(self, path):
        """The URL Twilio requests (and signs) for `path` on our side."""
        return self.public_base_url + path

    def sign(self, url, params):
        """X-Twilio-Signature for a POST of `params` to `url`, computed the way Twilio does."""
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def inbound_sms(self, body='', *, from_='+6281200007890', to=SMS_FROM, message_sid=None, **extra):
        """The form Twilio posts for an SMS a resident sent; `extra` adds or overrides fields."""
        sid = message_sid or new_sid('SM')
        params = {
            'ToCountry': 'ID', 'ToState': '', 'SmsMessageSid': sid, 'NumMedia': '0', 'ToCity': '',
            'FromZip': '', 'SmsSid': sid, 'FromState': '', 'SmsStatus': 'received', 'FromCity': '',
            'Body': body, 'FromCountry': 'ID', 'To': to, 'ToZip': '', 'NumSegments': '1',
            'MessageSid': sid, 'AccountSid': self.account_sid, 'From': from_, 'ApiVersion': '2010-04-01',
        }
        return _merged(params, extra)

    def inbound_whatsapp(self, body='', *, from_='+6281200007890', to=WHATSAPP_FROM, profile_name='Sari',
                         media=(), location=None, message_sid=None, **extra):
        """The form Twilio posts for a WhatsApp message: `media` as (url, content type) pairs,
        `location` as (latitude, longitude), which comes with an empty Body."""
        sid = message_sid or new_sid('MM' if media else 'SM')
        message_type = 'image' if media else 'location' if location else 'text'
        params = {
            'SmsMessageSid': sid, 'NumMedia': str(len(media)), 'ProfileName': profile_name,
            'MessageType': message_type, 'SmsSid': sid, 'WaId': from_.lstrip('+'), 'SmsStatus': 'received',
            'Body': body, 'To': f'whatsapp:{to}', 'NumSegments': '1', 'ReferralNumMedia': '0',
            'MessageSid': sid, 'AccountSid': self.account_sid, 'From': f'whatsapp:{from_}',
            'ApiVersion': '2010-04-01',
        }
        for index, (url, content_type) in enumerate(media):
            params[f'MediaContentType{index}'] = content_type
            params[f'MediaUrl{index}'] = url
        if location is not None:
            params['Latitude'], params['Longitude'] = (str(value) for value in location)
        return _merged(params, extra)

    def status_callback(self, message_sid, status, *, error_code=None, to='+6281200007890', channel='sms',
                        **extra):
        """The form of a delivery status callback for an outbound message."""
        prefix = 'whatsapp:' if channel == 'whatsapp' else ''
        sender = WHATSAPP_FROM if channel == 'whatsapp' else SMS_FROM
        params = {
            'SmsSid': message_sid, 'SmsStatus': status, 'MessageStatus': status, 'To': prefix + to,
            'MessageSid': message_sid, 'AccountSid': self.account_sid, 'From': prefix + sender,
            'ApiVersion': '2010-04-01',
        }
        if error_code is not None:
            params['ErrorCode'] = str(error_code)
        return _merged(params, extra)

    def post(self, client, path, params, *, signature=None, signed_url=None, headers=None):
        """POST `params` form-encoded to our app as Twilio would, signed over `signed_url`
        (default PUBLIC_BASE_URL + path). `signature=False` sends no signature header; a string sends that one."""
        headers = dict(headers or {})
        if signature is None:
            signature = self.sign(signed_url or self.url_for(path), params)
        if signature is not False:
            headers['X-Twilio-Signature'] = signature
        return client.post(path, data=params, headers=headers)

    def post_message(self, client, params, **kwargs):
        """Deliver an inbound message to the messaging webhook."""
        return self.post(client, MESSAGES_PATH, params, **kwargs)

    def post_status(self, client, params, **kwargs):
        """Deliver a status callback to the status webhook."""
        return self.post(client, STATUS_PATH, params, **kwargs)

    # -- serving (called from the handler threads) --------------------------------------------------

    def _record(self, request):
        with self._lock:
            self.requests.append(request)

    def _next_failure(self):
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _create_message(self, sid, request):
        if sid != self.account_sid or request.auth != (self.account_sid, self.auth_token):
            return _error(401, 20003)
        failure = self._next_failure()
        if failure is not None:
            status, code, message = failure
            return _error(status, code, message)
        form = request.form
        to, from_ = form.get('To', ''), form.get('From', '')
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_:
            return _error(400, 21603, "A 'From' phone number is required.")
        if to.startswith('whatsapp:') != from_.startswith('whatsapp:'):
            return _error(400, 21910)
        if not _E164.match(to.removeprefix('whatsapp:')):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not (form.get('Body') or form.get('ContentSid') or form.get('MediaUrl')):
            return _error(400, 21602)
        if form.get('ContentVariables'):
            try:
                json.loads(form['ContentVariables'])
            except ValueError:
                return _error(400, 21656)
        message_sid = new_sid('SM')
        now = formatdate(usegmt=True)
        resource = {
            'account_sid': self.account_sid, 'api_version': '2010-04-01', 'body': form.get('Body', ''),
            'date_created': now, 'date_sent': None, 'date_updated': now, 'direction': 'outbound-api',
            'error_code': None, 'error_message': None, 'from': from_, 'messaging_service_sid': None,
            'num_media': '0', 'num_segments': '1', 'price': None, 'price_unit': 'USD', 'sid': message_sid,
            'status': 'queued', 'to': to,
            'subresource_uris': {'media': f'/2010-04-01/Accounts/{sid}/Messages/{message_sid}/Media.json'},
            'uri': f'/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json',
        }
        with self._lock:
            self.messages.append({**resource, 'form': dict(form)})
        return 201, 'application/json', json.dumps(resource).encode()

    def _get_media(self, name, request):
        media = self._media.get(name)
        if media is None:
            return _error(404, 20404, 'The requested resource was not found')
        if media.require_auth and request.auth != (self.account_sid, self.auth_token):
            return _error(401, 20003)
        return 200, media.content_type, media


class _Handler(BaseHTTPRequestHandler):
    fake = None

    def log_message(self, format, *args):  # noqa: A002 - the name is http.server's
        pass  # keep test output quiet

    def _recorded(self, form=None):
        request = RecordedRequest(method=self.command, path=urlsplit(self.path).path, headers=dict(self.headers),
                                  form=form or {}, auth=_basic_auth(self.headers.get('Authorization')))
        self.fake._record(request)
        return request

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length).decode('utf-8') if length else ''
        form = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        request = self._recorded(form)
        match = _MESSAGES_URL.match(request.path)
        if match is None:
            self._answer(*_error(404, 20404, 'The requested resource was not found'))
        else:
            self._answer(*self.fake._create_message(match['sid'], request))

    def do_GET(self):  # noqa: N802
        request = self._recorded()
        if request.path.startswith('/media/'):
            self._answer(*self.fake._get_media(request.path[len('/media/'):], request))
        else:
            self._answer(*_error(404, 20404, 'The requested resource was not found'))

    def _answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        if isinstance(body, _Media):
            if body.send_length:
                self.send_header('Content-Length', str(len(body.content)))
            self.end_headers()
            # In pieces, so a client that stops reading early really does stop the transfer.
            for start in range(0, len(body.content), 16 * 1024):
                time.sleep(body.delay)
                try:
                    self.wfile.write(body.content[start:start + 16 * 1024])
                except (BrokenPipeError, ConnectionResetError):
                    return
            return
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _error(status, code, message=None):
    """Twilio's (legacy) error JSON, which the SDK turns into a TwilioRestException with `code`."""
    body = {'code': code, 'message': message or ERROR_MESSAGES.get(code, 'Error'),
            'more_info': f'https://www.twilio.com/docs/errors/{code}', 'status': status}
    return status, 'application/json', json.dumps(body).encode()


def _basic_auth(header):
    if not header or not header.startswith('Basic '):
        return None
    try:
        username, _, password = base64.b64decode(header[len('Basic '):]).decode('utf-8').partition(':')
    except ValueError:
        return None
    return username, password


def _merged(params, extra):
    for key, value in extra.items():
        if value is None:
            params.pop(key, None)  # a way to leave a field out, e.g. MessageSid=None
        else:
            params[key] = value
    return params


def new_sid(prefix):
    """A Twilio-shaped id: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


@pytest.fixture
def fake_twilio(app, monkeypatch):
    """A running FakeTwilio, with the app configured to send SMS and WhatsApp through it."""
    # The SDK rewrites hostnames when these are set, which would send requests past the fake.
    monkeypatch.delenv('TWILIO_EDGE', raising=False)
    monkeypatch.delenv('TWILIO_REGION', raising=False)
    fake = FakeTwilio().start()
    settings = {
        'TWILIO_ACCOUNT_SID': fake.account_sid,
        'TWILIO_AUTH_TOKEN': fake.auth_token,
        'TWILIO_SMS_FROM': SMS_FROM,
        'TWILIO_WHATSAPP_FROM': WHATSAPP_FROM,
        'TWILIO_API_BASE_URL': fake.base_url,
        'TWILIO_WHATSAPP_TEMPLATE_SID': None,
        'PUBLIC_BASE_URL': fake.public_base_url,
        'CHANNEL_ADAPTERS': {**app.config.get('CHANNEL_ADAPTERS', {}), 'sms': 'twilio', 'whatsapp': 'twilio'},
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield fake
    finally:
        fake.stop()
