"""The officer inbox: most urgent first, live countdowns, filters, new-ticket banner and pagination."""
import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from complaints.operations import assign, change_status, reply
from tests.web.helpers import sign_in, sign_in_client


def codes_on(page):
    return page.locator('tbody tr').evaluate_all('rows => rows.map(r => r.dataset.code)')


CODE_LINK = re.compile(r'href="/petugas/tiket/([2-9A-Z]{4}-[2-9A-Z]{4})"')


def codes_in(html):
    return CODE_LINK.findall(html)


# -- in a browser ------------------------------------------------------------------------------------

def test_the_most_urgent_ticket_is_on_top_and_the_countdowns_tick(page, live_server, make_committed, committed_db,
                                                                  clock):
    dinsos, pupr = make_committed.agency('DINSOS'), make_committed.agency('PUPR')
    bansos = make_committed.category(dinsos, 'bansos')
    late = make_committed.ticket(bansos)                     # due 13.00 WIB
    clock.advance(timedelta(hours=1, seconds=2))
    edge = make_committed.ticket(bansos)                     # due 14.00.02 WIB
    clock.advance(timedelta(hours=3, minutes=59, seconds=58))
    fresh = make_committed.ticket(bansos, channel='whatsapp')  # now: 14.00 WIB, due 18.00 WIB
    theirs = make_committed.ticket(make_committed.category(pupr, 'jalan'))
    committed_db.session.commit()

    sign_in(page, live_server, dinsos.duty_officer.email)
    assert page.url.endswith('/petugas/')
    assert codes_on(page) == [late.tracking_code, edge.tracking_code, fresh.tracking_code]
    middle = page.locator(f'#tiket-{edge.tracking_code} .countdown')
    expect(middle).to_have_class(re.compile(r'\bsla-at_risk\b'))
    assert theirs.tracking_code not in page.content(), "another agency's tickets are not shown"

    top = page.locator(f'#tiket-{late.tracking_code}')
    expect(top.locator('.countdown')).to_have_class(re.compile(r'\bsla-breached\b'))
    expect(top.locator('.countdown')).to_have_text(re.compile(r'^terlambat 1:00:\d\d$'))
    expect(top).to_contain_text('09.00 WIB, Senin 23 November 2026')
    bottom = page.locator(f'#tiket-{fresh.tracking_code}')
    expect(bottom.locator('.countdown')).to_have_class(re.compile(r'\bsla-on_track\b'))
    expect(bottom.locator('.countdown')).to_have_text(re.compile(r'^sisa (4:00:00|3:59:\d\d)$'))
    expect(bottom).to_contain_text('WhatsApp')
    expect(bottom).to_contain_text('Baru')

    # Two seconds from its deadline when the page was drawn: the script turns it late without a reload.
    expect(middle).to_have_class(re.compile(r'\bsla-breached\b'), timeout=5000)
    expect(middle).to_have_text(re.compile(r'^terlambat 0:00:0\d$'))


