"""The supervisor desk, the compliance page and the CSV exports, as a supervisor sees them."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from complaints.models import RESOLVED
from complaints.operations import change_status, reply
from sla.models import Escalation, SanctionRecord
from sla.operations import sweep
from sla.reports import EXPORT_HEADERS
from tests.web.helpers import sign_in, sign_in_client


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def csrf_token(client, path='/supervisor/'):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


class _Tables(HTMLParser):
    """Every table row of a page as a list of its cells' text."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == 'tr':
            self._row = []
        elif tag in ('td', 'th') and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self._cell is not None:
            self._row.append(' '.join(''.join(self._cell).split()))
            self._cell = None
        elif tag == 'tr' and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html):
    parser = _Tables()
    parser.feed(html)
    return parser.rows


# -- in a browser ------------------------------------------------------------------------------------


def test_a_supervisor_acknowledges_the_escalation_and_waives_the_sanction(page, live_server, make_committed,
                                                                          committed_db, clock):
    dinsos = make_committed.agency('DINSOS')
    ticket = make_committed.ticket(make_committed.category(dinsos, 'bansos'))  # 09.00 WIB
    clock.advance(timedelta(hours=4, minutes=1))
    sweep(now=clock.now)
    committed_db.session.commit()
    code = ticket.tracking_code

    sign_in(page, live_server, dinsos.head.email)
    assert page.url.endswith('/supervisor/')
    escalation = page.locator('#eskalasi li', has_text=code)
    expect(escalation).to_contain_text('Respons · Tingkat 1')
    expect(escalation).to_contain_text('Piket DINSOS')
    record = page.locator('#sanksi li', has_text=code)
    for evidence in ('Menunggu keputusan', 'Piket DINSOS', 'petugas piket', '09.00 WIB, Senin 23 November 2026',
                     '13.00 WIB, Senin 23 November 2026', '13.01 WIB, Senin 23 November 2026', 'belum dijawab'):
        expect(record).to_contain_text(evidence)

    escalation.get_by_role('button', name='Akui').click()
    expect(page.get_by_text(f'Eskalasi {code} diakui.')).to_be_visible()
    expect(page.locator('#eskalasi li', has_text=code)).to_have_count(0)

    record.get_by_role('button', name='Bebaskan sanksi').click()  # no reason given
    expect(page.get_by_text('Alasan keputusan wajib diisi')).to_be_visible()
    expect(record).to_contain_text('Menunggu keputusan')
    expect(page.locator('#diputuskan li')).to_have_count(0)

    record.get_by_label('Alasan keputusan (wajib)').fill('Listrik kantor padam seharian')
    record.get_by_role('button', name='Bebaskan sanksi').click()
    expect(page.get_by_text(f'Catatan sanksi {code}: Dibebaskan.')).to_be_visible()
    expect(page.locator('#sanksi li', has_text=code)).to_have_count(0)
    decided = page.locator('#diputuskan li', has_text=code)
    for shown in ('Dibebaskan', 'Kepala DINSOS', 'Listrik kantor padam seharian', '13.01 WIB, Senin 23 November 2026'):
        expect(decided).to_contain_text(shown)
    expect(decided.get_by_role('button', name='Bebaskan sanksi')).to_have_count(0)
    expect(decided.get_by_role('button', name='Konfirmasi sanksi')).to_have_count(0)
    expect(decided.get_by_label('Alasan keputusan (wajib)')).to_have_count(0)

    decided.get_by_label('Catatan tambahan').fill('Sudah dicek dengan PLN.')
    decided.get_by_role('button', name='Tambah catatan').click()
    expect(page.locator('#diputuskan li', has_text=code)).to_contain_text('Sudah dicek dengan PLN.')

    status, reason, acknowledged = committed_db.session.execute(
        sa.select(SanctionRecord.status, SanctionRecord.decision_reason, Escalation.acknowledged_dt)
        .join(Escalation, Escalation.id == SanctionRecord.escalation_id)).one()
    assert (status, reason, acknowledged) == ('waived', 'Listrik kantor padam seharian', clock.now)


# -- without a browser ---------------------------------------------------------------------------------

