"""Compliance figures: share answered in time, median and p90 response time, breaches and backlog,
per agency, per officer and per ISO week, from tickets with known arrival and reply times."""
from datetime import datetime, timedelta, timezone

import pytest

from complaints.models import RESOLVED
from complaints.operations import assign, change_status, reply
from sla.operations import sweep
from sla.reports import Compliance, compliance_report, percentile, weekly_series


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


#: The period: Monday 16 to Monday 23 November 2026, local dates in WIB (UTC+7), as the view builds it.
START = utc(2026, 11, 15, 17)
END = utc(2026, 11, 23, 17)
#: Monday 23 November, 19.00 WIB.
NOW = utc(2026, 11, 23, 12)


@pytest.fixture
def city(db, make, clock):
    """DINSOS and PUPR with two weeks of tickets; comments give each ticket's fate."""
    dinsos, pupr = make.agency('DINSOS'), make.agency('PUPR')
    bansos, jalan = make.category(dinsos, 'bansos'), make.category(pupr, 'jalan')
    piket = dinsos.duty_officer
    [petugas] = [u for u in dinsos.staff if u.name == 'Petugas DINSOS']

    def filed(category, dt):
        clock.set(dt)
        return make.ticket(category)

    def resolve(ticket, dt):
        change_status(ticket, petugas, RESOLVED, None, now=dt)

    # Before the period: answered in 15 min by Petugas, still open (counts only in the backlog, on Piket).
    old = filed(bansos, utc(2026, 11, 9, 2))
    reply(old, petugas, 'Kami cek.', now=utc(2026, 11, 9, 2, 15))
    # ISO week 47.
    a = filed(bansos, utc(2026, 11, 16, 2))
    b = filed(bansos, utc(2026, 11, 16, 2))
    reply(a, petugas, 'Kami cek.', now=utc(2026, 11, 16, 2, 10))  # 10 min
    reply(b, petugas, 'Kami cek.', now=utc(2026, 11, 16, 2, 20))  # 20 min
    c = filed(bansos, utc(2026, 11, 17, 2))
    reply(c, piket, 'Kami cek.', now=utc(2026, 11, 17, 3))  # 60 min, by Piket
    road = filed(jalan, utc(2026, 11, 17, 2))  # PUPR: never answered
    d = filed(bansos, utc(2026, 11, 18, 2))
    sweep(now=utc(2026, 11, 18, 6, 1))  # d breaches on Piket (duty officer); PUPR's ticket at levels 1 and 2
    reply(d, petugas, 'Maaf terlambat.', now=utc(2026, 11, 18, 7))  # 300 min, late, answered by Petugas
    for ticket in (a, b, c):
        resolve(ticket, utc(2026, 11, 19, 2))
    # ISO week 48.
    e = filed(bansos, utc(2026, 11, 23, 2))  # never answered: breaches on Piket, still open
    g = filed(bansos, utc(2026, 11, 23, 3))
    reply(g, petugas, 'Kami cek.', now=utc(2026, 11, 23, 3, 30))  # 30 min
    resolve(g, utc(2026, 11, 23, 4))
    sweep(now=utc(2026, 11, 23, 6, 1))  # e's breach; also resolution breaches, which are not response breaches
    f = filed(bansos, utc(2026, 11, 23, 10))  # still inside its window at NOW
    assign(f, dinsos.head, petugas.email, now=utc(2026, 11, 23, 10, 5))
    db.session.flush()
    return dinsos, pupr, piket, petugas, {'old': old, 'road': road}


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([10, 20, 30, 60, 300], 0.5) == 30
    assert percentile([10, 20, 30, 60, 300], 0.9) == pytest.approx(204)
    assert percentile([10, 20, 30, 40], 0.5) == 25
    minutes = [timedelta(minutes=m) for m in (10, 20, 30, 300)]
    assert percentile(minutes, 0.9) == timedelta(minutes=219)


def test_agency_figures(city):
    dinsos, pupr, *_ = city
    report = compliance_report([dinsos.id], START, END, NOW)
    [row] = report.agencies
    assert row.code == 'DINSOS'
    # Seven tickets arrived (a b c d e f g); f is still inside its window, so six are measured;
    # a b c g were answered in time, d late, e never.
    assert row.stats == Compliance(
        received=7, measured=6, answered=5, answered_in_time=4,
        median_response=timedelta(minutes=30),  # of 10, 20, 30, 60, 300
        p90_response=timedelta(minutes=204),  # 60 + 0.6 * (300 - 60)
        breaches=2,  # d and e; level 2 and resolution escalations do not count
        backlog=4)  # d e f and the older ticket; a b c g are resolved
    assert row.stats.share_in_time == pytest.approx(4 / 6)
    assert report.total == row.stats, 'a supervisor sees only their agency'


