"""Benchmark: the officer inbox stays fast with a million tickets.

Builds a city of N tickets (default 1,000,000) over 7 agencies, most of them long closed and a few
percent open, then times the inbox queries an officer runs all day (first page, a page deep into the
list, the late filter, search by tracking code, by phone, by text) against a floor measured in the same
run: fetching one ticket by primary key.

    .venv/bin/python bench/inbox.py [--database-url URL] [--tickets 1000000] [--open-share 0.05]
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

AGENCIES = ['DISKOMINFO', 'DISDUKCAPIL', 'DINSOS', 'DPMPTSP', 'DISDIKBUD', 'PUSKESMAS', 'PUPR']
WORDS = ['jalan', 'lampu', 'bansos', 'sekolah', 'air', 'sampah', 'ktp', 'izin', 'banjir', 'puskesmas']


def build(app, db, total, open_share, now):
    from complaints.cli import seed_demo
    from complaints.models import Agency, Category, Resident, Ticket
    rng = random.Random(7)
    with app.app_context():
        seed_demo(now)
        db.session.commit()
        agencies = {a.code: a.id for a in db.session.scalars(sa.select(Agency))}
        categories = [(c.id, c.agency_id) for c in db.session.scalars(sa.select(Category))]
        residents = [dict(phone=f'+62812{i:08d}', name=None, language='id', created_dt=now)
                     for i in range(total // 10)]
        for start in range(0, len(residents), 20000):
            db.session.execute(sa.insert(Resident), residents[start:start + 20000])
        resident_ids = db.session.scalars(sa.select(Resident.id)).all()
        rows = []
        for i in range(total):
            category_id, agency_id = categories[i % len(categories)]
            is_open = rng.random() < open_share
            received = now - timedelta(minutes=rng.randrange(1, 60 * 24 * (7 if is_open else 730)))
            status = rng.choice(('new', 'in_progress', 'waiting_on_resident')) if is_open else 'closed'
            answered = None if (is_open and rng.random() < 0.5) else received + timedelta(minutes=rng.randrange(5, 300))
            rows.append(dict(
                tracking_code=_code(i), agency_id=agency_id, category_id=category_id,
                resident_id=resident_ids[i % len(resident_ids)], channel='web', status=status,
                description=f'{WORDS[(i // len(categories)) % len(WORDS)]} rusak di RT {i % 17} nomor {i}', received_dt=received,
                response_warn_dt=received + timedelta(hours=3), response_due_dt=received + timedelta(hours=4),
                response_level2_dt=received + timedelta(hours=8), first_response_dt=answered,
                resolution_due_dt=received + timedelta(days=5), updated_dt=received,
                sla_next_dt=None if status == 'closed' else received + timedelta(days=5)))
            if len(rows) == 20000:
                db.session.execute(sa.insert(Ticket), rows)
                rows = []
        if rows:
            db.session.execute(sa.insert(Ticket), rows)
        db.session.commit()
        db.session.execute(sa.text('ANALYZE'))
        db.session.commit()
        return agencies


def _code(number):
    from complaints.tracking import ALPHABET
    symbols = []
    for _ in range(8):
        number, digit = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    return ''.join(symbols[:4]) + '-' + ''.join(symbols[4:])


def timed(fn, repeat=15):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--database-url', default=None)
    parser.add_argument('--tickets', type=int, default=1_000_000)
    parser.add_argument('--open-share', type=float, default=0.05)
    args = parser.parse_args()
    import logging

    from flask_migrate import upgrade

    from accounts.models import User
    from complaints.models import Ticket
    from core import create_app
    from core.extensions import db
    from web.pages_staff import InboxFilterSchema, inbox_page

    url = args.database_url or 'sqlite:///' + os.path.join(tempfile.mkdtemp(), 'inbox-bench.db')
    app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY='bench', TESTING=True,
                     PASSWORD_HASH_METHOD='pbkdf2:sha256:1000')
    logging.getLogger().setLevel(logging.WARNING)
    now = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
    with app.app_context():
        if db.engine.dialect.name == 'postgresql':
            with db.engine.begin() as conn:
                conn.execute(sa.text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))
        upgrade()
    started = time.perf_counter()
    build(app, db, args.tickets, args.open_share, now)
    print(f'database: {url.split(":")[0]}; built {args.tickets:,} tickets '
          f'({args.open_share:.0%} open) in {time.perf_counter() - started:.0f} s')
    with app.app_context():
        officer = db.session.scalar(sa.select(User).where(User.email == 'petugas1.pupr@sukamaju.example'))
        some_id = db.session.scalar(sa.select(Ticket.id).where(Ticket.agency_id == officer.agency_id)
                                    .order_by(Ticket.id.desc()).limit(1))
        sample = db.session.get(Ticket, some_id)
        code, phone = sample.tracking_code, sample.resident.phone
        db.session.expunge_all()

        def page(**filters):
            loaded = InboxFilterSchema().load({k: str(v) for k, v in filters.items()})
            return inbox_page(officer, loaded, now=now)

        def deep_page():
            rows, _, cursor = page(limit=50)
            for _ in range(20):  # 20 pages in: the 1,001st ticket onwards
                rows, _, cursor = page(limit=50, after=cursor)
            return rows, None, cursor

        floor, _ = timed(lambda: db.session.execute(sa.select(Ticket).where(Ticket.id == some_id)).first())
        open_count = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.agency_id == officer.agency_id, Ticket.status.in_(('new', 'in_progress', 'waiting_on_resident'))))
        print(f'officer of PUPR: {open_count:,} open tickets of the agency; floor (ticket by primary key) '
              f'{floor * 1000:.2f} ms')
        print(f'{"query":<34} {"median ms":>10} {"x floor":>9} {"rows":>6}')
        for name, fn in (('first page (50, most urgent)', lambda: page(limit=50)),
                         ('21st page (keyset)', deep_page),
                         ('late only', lambda: page(limit=50, sla='breached')),
                         ('search by tracking code', lambda: page(q=code)),
                         ('search by phone', lambda: page(q=phone)),
                         ('search by text', lambda: page(q='lampu rusak'))):
            elapsed, result = timed(fn, repeat=5 if fn is deep_page else 15)
            per = elapsed / 21 if fn is deep_page else elapsed
            label = name + (' (per page)' if fn is deep_page else '')
            print(f'{label:<34} {per * 1000:>10.2f} {per / floor:>9.1f} {len(result[0]):>6}')


if __name__ == '__main__':
    main()