def test_filters_search_and_my_tickets_narrow_the_list(page, live_server, make_committed, committed_db, clock):
    dinsos = make_committed.agency('DINSOS')
    bansos, kependudukan = make_committed.category(dinsos, 'bansos'), make_committed.category(dinsos, 'ktp')
    officer = dinsos.duty_officer
    late = make_committed.ticket(bansos, phone='+6281200002222')
    clock.advance(timedelta(hours=5))
    working = make_committed.ticket(kependudukan, channel='sms')
    change_status(working, officer, 'in_progress', None, now=clock.now)
    mine = make_committed.ticket(bansos, description='Jalan berlubang di depan pasar, mohon ditambal.')
    assign(mine, officer, officer.email, now=clock.now)
    done = make_committed.ticket(bansos, phone='+6281200002222')
    change_status(done, officer, 'rejected', 'Laporan ganda', now=clock.now)
    committed_db.session.commit()
    everything = [late.tracking_code, working.tracking_code, mine.tracking_code]

    sign_in(page, live_server, officer.email)
    assert codes_on(page) == everything, 'the open tickets; the rejected one is not'

    page.get_by_label('Status').select_option(label='Diproses')
    page.get_by_role('button', name='Terapkan').click()
    assert codes_on(page) == [working.tracking_code]
    assert 'status=in_progress' in page.url

    page.goto(f'{live_server}/petugas/')
    page.get_by_label('Batas respons').select_option(label='Terlambat')
    page.get_by_role('button', name='Terapkan').click()
    assert codes_on(page) == [late.tracking_code]

    page.goto(f'{live_server}/petugas/')
    page.get_by_label('Kategori').select_option('ktp')
    page.get_by_role('button', name='Terapkan').click()
    assert codes_on(page) == [working.tracking_code]

    page.goto(f'{live_server}/petugas/')
    page.get_by_label('Kanal').select_option(label='SMS')
    page.get_by_role('button', name='Terapkan').click()
    assert codes_on(page) == [working.tracking_code]

    page.get_by_role('link', name='Hapus filter').click()
    page.get_by_label('Cari').fill(mine.tracking_code.lower().replace('-', ' '))
    page.get_by_role('button', name='Terapkan').click()
    assert codes_on(page) == [mine.tracking_code]

    page.get_by_label('Cari').fill('berlubang')
    page.get_by_role('button', name='Terapkan').click()
    assert codes_on(page) == [mine.tracking_code]

    # A phone number finds the resident's tickets, the rejected one included.
    page.get_by_label('Cari').fill('0812 0000 2222')
    page.get_by_role('button', name='Terapkan').click()
    assert codes_on(page) == [late.tracking_code, done.tracking_code]

    page.get_by_role('link', name='Tiket saya').click()
    assert codes_on(page) == [mine.tracking_code]
    expect(page.locator(f'#tiket-{mine.tracking_code}')).to_contain_text('Piket DINSOS')


def test_a_new_ticket_shows_the_banner_while_the_page_is_open(page, live_server, make_committed, committed_db,
                                                             clock, app, monkeypatch):
    monkeypatch.setitem(app.config, 'INBOX_POLL_SECONDS', 0.3)
    dinsos, pupr = make_committed.agency('DINSOS'), make_committed.agency('PUPR')
    bansos = make_committed.category(dinsos, 'bansos')
    first = make_committed.ticket(bansos)
    jalan = make_committed.category(pupr, 'jalan')
    committed_db.session.commit()

    sign_in(page, live_server, dinsos.duty_officer.email)
    assert codes_on(page) == [first.tracking_code]
    banner = page.locator('#tiket-baru')
    page.wait_for_timeout(700)  # two polls, nothing new
    expect(banner).to_be_hidden()

    clock.advance(timedelta(minutes=1))
    make_committed.ticket(jalan)  # another agency's: not counted
    second = make_committed.ticket(bansos)
    committed_db.session.commit()
    expect(banner).to_be_visible()
    expect(banner).to_have_text('1 tiket baru — muat ulang')
    banner.get_by_role('link').click()
    assert codes_on(page) == [first.tracking_code, second.tracking_code]
    expect(banner).to_be_hidden()


# -- without a browser -------------------------------------------------------------------------------

def test_the_new_tickets_endpoint_counts_only_the_users_view(client, make, db, clock):
    dinsos, pupr = make.agency('DINSOS'), make.agency('PUPR')
    bansos = make.category(dinsos, 'bansos')
    make.ticket(bansos)
    since = clock.now
    clock.advance(timedelta(seconds=30))
    make.ticket(make.category(pupr, 'jalan'))
    newer = make.ticket(bansos)
    db.session.commit()

    assert '/masuk' in client.get('/petugas/baru?since=2026-11-23T02:00:00Z').headers['Location']
    sign_in_client(client, dinsos.duty_officer)
    response = client.get('/petugas/baru', query_string={'since': since.isoformat()})
    assert response.get_json() == {'count': 1, 'label': '1'}
    response = client.get('/petugas/baru', query_string={'since': newer.received_dt.isoformat()})
    assert response.get_json()['count'] == 0
    assert client.get('/petugas/baru?since=kemarin').status_code == 422

    admin = make.user(dinsos, 'admin')
    sign_in_client(client, admin)
    assert client.get('/petugas/baru', query_string={'since': since.isoformat()}).get_json()['count'] == 2