def test_officer_figures_put_a_breach_on_the_officer_responsible_then(city):
    dinsos, pupr, piket, petugas, _ = city
    rows = {r.officer_name: r.stats for r in compliance_report([dinsos.id], START, END, NOW).officers}
    assert set(rows) == {'Petugas DINSOS', 'Piket DINSOS', None}
    # Petugas first answered a b d g; d was late but the breach was recorded against Piket.
    assert rows['Petugas DINSOS'] == Compliance(
        received=4, measured=4, answered=4, answered_in_time=3, median_response=timedelta(minutes=25),
        p90_response=timedelta(minutes=219), breaches=0, backlog=1)  # f is assigned to Petugas
    # Piket answered c, and e (never answered) falls on Piket, blamed at its breach; so does d's breach.
    assert rows['Piket DINSOS'] == Compliance(
        received=2, measured=2, answered=1, answered_in_time=1, median_response=timedelta(minutes=60),
        p90_response=timedelta(minutes=60), breaches=2, backlog=3)  # d, e and the old ticket: unassigned
    assert rows['Piket DINSOS'].share_in_time == 0.5
    # f: nobody answered it yet and its window is still open.
    assert rows[None] == Compliance(received=1)
    assert rows[None].share_in_time is None


def test_admins_see_every_agency_and_the_total(city):
    dinsos, pupr, *_ = city
    report = compliance_report([dinsos.id, pupr.id], START, END, NOW)
    assert [r.code for r in report.agencies] == ['DINSOS', 'PUPR']
    assert report.agencies[1].stats == Compliance(received=1, measured=1, breaches=1, backlog=1)
    assert report.agencies[1].stats.share_in_time == 0.0
    assert (report.total.received, report.total.measured, report.total.answered_in_time, report.total.breaches,
            report.total.backlog) == (8, 7, 4, 3, 5)
    assert report.total.median_response == timedelta(minutes=30)
    [pupr_officer] = [r for r in report.officers if r.agency_code == 'PUPR']
    assert pupr_officer.officer_name == 'Piket PUPR' and pupr_officer.stats.breaches == 1


def test_weekly_series(city):
    dinsos, *_ = city
    weeks = weekly_series([dinsos.id], START, END, NOW, 'Asia/Jakarta')
    assert [(w.iso_year, w.iso_week, w.monday.isoformat()) for w in weeks] == [
        (2026, 47, '2026-11-16'), (2026, 48, '2026-11-23')]
    # Week 47: a b c d, three in time, d breached. Week 48: e f g; f not measured, g in time, e breached.
    assert [(w.received, w.measured, w.answered_in_time, w.breaches) for w in weeks] == [(4, 4, 3, 1),
                                                                                         (3, 2, 1, 1)]
    assert [w.share_in_time for w in weeks] == [0.75, 0.5]


def test_weeks_follow_the_local_date(db, make, clock):
    """A ticket at 23.30 WIB on Sunday belongs to that week, though it is Sunday 16.30 in UTC either way;
    one at 00.30 WIB on Monday is the next week, though still Sunday in UTC."""
    dinsos = make.agency('DINSOS')
    category = make.category(dinsos)
    for dt in (utc(2026, 11, 22, 16, 30), utc(2026, 11, 22, 17, 30)):
        clock.set(dt)
        make.ticket(category)
    weeks = weekly_series([dinsos.id], START, END, NOW, 'Asia/Jakarta')
    assert [(w.iso_week, w.received) for w in weeks] == [(47, 1), (48, 1)]


def test_an_empty_period_gives_zeros(city):
    dinsos, pupr, *_ = city
    start, end = utc(2025, 12, 31, 17), utc(2026, 1, 14, 17)
    report = compliance_report([dinsos.id, pupr.id], start, end, NOW)
    assert [r.stats for r in report.agencies] == [Compliance(backlog=4), Compliance(backlog=1)], \
        'nothing arrived, but the open backlog is today\'s'
    assert report.total.share_in_time is None and report.total.median_response is None
    weeks = weekly_series([dinsos.id], start, end, NOW, 'Asia/Jakarta')
    assert [(w.iso_year, w.iso_week) for w in weeks] == [(2026, 1), (2026, 2), (2026, 3)]
    assert all((w.received, w.breaches, w.share_in_time) == (0, 0, None) for w in weeks)
    assert compliance_report([], start, end, NOW).agencies == []
