"""A fake Telegram Bot API on loopback that the real python-telegram-bot talks to, and its fixture.

It speaks HTTP/1.1 with keep-alive, as api.telegram.org does, so a client that reuses pooled connections
across event loops fails here as it would in production.
"""
import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

TOKEN = '123456789:AAFakeTokenForTests_only-0123456789'
WEBHOOK_SECRET = 'test-webhook-secret_0123'
BOT_USER = {'id': 123456789, 'is_bot': True, 'first_name': 'Tanggap', 'username': 'tanggap_test_bot',
            'can_join_groups': False, 'can_read_all_group_messages': False, 'supports_inline_queries': False}

#: Parameters PTB sends JSON-encoded inside a form field.
_JSON_FIELDS = {'reply_markup', 'allowed_updates', 'entities', 'caption_entities', 'link_preview_options',
                'reply_parameters', 'commands', 'scope', 'media'}

_DESCRIPTIONS = {
    400: 'Bad Request: chat not found',
    403: 'Forbidden: bot was blocked by the user',
    429: 'Too Many Requests: retry after {retry_after}',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
}


@dataclass
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: dict
    #: The client's source port: the same port twice means a kept-alive connection was reused.
    client_port: int


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None


@dataclass
class _File:
    file_id: str
    content: bytes
    file_path: str
    #: What getFile announces (may differ from len(content), to test both checks).
    file_size: int | None


class FakeTelegram:
    """The Bot API methods Tanggap uses, with failure injection and files to download."""

    def __init__(self, token=TOKEN):
        self.token = token
        #: Every API request, in order.
        self.calls = []
        #: Every file download path requested, in order.
        self.downloads = []
        self._failures = {}
        self._files = {}
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1001)
        self._server = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self):
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name='fake-telegram', daemon=True).start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def base_url(self):
        """What TELEGRAM_API_BASE_URL is set to (PTB appends the token)."""
        return f'http://127.0.0.1:{self.port}/bot'

    # -- what tests arrange ---------------------------------------------------------------------

    def fail(self, method, times=1, *, status=500, description=None, retry_after=None):
        """Make the next `times` calls of `method` fail with `status` (403, 400, 429, 500...)."""
        if description is None:
            description = _DESCRIPTIONS.get(status, 'Error').format(retry_after=retry_after)
        with self._lock:
            self._failures.setdefault(method, []).extend(
                [_Failure(status, description, retry_after)] * times)

    def add_file(self, file_id, content, *, file_path=None, file_size=None):
        """Make `content` available under `file_id`; `file_size` is what getFile announces."""
        file_path = file_path or f'photos/{file_id}.jpg'
        self._files[file_id] = _File(file_id, content, file_path,
                                     len(content) if file_size is None else file_size)

    # -- what tests assert ----------------------------------------------------------------------

    def calls_to(self, method):
        """The params of every call of `method`."""
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    # -- serving --------------------------------------------------------------------------------

    def _record(self, method, params, client_port):
        with self._lock:
            self.calls.append(Call(method, params, client_port))
            queued = self._failures.get(method)
            return queued.pop(0) if queued else None

    def _answer(self, method, params):
        """(status, body) for a Bot API call that is not made to fail."""
        if method == 'getMe':
            return _ok(BOT_USER)
        if method == 'sendMessage':
            chat_id = params.get('chat_id')
            if chat_id in (None, '') or not params.get('text'):
                return _error(400, 'Bad Request: message text is empty' if chat_id else
                              'Bad Request: chat_id is empty')
            message = {'message_id': next(self._message_ids), 'date': int(time.time()),
                       'chat': {'id': _as_int(chat_id), 'type': 'private'}, 'from': BOT_USER,
                       'text': params['text']}
            if params.get('reply_markup'):
                message['reply_markup'] = params['reply_markup']
            return _ok(message)
        if method in ('setWebhook', 'deleteWebhook', 'answerCallbackQuery'):
            return _ok(True)
        if method == 'getFile':
            file = self._files.get(params.get('file_id'))
            if file is None:
                return _error(400, 'Bad Request: invalid file_id')
            result = {'file_id': file.file_id, 'file_unique_id': f'u-{file.file_id}',
                      'file_path': file.file_path}
            if file.file_size is not None:
                result['file_size'] = file.file_size
            return _ok(result)
        return _error(404, 'Not Found')

    def _file_content(self, file_path):
        self.downloads.append(file_path)
        for file in self._files.values():
            if file.file_path == file_path:
                return file.content
        return None


def _ok(result):
    return 200, {'ok': True, 'result': result}


def _error(status, description, retry_after=None):
    body = {'ok': False, 'error_code': status, 'description': description}
    if retry_after is not None:
        body['parameters'] = {'retry_after': retry_after}
    return status, body


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as Telegram does
    timeout = 10                   # idle kept-alive connections are dropped eventually

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def do_GET(self):
        self._handle_safely()

    def do_POST(self):
        self._handle_safely()

    def _handle_safely(self):
        try:
            self._handle()
        except Exception as exc:  # noqa: BLE001 - a bug in the fake shows up in the test, not as a reset
            self._send_json(*_error(500, f'The fake Telegram failed: {exc!r}'))

    def _handle(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        path = unquote(url.path)
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        file_prefix = f'/file/bot{fake.token}/'
        api_prefix = f'/bot{fake.token}/'
        if path.startswith(file_prefix):
            content = fake._file_content(path[len(file_prefix):])
            if content is None:
                return self._send(404, b'Not Found', 'text/plain')
            return self._send(200, content, 'application/octet-stream')
        if not path.startswith(api_prefix):
            return self._send_json(*_error(401, 'Unauthorized'))
        method = path[len(api_prefix):]
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        params.update(_parse_body(body, self.headers.get('Content-Type', '')))
        failure = fake._record(method, params, self.client_address[1])
        if failure is not None:
            return self._send_json(*_error(failure.status, failure.description, failure.retry_after))
        self._send_json(*fake._answer(method, params))

    def _send_json(self, status, body):
        self._send(status, json.dumps(body).encode(), 'application/json')

    def _send(self, status, payload, content_type):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _parse_body(body, content_type):
    if not body:
        return {}
    if content_type.startswith('application/json'):
        return json.loads(body)
    if content_type.startswith('application/x-www-form-urlencoded'):
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        for key in _JSON_FIELDS & params.keys():
            params[key] = json.loads(params[key])
        return params
    raise AssertionError(f'the fake Telegram does not parse {content_type!r} bodies')


@pytest.fixture
def fake_telegram(app, monkeypatch):
    """A running fake Bot API, with the app configured to use it for the telegram channel."""
    fake = FakeTelegram().start()
    monkeypatch.setitem(app.config, 'TELEGRAM_BOT_TOKEN', fake.token)
    monkeypatch.setitem(app.config, 'TELEGRAM_WEBHOOK_SECRET', WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, 'TELEGRAM_API_BASE_URL', fake.base_url)
    monkeypatch.setitem(app.config['CHANNEL_ADAPTERS'], 'telegram', 'telegram')
    try:
        yield fake
    finally:
        from channels.telegram import close_bots
        close_bots()  # closes the kept-alive connections to this server before it stops
        fake.stop()
