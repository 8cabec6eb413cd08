"""The sweep: warnings, escalations and sanction records, each exactly once, at the right moment."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from complaints.operations import assign, change_status, reply, transfer
from notifications.models import OutboxMessage
from sla.models import Escalation, SanctionRecord
from sla.operations import sweep


@pytest.fixture
def dinsos(make):
    agency = make.agency('DINSOS')
    agency.supervisor2 = make.user(agency, 'supervisor', name='Wakil Kepala')
    return agency


@pytest.fixture
def ticket(make, dinsos):
    return make.ticket(make.category(dinsos, 'bansos'))


def escalations(db):
    return sorted((e.kind, e.level) for e in db.session.scalars(sa.select(Escalation)))


def alerts(db, template):
    return sorted(m.address for m in db.session.scalars(sa.select(OutboxMessage)
                                                        .where(OutboxMessage.template == template)))


def test_nothing_before_the_warning(db, ticket, clock):
    report = sweep(now=clock.now + timedelta(hours=2, minutes=59))
    assert report.lines == [] and escalations(db) == []


def test_at_3h59_only_the_warning_reaches_the_responsible_officer(db, ticket, dinsos, clock):
    report = sweep(now=clock.now + timedelta(hours=3, minutes=59))
    assert escalations(db) == [('warning', 0)]
    assert report.warnings == 1 and report.escalations == 0
    assert alerts(db, 'warning') == [dinsos.duty_officer.phone or dinsos.duty_officer.email]
    assert db.session.scalar(sa.select(SanctionRecord)) is None


def test_at_4h01_level1_goes_to_supervisors_and_the_duty_officer_is_sanctioned(db, ticket, dinsos, clock):
    sweep(now=clock.now + timedelta(hours=3, minutes=59))
    at = clock.now + timedelta(hours=4, minutes=1)
    report = sweep(now=at)

    assert escalations(db) == [('response', 1), ('warning', 0)]
    assert report.escalations == 1 and report.sanctions == 1
    assert alerts(db, 'escalation') == sorted([dinsos.head.email, dinsos.supervisor2.email])
    record = db.session.scalar(sa.select(SanctionRecord))
    assert record.officer == dinsos.duty_officer
    assert record.responsibility == 'duty_officer'
    assert (record.received_dt, record.due_dt, record.breached_dt) == (
        ticket.received_dt, ticket.received_dt + timedelta(hours=4), at)
    assert record.status == 'pending'
    [escalation_alert] = [m for m in db.session.scalars(sa.select(OutboxMessage)
                                                        .where(OutboxMessage.template == 'escalation'))][:1]
    assert ticket.tracking_code in escalation_alert.body


def test_at_8h01_level2_reaches_the_agency_head(db, ticket, dinsos, clock):
    sweep(now=clock.now + timedelta(hours=4, minutes=1))
    report = sweep(now=clock.now + timedelta(hours=8, minutes=1))
    assert escalations(db) == [('response', 1), ('response', 2), ('warning', 0)] or \
        escalations(db) == [('response', 1), ('response', 2)]
    assert report.escalations == 1 and report.sanctions == 0
    level2 = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == 'escalation')
                                .order_by(OutboxMessage.id)).all()[-1]
    assert level2.user_id == dinsos.head.id


def test_a_late_first_sweep_fires_each_level_once_and_skips_the_stale_warning(db, ticket, clock):
    report = sweep(now=clock.now + timedelta(hours=8, minutes=1))
    assert escalations(db) == [('response', 1), ('response', 2)]
    assert report.sanctions == 1 and report.warnings == 0


def test_sweeping_twice_records_nothing_twice(db, ticket, clock):
    for _ in range(3):
        sweep(now=clock.now + timedelta(hours=4, minutes=1))
        sweep(now=clock.now + timedelta(hours=8, minutes=1))
    assert escalations(db) == [('response', 1), ('response', 2)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SanctionRecord)) == 1
    assert len(alerts(db, 'escalation')) == 3  # two supervisors at level 1, the head at level 2


def test_the_unique_constraint_refuses_a_second_row_for_the_same_level(db, ticket, dinsos, clock):
    from sqlalchemy.exc import IntegrityError
    sweep(now=clock.now + timedelta(hours=4, minutes=1))
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Escalation(ticket_id=ticket.id, kind='response', level=1, agency_id=dinsos.id,
                                      threshold_dt=clock.now, recorded_dt=clock.now))
            db.session.flush()


def test_an_answered_ticket_is_never_escalated(db, ticket, dinsos, clock):
    reply(ticket, dinsos.duty_officer, 'Sedang kami periksa.', now=clock.now + timedelta(hours=3, minutes=58))
    report = sweep(now=clock.now + timedelta(hours=9))
    assert escalations(db) == [] and report.lines == []


def test_resolved_or_rejected_tickets_are_not_escalated(db, make, dinsos, clock):
    category = make.category(dinsos)
    resolved, rejected = make.ticket(category), make.ticket(category)
    change_status(resolved, dinsos.duty_officer, 'resolved', None, now=clock.now + timedelta(hours=1))
    change_status(rejected, dinsos.duty_officer, 'rejected', 'Bukan wewenang kami', now=clock.now)
    sweep(now=clock.now + timedelta(days=30))
    assert escalations(db) == []


def test_a_note_assignment_or_status_change_does_not_stop_the_clock(db, ticket, dinsos, clock):
    from complaints.operations import add_note
    officer = make_officer = dinsos.duty_officer
    add_note(ticket, officer, 'Nanti saya cek.', now=clock.now + timedelta(hours=1))
    change_status(ticket, officer, 'in_progress', None, now=clock.now + timedelta(hours=1))
    assign(ticket, officer, make_officer.email, now=clock.now + timedelta(hours=2))
    sweep(now=clock.now + timedelta(hours=4, minutes=1))
    assert ('response', 1) in escalations(db)


def test_sanction_names_the_assignee_at_the_moment_of_breach(db, make, ticket, dinsos, clock):
    pupr = make.agency('PUPR')
    petugas = make.user(dinsos, 'officer', name='Budi Santoso')
    assign(ticket, dinsos.head, petugas.email, now=clock.now + timedelta(hours=1))
    sweep(now=clock.now + timedelta(hours=4, minutes=1))
    # After the breach the ticket moves on; the record keeps who was responsible then.
    transfer(ticket, dinsos.head, 'PUPR', 'Salah kirim', now=clock.now + timedelta(hours=5))
    record = db.session.scalar(sa.select(SanctionRecord))
    assert (record.officer, record.responsibility, record.agency) == (petugas, 'assignee', dinsos)
    assert ticket.agency == pupr


def test_blame_after_a_transfer_lands_on_the_new_agency(db, make, ticket, dinsos, clock):
    pupr = make.agency('PUPR')
    transfer(ticket, dinsos.duty_officer, 'PUPR', 'Urusan jalan', now=clock.now + timedelta(hours=1))
    sweep(now=clock.now + timedelta(hours=4, minutes=1))
    record = db.session.scalar(sa.select(SanctionRecord))
    assert (record.officer, record.agency) == (pupr.duty_officer, pupr)
    assert alerts(db, 'escalation') == [pupr.head.email]


def test_resolution_deadline_breach_is_recorded_once_and_paused_while_waiting(db, make, dinsos, clock):
    category = make.category(dinsos, resolution_days=3)
    waiting = make.ticket(category)
    running = make.ticket(category)
    for t in (waiting, running):
        reply(t, dinsos.duty_officer, 'Kami proses.', now=clock.now + timedelta(minutes=10))
    change_status(waiting, dinsos.duty_officer, 'waiting_on_resident', 'Mohon kirim foto KTP',
                  now=clock.now + timedelta(minutes=20))
    after_due = running.resolution_due_dt + timedelta(minutes=1)
    sweep(now=after_due)
    sweep(now=after_due + timedelta(hours=1))
    rows = db.session.scalars(sa.select(Escalation)).all()
    assert [(r.ticket_id, r.kind) for r in rows] == [(running.id, 'resolution')]
    assert waiting.sla_next_dt is None, 'a paused ticket is not in the sweep index'

    change_status(waiting, dinsos.duty_officer, 'in_progress', None, now=after_due)
    assert waiting.resolution_due_dt > after_due, 'the pause is credited back'


def test_sweep_reads_only_tickets_with_a_pending_deadline(db, make, dinsos, clock):
    category = make.category(dinsos)
    tickets = [make.ticket(category) for _ in range(3)]
    for t in tickets[:2]:
        reply(t, dinsos.duty_officer, 'Siap.', now=clock.now)
    pending = db.session.scalars(sa.select(sa.text('id')).select_from(sa.table('tickets'))
                                 .where(sa.text('sla_next_dt IS NOT NULL'))).all()
    # Answered tickets still wait on their resolution deadline; nothing else is in the index.
    assert len(pending) == 3
    sweep(now=clock.now + timedelta(days=60))
    assert db.session.scalars(sa.select(sa.text('id')).select_from(sa.table('tickets'))
                              .where(sa.text('sla_next_dt IS NOT NULL'))).all() == []