@pytest.fixture
def breached(db, make, clock):
    """DINSOS and PUPR, each with a ticket left unanswered past its deadline, swept."""
    dinsos, pupr = make.agency('DINSOS'), make.agency('PUPR')
    mine = make.ticket(make.category(dinsos, 'bansos'))
    theirs = make.ticket(make.category(pupr, 'jalan'))
    clock.advance(timedelta(hours=4, minutes=1))
    sweep(now=clock.now)
    db.session.commit()
    return dinsos, pupr, mine, theirs


def _record(db, ticket):
    db.session.expire_all()
    return db.session.scalar(sa.select(SanctionRecord).where(SanctionRecord.ticket_id == ticket.id))


def test_officers_get_403_and_strangers_the_sign_in_page(client, breached):
    dinsos, *_ = breached
    for path in ('/supervisor/', '/supervisor/kepatuhan', '/supervisor/ekspor/tickets.csv',
                 '/supervisor/ekspor/escalations.csv', '/supervisor/ekspor/sanctions.csv'):
        assert '/masuk' in client.get(path).headers['Location'], path
    sign_in_client(client, dinsos.duty_officer)
    for path in ('/supervisor/', '/supervisor/kepatuhan', '/supervisor/ekspor/tickets.csv',
                 '/supervisor/ekspor/escalations.csv', '/supervisor/ekspor/sanctions.csv'):
        assert client.get(path).status_code == 403, path


def test_an_officer_cannot_decide_even_with_a_token(client, db, breached):
    dinsos, _, mine, _ = breached
    sign_in_client(client, dinsos.duty_officer)
    token = csrf_token(client, '/petugas/')
    record = _record(db, mine)
    response = client.post(f'/supervisor/sanksi/{record.id}/keputusan',
                           data={'csrf_token': token, 'decision': 'waived', 'reason': 'Saya sendiri'})
    assert response.status_code == 403
    assert _record(db, mine).status == 'pending'


def test_another_agencys_supervisor_does_not_see_the_records(client, db, breached):
    dinsos, pupr, mine, theirs = breached
    sign_in_client(client, pupr.head)
    page = client.get('/supervisor/').get_data(as_text=True)
    assert theirs.tracking_code in page
    assert mine.tracking_code not in page

    token = csrf_token(client)
    record = _record(db, mine)
    response = client.post(f'/supervisor/sanksi/{record.id}/keputusan',
                           data={'csrf_token': token, 'decision': 'waived', 'reason': 'Bukan urusan saya'})
    assert response.status_code == 404
    escalation_id = db.session.scalar(sa.select(Escalation.id).where(Escalation.ticket_id == mine.id,
                                                                     Escalation.level == 1))
    assert client.post(f'/supervisor/eskalasi/{escalation_id}/akui',
                       data={'csrf_token': token}).status_code == 404
    assert client.post(f'/supervisor/sanksi/{record.id}/catatan',
                       data={'csrf_token': token, 'body': 'Halo'}).status_code == 404
    record = _record(db, mine)
    assert (record.status, record.notes) == ('pending', [])
    assert db.session.get(Escalation, escalation_id).acknowledged_dt is None

    rows = table_rows(client.get('/supervisor/kepatuhan').get_data(as_text=True))
    assert [row[0] for row in rows if row[0].startswith(('DINSOS', 'PUPR'))] == ['PUPR Dinas Uji PUPR']


def test_an_admin_sees_every_agency(client, make, breached):
    dinsos, pupr, mine, theirs = breached
    admin = make.user(dinsos, 'admin')
    sign_in_client(client, admin)
    page = client.get('/supervisor/').get_data(as_text=True)
    assert mine.tracking_code in page and theirs.tracking_code in page
    rows = table_rows(client.get('/supervisor/kepatuhan').get_data(as_text=True))
    assert [row[0] for row in rows if row[0].startswith(('DINSOS', 'PUPR', 'Semua'))] == [
        'DINSOS Dinas Uji DINSOS', 'PUPR Dinas Uji PUPR', 'Semua instansi']


def test_a_decision_without_its_csrf_token_is_refused(client, db, breached):
    dinsos, _, mine, _ = breached
    sign_in_client(client, dinsos.head)
    record = _record(db, mine)
    response = client.post(f'/supervisor/sanksi/{record.id}/keputusan',
                           data={'decision': 'waived', 'reason': 'Listrik padam'})
    assert response.status_code == 400
    assert 'CSRF' in response.get_data(as_text=True)
    response = client.post(f'/supervisor/sanksi/{record.id}/keputusan',
                           data={'decision': 'waived', 'reason': 'Listrik padam', 'csrf_token': 'palsu'})
    assert response.status_code == 400
    assert _record(db, mine).status == 'pending'


