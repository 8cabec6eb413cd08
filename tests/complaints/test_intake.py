"""Filing a complaint over the web API, and the resident's view of it."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from complaints.models import Resident, Ticket, TicketEvent, TicketMessage
from complaints.tracking import ALPHABET, canonical_tracking_code
from notifications.models import OutboxMessage

WIB = '+07:00'


def count_rows(db):
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Ticket, Resident, TicketMessage, TicketEvent, OutboxMessage)}


@pytest.fixture
def jalan(make):
    agency = make.agency('PUPR')
    return make.category(agency, 'jalan-rusak')


def test_complaint_becomes_a_routed_ticket_with_deadline_and_acknowledgement(client, db, jalan, clock):
    response = client.post('/api/v1/complaints', json={
        'category': 'jalan-rusak', 'description': 'Jalan berlubang besar di Jl. Melati 12, sudah dua minggu.',
        'name': 'Sari Wulandari', 'phone': '0812-0000-1234',
        'location': {'lat': -7.25, 'lng': 112.75, 'address': 'Jl. Melati 12'}})

    assert response.status_code == 201, response.json
    body = response.json
    assert body['status'] == 'new'
    assert body['agency'] == 'PUPR'
    assert datetime.fromisoformat(body['response_due_at']) == clock.now + timedelta(hours=4)
    code = body['tracking_code']
    assert canonical_tracking_code(code) == code
    assert all(ch in ALPHABET for ch in code.replace('-', ''))

    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.tracking_code == code))
    assert ticket.agency.code == 'PUPR'
    assert ticket.resident.phone == '+6281200001234'
    assert ticket.location_address == 'Jl. Melati 12'
    assert ticket.first_response_dt is None, 'the acknowledgement is not the response'
    [ack] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
    assert ack.template == 'acknowledgement'
    assert ack.address == '+6281200001234'
    assert code in ack.body and 'WIB' in ack.body
    assert [e.action for e in ticket.events] == ['created']


def test_same_phone_in_any_spelling_is_the_same_resident(client, db, jalan):
    codes = []
    for phone in ('081200001234', '+62 812 0000 1234', '6281200001234'):
        response = client.post('/api/v1/complaints', json={
            'category': 'jalan-rusak', 'description': 'Lubang di jalan depan pasar belum ditambal.', 'phone': phone})
        assert response.status_code == 201
        codes.append(response.json['tracking_code'])
    residents = db.session.scalars(sa.select(Resident)).all()
    assert len(residents) == 1 and residents[0].phone == '+6281200001234'
    assert len(set(codes)) == 3


def test_email_only_resident_is_acknowledged_by_email(client, db, jalan):
    response = client.post('/api/v1/complaints', json={
        'category': 'jalan-rusak', 'description': 'Jalan rusak parah dekat SD Negeri 3.',
        'email': 'Warga.Contoh@Example.org'})
    assert response.status_code == 201
    [ack] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert (ack.channel, ack.address) == ('email', 'warga.contoh@example.org')


BAD_COMPLAINTS = [
    ({'description': 'Jalan rusak parah dekat pasar.'}, 'category'),
    ({'category': 'tidak-ada', 'description': 'Jalan rusak parah dekat pasar.'}, 'category'),
    ({'category': 'jalan-rusak'}, 'description'),
    ({'category': 'jalan-rusak', 'description': 'rusak'}, 'description'),
    ({'category': 'jalan-rusak', 'description': '          .          '}, 'description'),
    ({'category': 'jalan-rusak', 'description': 'x' * 5001}, 'description'),
    ({'category': 'jalan-rusak', 'description': 'Jalan rusak parah dekat pasar.', 'phone': '08123'}, 'phone'),
    ({'category': 'jalan-rusak', 'description': 'Jalan rusak parah dekat pasar.', 'phone': 'halo'}, 'phone'),
    ({'category': 'jalan-rusak', 'description': 'Jalan rusak parah dekat pasar.', 'email': 'bukan-email'}, 'email'),
    ({'category': 'jalan-rusak', 'description': 'Jalan rusak parah dekat pasar.',
      'location': {'lat': 123, 'lng': 0}}, 'location'),
    ({'category': 'jalan-rusak', 'description': 'Jalan rusak parah dekat pasar.', 'location': 'di sana'},
     'location'),
    ({'category': 'jalan-rusak', 'description': 'Jalan rusak parah dekat pasar.', 'priority': 'tinggi'},
     'priority'),
    ({'category': 5, 'description': 'Jalan rusak parah dekat pasar.'}, 'category'),
]


@pytest.mark.parametrize('payload,field', BAD_COMPLAINTS)
def test_bad_complaint_gets_a_field_error_and_stores_nothing(client, db, jalan, payload, field):
    before = count_rows(db)
    response = client.post('/api/v1/complaints', json=payload)
    assert response.status_code == 422
    assert field in response.json['error']['fields']
    assert response.json['error']['message']
    assert count_rows(db) == before


@pytest.mark.parametrize('data,content_type,status', [
    ('not json', 'application/json', 400),
    ('[1, 2]', 'application/json', 400),
    ('category=jalan-rusak', 'application/x-www-form-urlencoded', 400),
    ('{"category": "jalan-rusak", "description": "' + 'x' * (1024 * 1024) + '"}', 'application/json', 413),
])
def test_malformed_or_oversize_body_is_refused_with_json(client, db, jalan, data, content_type, status):
    before = count_rows(db)
    response = client.post('/api/v1/complaints', data=data, content_type=content_type)
    assert response.status_code == status
    assert response.json['error']['code']
    assert count_rows(db) == before


def test_resident_follows_the_complaint_by_code_in_any_spelling(client, db, make, jalan):
    ticket = make.ticket(jalan)
    officer = ticket.agency.duty_officer
    client.post(f'/api/v1/tickets/{ticket.tracking_code}/notes', json={'body': 'Cek anggaran dulu.'},
                headers=make.headers(officer))
    client.post(f'/api/v1/tickets/{ticket.tracking_code}/replies', json={'body': 'Tim akan datang besok pagi.'},
                headers=make.headers(officer))

    typed = ticket.tracking_code.lower().replace('-', ' ')
    response = client.get(f'/api/v1/complaints/{typed}')

    assert response.status_code == 200
    body = response.json
    assert body['tracking_code'] == ticket.tracking_code
    assert body['status'] == 'in_progress'
    assert body['agency']['code'] == 'PUPR'
    assert [r['body'] for r in body['replies']] == ['Tim akan datang besok pagi.']
    assert 'Cek anggaran' not in response.text, 'internal notes never reach the resident'
    assert '+6281200001234' not in response.text, 'no personal data on the public view'


def test_unknown_tracking_code_is_a_json_404(client, db):
    response = client.get('/api/v1/complaints/ABCD-EFGH')
    assert response.status_code == 404
    assert response.json['error']['code'] == 'not_found'


def test_categories_list_their_agency_and_deadlines(client, db, jalan):
    response = client.get('/api/v1/categories')
    assert response.status_code == 200
    [category] = [c for c in response.json if c['code'] == 'jalan-rusak']
    assert category['agency']['code'] == 'PUPR'
    assert category['response_window_minutes'] == 240
