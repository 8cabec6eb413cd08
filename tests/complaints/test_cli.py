"""The commands an administrator runs: seed demo, users create, users token, sla sweep."""
from datetime import timedelta

import sqlalchemy as sa

from accounts.models import ApiToken, User
from complaints.models import Agency, Category


def table_counts(db):
    return [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Agency, Category, User)]


def test_seed_demo_builds_a_city_and_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=['seed', 'demo'])
    assert first.exit_code == 0, first.output
    counts = table_counts(db)
    codes = set(db.session.scalars(sa.select(Agency.code)))
    assert {'DISDUKCAPIL', 'DINSOS', 'DPMPTSP', 'DISDIKBUD', 'PUSKESMAS', 'PUPR'} <= codes
    for agency in db.session.scalars(sa.select(Agency)):
        assert agency.duty_officer is not None and agency.head is not None
        assert len(agency.categories) >= (1 if agency.code == 'DISKOMINFO' else 2)
    assert db.session.scalar(sa.select(Category).where(Category.code == 'umum')).agency.code == 'DISKOMINFO'

    second = runner.invoke(args=['seed', 'demo'])
    assert second.exit_code == 0
    assert 'nothing changed' in second.output
    assert table_counts(db) == counts


def test_users_create_and_token_print_a_working_token(app, db, client):
    runner = app.test_cli_runner()
    runner.invoke(args=['seed', 'demo'])
    result = runner.invoke(args=['users', 'create', '--email', 'Rina@Sukamaju.example', '--password', 'rahasia-rina',
                                 '--role', 'officer', '--agency', 'dinsos', '--phone', '0812-0000-5555'])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == 'rina@sukamaju.example'))
    assert user.phone == '+6281200005555' and user.password_hash != 'rahasia-rina'

    token = runner.invoke(args=['users', 'token', 'rina@sukamaju.example']).output.strip().splitlines()[-1]
    assert db.session.scalar(sa.select(ApiToken.token_hash)) != token, 'only a hash is stored'
    assert client.get('/api/v1/tickets', headers={'Authorization': f'Bearer {token}'}).status_code == 200

    duplicate = runner.invoke(args=['users', 'create', '--email', 'rina@sukamaju.example', '--password', 'x' * 8,
                                    '--role', 'officer', '--agency', 'DINSOS'])
    assert duplicate.exit_code != 0 and 'already exists' in duplicate.output
    unknown = runner.invoke(args=['users', 'create', '--email', 'a@b.example', '--password', 'x' * 8,
                                  '--role', 'officer', '--agency', 'NOPE'])
    assert unknown.exit_code != 0 and 'DINSOS' in unknown.output


def test_sla_sweep_at_a_time_prints_what_it_did(app, db, make, clock):
    dinsos = make.agency('DINSOS')
    ticket = make.ticket(make.category(dinsos))
    runner = app.test_cli_runner()
    at = (clock.now + timedelta(hours=4, minutes=1)).isoformat()

    result = runner.invoke(args=['sla', 'sweep', '--at', at])

    assert result.exit_code == 0, result.output
    assert f'{ticket.tracking_code} level-1 escalation' in result.output
    assert 'sanction record against' in result.output
    again = runner.invoke(args=['sla', 'sweep', '--at', at])
    assert '0 escalation(s), 0 sanction record(s)' in again.output
    bad = runner.invoke(args=['sla', 'sweep', '--at', 'kemarin'])
    assert bad.exit_code != 0 and 'ISO 8601' in bad.output


def test_a_naive_sweep_time_is_read_in_the_configured_timezone(app, db, make, clock):
    dinsos = make.agency('DINSOS')
    make.ticket(make.category(dinsos))  # received 09:00 WIB, due 13:00 WIB
    runner = app.test_cli_runner()
    assert '0 escalation' in runner.invoke(args=['sla', 'sweep', '--at', '2026-11-23T12:59']).output
    assert '1 escalation' in runner.invoke(args=['sla', 'sweep', '--at', '2026-11-23T13:01']).output


def test_an_extra_day_off_recomputes_open_working_hours_tickets(app, db, make, clock):
    dinsos = make.agency('DINSOS')
    # Monday 2026-11-23 15:00 WIB on the working-hours clock: 1 h today, 3 h on Tuesday -> 11:00 WIB Tuesday.
    clock.set(clock.now.replace(hour=8))
    ticket = make.ticket(make.category(dinsos, clock='working'))
    assert ticket.response_due_dt.isoformat() == '2026-11-24T04:00:00+00:00'
    result = app.test_cli_runner().invoke(args=['sla', 'days-off', 'add', '2026-11-24', 'Hari jadi kota'])
    assert result.exit_code == 0, result.output
    db.session.refresh(ticket)
    assert ticket.response_due_dt.isoformat() == '2026-11-25T04:00:00+00:00'