def test_a_decision_is_final_and_needs_a_reason(client, db, breached):
    dinsos, _, mine, _ = breached
    sign_in_client(client, dinsos.head)
    token = csrf_token(client)
    url = f'/supervisor/sanksi/{_record(db, mine).id}/keputusan'

    for data in ({'decision': 'waived', 'reason': '   '}, {'decision': 'waived'}, {'decision': 'dimaafkan',
                                                                                      'reason': 'x'}):
        response = client.post(url, data={'csrf_token': token, **data}, follow_redirects=True)
        assert response.status_code == 200
        assert 'belum diputuskan' in response.get_data(as_text=True), data
        assert _record(db, mine).status == 'pending'

    client.post(url, data={'csrf_token': token, 'decision': 'confirmed', 'reason': 'Tidak ada alasan sah'})
    assert (_record(db, mine).status, _record(db, mine).decision_reason) == ('confirmed', 'Tidak ada alasan sah')
    page = client.post(url, data={'csrf_token': token, 'decision': 'waived', 'reason': 'Berubah pikiran'},
                       follow_redirects=True).get_data(as_text=True)
    assert 'already confirmed' in page
    assert (_record(db, mine).status, _record(db, mine).decision_reason) == ('confirmed', 'Tidak ada alasan sah')
    assert f'/supervisor/sanksi/{_record(db, mine).id}/keputusan' not in page, 'no decision form any more'


@pytest.fixture
def period_world(db, make, clock):
    """Tickets of DINSOS before, inside and after the week of 16-22 November 2026 (WIB), and one of PUPR."""
    dinsos, pupr = make.agency('DINSOS'), make.agency('PUPR')
    bansos, jalan = make.category(dinsos, 'bansos'), make.category(pupr, 'jalan')
    petugas = next(u for u in dinsos.staff if u.name == 'Petugas DINSOS')

    def filed(category, dt):
        clock.set(dt)
        return make.ticket(category)

    before = filed(bansos, utc(2026, 11, 2, 2))
    sweep(now=utc(2026, 11, 2, 10, 1))
    reply(before, petugas, 'Maaf.', now=utc(2026, 11, 2, 11))
    change_status(before, petugas, RESOLVED, None, now=utc(2026, 11, 2, 12))
    late = filed(bansos, utc(2026, 11, 16, 2))  # 09.00 WIB Monday
    sweep(now=utc(2026, 11, 16, 6, 1))
    reply(late, petugas, 'Maaf terlambat.', now=utc(2026, 11, 16, 7))  # 300 min
    road = filed(jalan, utc(2026, 11, 18, 2))
    sweep(now=utc(2026, 11, 18, 6, 1))
    quick = filed(bansos, utc(2026, 11, 20, 2))
    reply(quick, petugas, 'Kami cek.', now=utc(2026, 11, 20, 2, 30))  # 30 min
    sunday_night = filed(bansos, utc(2026, 11, 22, 16, 59))  # 23.59 WIB Sunday: inside
    monday = filed(bansos, utc(2026, 11, 22, 17))  # 00.00 WIB Monday 23: outside
    clock.set(utc(2026, 11, 23, 2))
    db.session.commit()
    return dinsos, pupr, {'before': before, 'late': late, 'road': road, 'quick': quick,
                          'sunday_night': sunday_night, 'monday': monday}


def _csv(client, kind, query='?from=2026-11-16&to=2026-11-22'):
    response = client.get(f'/supervisor/ekspor/{kind}.csv{query}')
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed, 'a generator, not a file built in memory'  # before reading it
    return response, list(csv.reader(io.StringIO(response.get_data().decode('utf-8'))))


