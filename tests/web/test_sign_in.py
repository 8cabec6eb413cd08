"""Staff sign-in in a real browser, and its protections."""
from datetime import timedelta
from tests.web.helpers import sign_in


def test_an_officer_signs_in_and_out(page, live_server, make_committed, committed_db):
    officer = make_committed.agency('DINSOS').duty_officer
    committed_db.session.commit()
    sign_in(page, live_server, officer.email)
    assert page.url.endswith('/petugas/')
    assert page.get_by_text(f'{officer.name} · DINSOS').is_visible()
    page.get_by_role('button', name='Keluar').click()
    assert page.url.endswith('/masuk')
    page.goto(f'{live_server}/petugas/')
    assert '/masuk' in page.url, 'signed out means signed out'


def test_a_wrong_password_is_refused_and_five_lock_the_account(page, live_server, make_committed, committed_db,
                                                               clock):
    officer = make_committed.agency('DINSOS').duty_officer
    committed_db.session.commit()
    for _ in range(4):
        sign_in(page, live_server, officer.email, 'salah-sandi')
        assert page.get_by_text('Email atau kata sandi salah.').is_visible()
    sign_in(page, live_server, officer.email, 'salah-sandi')
    assert page.get_by_text('Terlalu banyak percobaan gagal').is_visible()
    sign_in(page, live_server, officer.email)  # the right password, but locked
    assert page.get_by_text('Terlalu banyak percobaan gagal').is_visible()
    clock.advance(timedelta(minutes=16))
    sign_in(page, live_server, officer.email)
    assert page.url.endswith('/petugas/')


def test_the_session_cookie_is_http_only_and_same_site(page, live_server, make_committed, committed_db):
    officer = make_committed.agency('DINSOS').duty_officer
    committed_db.session.commit()
    sign_in(page, live_server, officer.email)
    [cookie] = [c for c in page.context.cookies() if c['name'] == 'session']
    assert cookie['httpOnly'] is True and cookie['sameSite'] == 'Lax'


def test_english_is_one_click_away(page, live_server):
    page.goto(f'{live_server}/masuk?lang=en')
    assert page.get_by_role('heading', name='Staff sign-in').is_visible()
    page.goto(f'{live_server}/masuk')
    assert page.get_by_role('heading', name='Staff sign-in').is_visible(), 'the choice is remembered'
