"""Supervisors: acknowledge escalations, confirm or waive sanction records (final once decided)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sla.models import SanctionNote, SanctionRecord
from sla.operations import sweep


@pytest.fixture
def breached(db, make, clock):
    """A DINSOS ticket left unanswered past its deadline, swept."""
    dinsos = make.agency('DINSOS')
    ticket = make.ticket(make.category(dinsos, 'bansos'))
    clock.advance(timedelta(hours=4, minutes=1))
    sweep(now=clock.now)
    db.session.commit()
    return dinsos, ticket


def test_supervisor_lists_and_acknowledges_an_escalation(client, make, breached, clock):
    dinsos, ticket = breached
    headers = make.headers(dinsos.head)
    [escalation] = client.get('/api/v1/escalations?state=open', headers=headers).json
    assert (escalation['tracking_code'], escalation['level'], escalation['kind']) == (ticket.tracking_code, 1,
                                                                                      'response')
    assert escalation['officer'] == dinsos.duty_officer.email

    response = client.post(f'/api/v1/escalations/{escalation["id"]}/acknowledge', headers=headers)
    assert response.status_code == 200
    assert response.json['acknowledged_by'] == dinsos.head.email
    assert client.get('/api/v1/escalations?state=open', headers=headers).json == []
    again = client.post(f'/api/v1/escalations/{escalation["id"]}/acknowledge', headers=headers)
    assert again.status_code == 409


def test_officers_and_other_agencies_cannot_use_the_supervisor_desk(client, make, breached):
    dinsos, _ = breached
    pupr = make.agency('PUPR')
    officer = make.headers(dinsos.duty_officer)
    assert client.get('/api/v1/escalations', headers=officer).status_code == 403
    assert client.get('/api/v1/sanctions', headers=officer).status_code == 403
    record_id = client.get('/api/v1/sanctions', headers=make.headers(dinsos.head)).json[0]['id']
    assert client.post(f'/api/v1/sanctions/{record_id}/decision', json={'decision': 'waived', 'reason': 'x'},
                       headers=officer).status_code == 403

    other = make.headers(pupr.head)
    assert client.get('/api/v1/escalations', headers=other).json == []
    assert client.get('/api/v1/sanctions', headers=other).json == []
    response = client.post(f'/api/v1/sanctions/{record_id}/decision',
                           json={'decision': 'waived', 'reason': 'x'}, headers=other)
    assert response.status_code == 404


def test_waiving_needs_a_reason_and_is_final(client, db, make, breached, clock):
    dinsos, ticket = breached
    headers = make.headers(dinsos.head)
    [record] = client.get('/api/v1/sanctions?status=pending', headers=headers).json
    assert record['officer'] == dinsos.duty_officer.email
    assert record['due_at'] == (ticket.received_dt + timedelta(hours=4)).isoformat()
    url = f'/api/v1/sanctions/{record["id"]}/decision'

    for payload in ({'decision': 'waived'}, {'decision': 'waived', 'reason': ''}, {'decision': 'forgiven',
                                                                                    'reason': 'x'}, {}):
        response = client.post(url, json=payload, headers=headers)
        assert response.status_code == 422, payload
    assert db.session.get(SanctionRecord, record['id']).status == 'pending'

    decided = client.post(url, json={'decision': 'waived', 'reason': 'Listrik kantor padam seharian'},
                          headers=headers)
    assert decided.status_code == 200
    assert (decided.json['status'], decided.json['decided_by'], decided.json['reason']) == (
        'waived', dinsos.head.email, 'Listrik kantor padam seharian')

    for payload in ({'decision': 'confirmed', 'reason': 'Berubah pikiran'},
                    {'decision': 'waived', 'reason': 'Alasan lain'}):
        response = client.post(url, json=payload, headers=headers)
        assert response.status_code == 409
    db.session.expire_all()
    stored = db.session.get(SanctionRecord, record['id'])
    assert (stored.status, stored.decision_reason) == ('waived', 'Listrik kantor padam seharian')

    note = client.post(f'/api/v1/sanctions/{record["id"]}/notes', json={'body': 'Dikonfirmasi PLN.'},
                       headers=headers)
    assert note.status_code == 201
    assert [n['body'] for n in note.json['notes']] == ['Dikonfirmasi PLN.']
    assert note.json['status'] == 'waived'


def test_a_decided_record_cannot_be_edited_even_below_the_api(db, make, breached, clock):
    dinsos, _ = breached
    record = db.session.scalar(sa.select(SanctionRecord))
    from sla.operations import decide_sanction
    decide_sanction(record, dinsos.head, 'confirmed', 'Tidak ada alasan', now=clock.now)
    db.session.flush()
    record.decision_reason = 'diam-diam diubah'
    with pytest.raises(ValueError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SanctionNote)) == 0


def test_a_supervisor_cannot_decide_their_own_record(client, db, make, clock):
    dinsos = make.agency('DINSOS')
    ticket = make.ticket(make.category(dinsos))
    from complaints.operations import assign
    assign(ticket, dinsos.head, dinsos.head.email, now=clock.now)
    sweep(now=clock.now + timedelta(hours=5))
    db.session.commit()
    record = db.session.scalar(sa.select(SanctionRecord))
    response = client.post(f'/api/v1/sanctions/{record.id}/decision',
                           json={'decision': 'waived', 'reason': 'Saya sibuk'}, headers=make.headers(dinsos.head))
    assert response.status_code == 403