def test_the_csv_exports_hold_exactly_the_agencys_rows_in_the_period(client, period_world):
    dinsos, pupr, t = period_world
    sign_in_client(client, dinsos.head)

    response, rows = _csv(client, 'tickets')
    assert response.mimetype == 'text/csv' and response.mimetype_params['charset'] == 'utf-8'
    assert response.headers['Content-Disposition'] == \
        'attachment; filename="tanggap-tickets-2026-11-16-2026-11-22.csv"'
    header, *body = rows
    assert header == list(EXPORT_HEADERS['tickets'])
    assert [r[0] for r in body] == [t['late'].tracking_code, t['quick'].tracking_code,
                                    t['sunday_night'].tracking_code]
    late = dict(zip(header, body[0]))
    assert (late['agency'], late['received_at'], late['response_due_at'], late['first_response_at'],
            late['response_minutes'], late['answered_in_time'], late['first_response_by']) == (
        'DINSOS', '2026-11-16T09:00:00+07:00', '2026-11-16T13:00:00+07:00', '2026-11-16T14:00:00+07:00', '300',
        'no', next(u.email for u in dinsos.staff if u.name == 'Petugas DINSOS'))
    assert dict(zip(header, body[1]))['answered_in_time'] == 'yes'
    assert dict(zip(header, body[2]))['first_response_at'] == ''

    _, (header, *body) = _csv(client, 'escalations')
    assert header == list(EXPORT_HEADERS['escalations'])
    assert [(r[1], r[3], r[4], r[6]) for r in body] == [
        (t['late'].tracking_code, 'response', '1', '2026-11-16T13:01:00+07:00')]

    _, (header, *body) = _csv(client, 'sanctions')
    assert header == list(EXPORT_HEADERS['sanctions'])
    assert [(r[1], r[2], r[3], r[9]) for r in body] == [
        (t['late'].tracking_code, 'DINSOS', dinsos.duty_officer.email, 'pending')]


def test_an_admin_exports_every_agency_and_bad_dates_are_refused(client, make, period_world):
    dinsos, pupr, t = period_world
    sign_in_client(client, make.user(dinsos, 'admin'))
    _, (_, *body) = _csv(client, 'escalations')
    assert sorted((r[1], r[2], r[4]) for r in body) == sorted([(t['late'].tracking_code, 'DINSOS', '1'),
                                                               (t['road'].tracking_code, 'PUPR', '1')])
    assert client.get('/supervisor/ekspor/tickets.csv?from=2026-11-30&to=2026-11-01').status_code == 422
    assert client.get('/supervisor/ekspor/tickets.csv?from=kemarin').status_code == 422
    assert client.get('/supervisor/ekspor/residents.csv').status_code == 404


def test_the_compliance_page_shows_the_figures_and_the_weekly_charts(client, period_world):
    dinsos, *_ = period_world
    sign_in_client(client, dinsos.head)
    html = client.get('/supervisor/kepatuhan?from=2026-11-16&to=2026-11-22').get_data(as_text=True)
    rows = table_rows(html)
    # late (300 min, breached), quick (30 min), sunday_night (unanswered, past its deadline): 1 of 3 in time.
    # Backlog: the three, plus Monday's ticket; the ticket before the period is resolved.
    assert ['DINSOS Dinas Uji DINSOS', '3', '33,3% 1 dari 3', '2 jam 45 menit', '4 jam 33 menit', '1', '4'] in rows
    assert ['Petugas DINSOS', '2', '50% 1 dari 2', '2 jam 45 menit', '4 jam 33 menit', '0', '0'] in rows
    assert ['Piket DINSOS', '0', '– 0 dari 0', '–', '–', '1', '4'] in rows  # the breach, and the unassigned backlog
    assert ['Tanpa petugas', '1', '0% 0 dari 1', '–', '–', '0', '0'] in rows
    assert 'Minggu 47 (mulai 16 Nov 2026): 33,3% dijawab tepat waktu (1 dari 3)' in html
    assert 'Minggu 47 (mulai 16 Nov 2026): 1 pelanggaran dari 3 tiket' in html
    assert html.count('<svg class="sv-chart"') == 2
    assert 'href="/supervisor/ekspor/sanctions.csv?from=2026-11-16&amp;to=2026-11-22"' in html


def test_the_compliance_page_defaults_to_the_last_eight_weeks(client, breached):
    dinsos, *_ = breached
    sign_in_client(client, dinsos.head)
    html = client.get('/supervisor/kepatuhan').get_data(as_text=True)
    assert 'name="from" value="2026-10-05"' in html and 'name="to" value="2026-11-23"' in html
    assert len(re.findall(r'<title>Minggu \d+ \(mulai [^)]*\): \d+ pelanggaran', html)) == 8
    html = client.get('/supervisor/kepatuhan?from=2026-11-30&to=2026-11-01').get_data(as_text=True)
    assert 'Periode tidak valid' in html and 'name="from" value="2026-10-05"' in html
