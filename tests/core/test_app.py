"""Start-up checks, health, JSON errors and the generated OpenAPI document."""
import pytest

from config import ConfigError, Settings
from core import create_app


@pytest.mark.parametrize('env,needle', [
    ({'TIMEZONE': 'Asia/Atlantis'}, 'TIMEZONE'),
    ({'TWILIO_ACCOUNT_SID': 'AC123'}, 'TWILIO_AUTH_TOKEN'),
    ({'TWILIO_ACCOUNT_SID': 'AC123', 'TWILIO_AUTH_TOKEN': 'x'}, 'TWILIO_SMS_FROM'),
    ({'TELEGRAM_BOT_TOKEN': '123:abc'}, 'TELEGRAM_WEBHOOK_SECRET'),
    ({'DATABASE_URL': 'mysql://x'}, 'DATABASE_URL'),
    ({'DATABASE_URL': 'postgresql://postgres@127.0.0.1/test'}, 'SECRET_KEY'),
    ({'OUTBOX_MAX_ATTEMPTS': 'many'}, 'OUTBOX_MAX_ATTEMPTS'),
])
def test_bad_settings_stop_the_app_with_a_message_saying_what_to_set(monkeypatch, env, needle):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=needle):
        create_app()


def test_postgres_urls_use_the_installed_driver(monkeypatch):
    monkeypatch.setenv('DATABASE_URL', 'postgres://u@h/db')
    monkeypatch.setenv('SECRET_KEY', 's')
    assert Settings.from_env().SQLALCHEMY_DATABASE_URI == 'postgresql+psycopg://u@h/db'


def test_healthz_answers_when_the_database_does(client):
    response = client.get('/healthz')
    assert response.status_code == 200 and response.json == {'status': 'ok'}


def test_unknown_routes_and_methods_answer_in_json(client):
    assert client.get('/api/v1/nothing').json['error']['code'] == 'not_found'
    response = client.delete('/api/v1/complaints')
    assert response.status_code == 405 and response.json['error']['code'] == 'method_not_allowed'


def test_openapi_documents_every_contract_route_from_the_schemas(client):
    spec = client.get('/api/v1/openapi.json').json
    expected = {
        ('/api/v1/categories', 'get'), ('/api/v1/complaints', 'post'), ('/api/v1/complaints/{tracking_code}', 'get'),
        ('/api/v1/tickets', 'get'), ('/api/v1/tickets/{tracking_code}', 'get'),
        ('/api/v1/tickets/{tracking_code}/replies', 'post'), ('/api/v1/tickets/{tracking_code}/notes', 'post'),
        ('/api/v1/tickets/{tracking_code}/assign', 'post'), ('/api/v1/tickets/{tracking_code}/transfer', 'post'),
        ('/api/v1/tickets/{tracking_code}/status', 'post'), ('/api/v1/escalations', 'get'),
        ('/api/v1/escalations/{escalation_id}/acknowledge', 'post'), ('/api/v1/sanctions', 'get'),
        ('/api/v1/sanctions/{sanction_id}/decision', 'post'),
    }
    documented = {(path, method) for path, ops in spec['paths'].items() for method in ops}
    assert expected <= documented
    complaint_in = spec['components']['schemas']['ComplaintIn']
    assert set(complaint_in['required']) == {'category', 'description'}
    assert 'location' in complaint_in['properties']
    inbox = spec['paths']['/api/v1/tickets']['get']
    assert {p['name'] for p in inbox['parameters']} >= {'status', 'sla', 'limit'}
    assert inbox['security'] == [{'bearer': []}]