def test_pages_follow_one_another_without_counting_the_table(client, make, db, clock, app):
    dinsos = make.agency('DINSOS')
    bansos = make.category(dinsos, 'bansos')
    officer = dinsos.duty_officer
    tickets = []
    for _ in range(5):
        tickets.append(make.ticket(bansos))
        clock.advance(timedelta(minutes=1))
    # Answered tickets come after every unanswered one, by their resolution deadline.
    reply(tickets[0], officer, 'Sedang kami proses.', now=clock.now)
    db.session.commit()
    order = [t.tracking_code for t in tickets[1:] + tickets[:1]]
    sign_in_client(client, officer)

    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, 'before_cursor_execute', record)
    try:
        first = client.get('/petugas/?limit=2').get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, 'before_cursor_execute', record)
    assert codes_in(first) == order[:2]
    assert 'Sebelumnya' not in first
    reads = [(s, p) for s, p in statements if 'FROM tickets' in s and 'count(' not in s.lower()]
    assert not [s for s, _ in statements if 'count(' in s.lower() and 'tickets' in s], 'no COUNT over tickets'
    assert any('LIMIT' in s for s, _ in reads)
    if db.engine.dialect.name == 'sqlite':
        inbox_read = next(s for s, _ in reads if 'LIMIT' in s)
        params = next(p for s, p in reads if s == inbox_read)
        plan = db.session.connection().exec_driver_sql(f'EXPLAIN QUERY PLAN {inbox_read}', params).all()
        assert 'ix_tickets_inbox' in ' '.join(str(row) for row in plan)

    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace('&amp;', '&')
    second = client.get(next_link).get_data(as_text=True)
    assert codes_in(second) == order[2:4]
    third = client.get(re.search(r'href="([^"]+)" rel="next"', second).group(1).replace('&amp;', '&'))
    third = third.get_data(as_text=True)
    assert codes_in(third) == order[4:]
    assert 'rel="next"' not in third
    back = client.get(re.search(r'href="([^"]+)" rel="prev"', third).group(1).replace('&amp;', '&'))
    assert codes_in(back.get_data(as_text=True)) == order[2:4]
    assert 'dijawab' in third

    # A filter survives the page links; nonsense in the query string is ignored, not a crash.
    filtered = client.get('/petugas/?limit=1&sla=on_track').get_data(as_text=True)
    assert 'sla=on_track' in re.search(r'href="([^"]+)" rel="next"', filtered).group(1)
    response = client.get('/petugas/?limit=abc&status=kacau&after=zzz')
    assert response.status_code == 200
    assert codes_in(response.get_data(as_text=True)) == order
    assert 'Sebagian filter tidak valid dan diabaikan.' in response.get_data(as_text=True)


def test_admins_see_every_agency_and_strangers_sign_in(client, make, db):
    dinsos, pupr = make.agency('DINSOS'), make.agency('PUPR')
    mine = make.ticket(make.category(dinsos, 'bansos'))
    theirs = make.ticket(make.category(pupr, 'jalan'))
    db.session.commit()
    assert '/masuk' in client.get('/petugas/').headers['Location']

    sign_in_client(client, pupr.head)
    assert codes_in(client.get('/petugas/').get_data(as_text=True)) == [theirs.tracking_code]
    sign_in_client(client, make.user(dinsos, 'admin'))
    assert set(codes_in(client.get('/petugas/').get_data(as_text=True))) == {mine.tracking_code, theirs.tracking_code}
    assert codes_in(client.get('/petugas/?agency=pupr').get_data(as_text=True)) == [theirs.tracking_code]
