"""A small SMTP server on loopback that keeps what it receives; it can refuse recipients."""
import socketserver
import threading

import pytest


class _Handler(socketserver.StreamRequestHandler):
    def _say(self, line):
        self.wfile.write(line.encode() + b'\r\n')

    def handle(self):
        server = self.server
        self._say('220 fake-smtp ready')
        envelope = {'from': None, 'to': [], 'data': b''}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode().strip()
            verb = command.split(' ')[0].upper()
            if verb in ('EHLO', 'HELO'):
                self._say('250 fake-smtp')
            elif verb == 'MAIL':
                envelope['from'] = command.partition(':')[2].strip('<> ')
                self._say('250 ok')
            elif verb == 'RCPT':
                address = command.partition(':')[2].strip('<> ')
                if address in server.refuse:
                    self._say('550 no such user')
                else:
                    envelope['to'].append(address)
                    self._say('250 ok')
            elif verb == 'DATA':
                self._say('354 go on')
                data = b''
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b'.\r\n', b'.\n', b''):
                        break
                    data += chunk
                envelope['data'] = data
                server.messages.append(dict(envelope))
                envelope = {'from': None, 'to': [], 'data': b''}
                self._say('250 queued')
            elif verb == 'QUIT':
                self._say('221 bye')
                return
            else:
                self._say('250 ok')


class FakeSMTP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), _Handler)
        self.messages = []
        self.refuse = set()


@pytest.fixture
def fake_smtp(app, monkeypatch):
    """A running fake SMTP server; the app's email channel points at it."""
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, 'SMTP_HOST', '127.0.0.1')
    monkeypatch.setitem(app.config, 'SMTP_PORT', server.server_address[1])
    monkeypatch.setitem(app.config, 'SMTP_STARTTLS', False)
    monkeypatch.setitem(app.config, 'SMTP_FROM', 'tanggap@sukamaju.example')
    monkeypatch.setitem(app.config, 'CHANNEL_ADAPTERS', {**app.config['CHANNEL_ADAPTERS'], 'email': 'email'})
    yield server
    server.shutdown()
    server.server_close()
