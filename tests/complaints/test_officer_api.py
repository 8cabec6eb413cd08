"""The officer API: inbox, ticket, replies, notes, assignment, transfer, status; who may see what."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from complaints.models import Ticket, TicketEvent, TicketMessage
from notifications.models import OutboxMessage


@pytest.fixture
def city(make):
    """Two agencies with a category each."""
    dinsos, pupr = make.agency('DINSOS'), make.agency('PUPR')
    return {'dinsos': dinsos, 'pupr': pupr, 'bansos': make.category(dinsos, 'bansos'),
            'jalan': make.category(pupr, 'jalan-rusak')}


def test_inbox_lists_own_agency_most_urgent_first_with_time_left(client, make, city, clock):
    older = make.ticket(city['bansos'])
    clock.advance(timedelta(hours=1))
    newer = make.ticket(city['bansos'])
    make.ticket(city['jalan'])
    officer = city['dinsos'].duty_officer

    response = client.get('/api/v1/tickets', headers=make.headers(officer))

    assert response.status_code == 200
    assert response.json['total'] == 2
    codes = [t['tracking_code'] for t in response.json['tickets']]
    assert codes == [older.tracking_code, newer.tracking_code]
    first = response.json['tickets'][0]
    assert first['seconds_left'] == 3 * 3600
    assert first['sla'] == 'on_track'


def test_inbox_sla_filter_separates_breached_at_risk_on_track(client, make, city, clock):
    breached = make.ticket(city['bansos'])
    clock.advance(timedelta(hours=1, minutes=30))
    at_risk = make.ticket(city['bansos'])
    clock.advance(timedelta(hours=1, minutes=30))
    on_track = make.ticket(city['bansos'])
    clock.advance(timedelta(hours=1, minutes=30))  # breached: 4h30 old, at_risk: 3h old, on_track: 1h30
    headers = make.headers(city['dinsos'].duty_officer)

    def codes(sla):
        return [t['tracking_code'] for t in client.get(f'/api/v1/tickets?sla={sla}', headers=headers).json['tickets']]

    assert codes('breached') == [breached.tracking_code]
    assert codes('at_risk') == [at_risk.tracking_code]
    assert codes('on_track') == [on_track.tracking_code]
    bad = client.get('/api/v1/tickets?sla=late', headers=headers)
    assert bad.status_code == 422 and 'sla' in bad.json['error']['fields']


def test_first_reply_is_the_response_and_reaches_the_resident(client, db, make, city, clock):
    ticket = make.ticket(city['bansos'])
    officer = city['dinsos'].duty_officer
    headers = make.headers(officer)
    clock.advance(timedelta(minutes=30))
    first_reply_at = clock.now

    note = client.post(f'/api/v1/tickets/{ticket.tracking_code}/notes', json={'body': 'Cek data DTKS.'},
                       headers=headers)
    assert note.status_code == 201
    assert db.session.get(Ticket, ticket.id).first_response_dt is None, 'a note is not the response'

    response = client.post(f'/api/v1/tickets/{ticket.tracking_code}/replies',
                           json={'body': 'Data Ibu sedang kami periksa.'}, headers=headers)
    assert response.status_code == 201
    clock.advance(timedelta(minutes=5))
    client.post(f'/api/v1/tickets/{ticket.tracking_code}/replies', json={'body': 'Sudah diperbaiki.'},
                headers=headers)

    detail = client.get(f'/api/v1/tickets/{ticket.tracking_code}', headers=headers).json
    assert detail['first_response_at'] == first_reply_at.isoformat()
    assert detail['first_response_by'] == officer.email
    assert detail['status'] == 'in_progress'
    assert detail['sla'] == 'answered' and detail['seconds_left'] is None
    assert [m['kind'] for m in detail['messages']] == ['resident', 'note', 'reply', 'reply']
    sent = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == 'reply')
                              .order_by(OutboxMessage.id)).all()
    assert [m.address for m in sent] == ['+6281200001234', '+6281200001234']
    assert 'Data Ibu sedang kami periksa.' in sent[0].body
    assert not any('Cek data DTKS' in m.body for m in db.session.scalars(sa.select(OutboxMessage)))


def test_officer_cannot_see_or_touch_another_agencys_ticket(client, db, make, city):
    ticket = make.ticket(city['jalan'])
    outsider = make.headers(city['dinsos'].duty_officer)
    base = f'/api/v1/tickets/{ticket.tracking_code}'

    assert client.get(base, headers=outsider).status_code == 404
    for path, payload in (('/replies', {'body': 'Halo'}), ('/notes', {'body': 'Halo'}),
                          ('/assign', {'officer': city['dinsos'].duty_officer.email}),
                          ('/transfer', {'agency': 'DINSOS', 'reason': 'salah'}),
                          ('/status', {'status': 'resolved'})):
        response = client.post(base + path, json=payload, headers=outsider)
        assert response.status_code == 404, path
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)) == 1
    assert client.get('/api/v1/tickets', headers=outsider).json['total'] == 0


def test_admin_sees_every_agency(client, make, city):
    make.ticket(city['jalan'])
    make.ticket(city['bansos'])
    admin = make.user(city['dinsos'], 'admin')
    assert client.get('/api/v1/tickets', headers=make.headers(admin)).json['total'] == 2


def test_staff_endpoints_need_a_valid_token(client, make, city):
    ticket = make.ticket(city['jalan'])
    for headers in ({}, {'Authorization': 'Bearer nope'}, {'Authorization': 'Basic abc'}):
        response = client.get('/api/v1/tickets', headers=headers)
        assert response.status_code == 401 and response.json['error']['code'] == 'unauthorized'
        response = client.post(f'/api/v1/tickets/{ticket.tracking_code}/replies', json={'body': 'x'},
                               headers=headers)
        assert response.status_code == 401


def test_assign_only_within_the_agency(client, db, make, city):
    ticket = make.ticket(city['bansos'])
    supervisor = city['dinsos'].head
    colleague = make.user(city['dinsos'], 'officer')
    headers = make.headers(supervisor)
    url = f'/api/v1/tickets/{ticket.tracking_code}/assign'

    stranger = client.post(url, json={'officer': city['pupr'].duty_officer.email}, headers=headers)
    assert stranger.status_code == 422 and 'officer' in stranger.json['error']['fields']
    unknown = client.post(url, json={'officer': 'tidak.ada@dinsos.example'}, headers=headers)
    assert unknown.status_code == 422

    response = client.post(url, json={'officer': colleague.email}, headers=headers)
    assert response.status_code == 200
    assert response.json['assignee'] == colleague.email
    assert response.json['history'][-1]['action'] == 'assigned'
    assert response.json['history'][-1]['actor'] == supervisor.email


def test_transfer_keeps_the_deadline_and_moves_the_ticket(client, db, make, city, clock):
    ticket = make.ticket(city['bansos'])
    due = ticket.response_due_dt
    clock.advance(timedelta(hours=1))
    headers = make.headers(city['dinsos'].duty_officer)

    response = client.post(f'/api/v1/tickets/{ticket.tracking_code}/transfer',
                           json={'agency': 'pupr', 'reason': 'Soal jalan, bukan bansos'}, headers=headers)

    assert response.status_code == 200
    assert response.json['agency'] == 'PUPR'
    assert response.json['response_due_at'] == due.isoformat(), 'the deadline does not restart'
    assert client.get(f'/api/v1/tickets/{ticket.tracking_code}', headers=headers).status_code == 404
    pupr = client.get('/api/v1/tickets', headers=make.headers(city['pupr'].duty_officer)).json
    assert [t['tracking_code'] for t in pupr['tickets']] == [ticket.tracking_code]
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.action == 'transferred')).one()
    assert (event.from_value, event.to_value, event.reason) == ('DINSOS', 'PUPR', 'Soal jalan, bukan bansos')

    bad = client.post(f'/api/v1/tickets/{ticket.tracking_code}/transfer', json={'agency': 'NOPE', 'reason': 'x'},
                      headers=make.headers(city['pupr'].duty_officer))
    assert bad.status_code == 422


def test_status_changes_follow_the_life_cycle_and_are_recorded(client, db, make, city):
    ticket = make.ticket(city['bansos'])
    headers = make.headers(city['dinsos'].duty_officer)
    url = f'/api/v1/tickets/{ticket.tracking_code}/status'

    assert client.post(url, json={'status': 'closed'}, headers=headers).status_code == 409
    assert client.post(url, json={'status': 'rejected'}, headers=headers).status_code == 422, 'reason needed'
    assert client.post(url, json={'status': 'done'}, headers=headers).status_code == 422
    assert client.post(url, json={'status': 'resolved'}, headers=headers).status_code == 200
    assert client.post(url, json={'status': 'closed'}, headers=headers).status_code == 200
    closed = client.post(f'/api/v1/tickets/{ticket.tracking_code}/replies', json={'body': 'Halo'}, headers=headers)
    assert closed.status_code == 409

    history = client.get(f'/api/v1/tickets/{ticket.tracking_code}', headers=headers).json['history']
    assert [(h['action'], h.get('from'), h.get('to')) for h in history] == [
        ('created', None, 'DINSOS'), ('status', 'new', 'resolved'), ('status', 'resolved', 'closed')]
    assert all(h['actor'] == city['dinsos'].duty_officer.email for h in history[1:])
    told = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == 'status_changed')).all()
    assert len(told) == 2


STAFF_BAD_INPUTS = [
    ('/replies', {}, 422), ('/replies', {'body': '   '}, 422), ('/replies', {'body': 'x' * 5001}, 422),
    ('/replies', {'body': 'ok', 'extra': 1}, 422), ('/notes', {'body': ''}, 422),
    ('/assign', {'officer': 'not-an-email'}, 422), ('/assign', {}, 422),
    ('/transfer', {'agency': 'PUPR'}, 422), ('/status', {'status': 'flying'}, 422), ('/status', {}, 422),
]


@pytest.mark.parametrize('path,payload,status', STAFF_BAD_INPUTS)
def test_bad_staff_input_is_refused_and_changes_nothing(client, db, make, city, path, payload, status):
    ticket = make.ticket(city['bansos'])
    headers = make.headers(city['dinsos'].duty_officer)
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m))
              for m in (TicketMessage, TicketEvent, OutboxMessage)]

    response = client.post(f'/api/v1/tickets/{ticket.tracking_code}{path}', json=payload, headers=headers)

    assert response.status_code == status
    assert response.json['error']['message']
    assert counts == [db.session.scalar(sa.select(sa.func.count()).select_from(m))
                      for m in (TicketMessage, TicketEvent, OutboxMessage)]
    db.session.expire_all()
    fresh = db.session.get(Ticket, ticket.id)
    assert (fresh.status, fresh.agency_id, fresh.assignee_id) == ('new', city['dinsos'].id, None)
    not_json = client.post(f'/api/v1/tickets/{ticket.tracking_code}{path}', data='x', headers=headers)
    assert not_json.status_code == 400
