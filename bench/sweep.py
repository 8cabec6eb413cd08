"""Benchmark: the sweep's cost follows the number of due tickets, not the size of the table.

Builds tables of N open tickets (of which D are past their deadline) and times one sweep, against a
floor measured in the same run: inserting the same D escalation rows with a bare INSERT.

    .venv/bin/python bench/sweep.py [--database-url URL] [--sizes 10000,100000] [--due 200]
"""
import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402


def build(app, db, size, due, received):
    """An agency with staff and `size` tickets, `due` of them received 5 hours before the sweep."""
    from accounts.operations import create_user
    from complaints.models import Agency, Category, Resident, Ticket
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        agency = Agency(code='DINSOS', name='Dinas Sosial', timezone='Asia/Jakarta')
        db.session.add(agency)
        db.session.flush()
        agency.duty_officer = create_user(email='piket@dinsos.example', password='rahasia123', role='officer',
                                          agency=agency, now=received)
        create_user(email='kepala@dinsos.example', password='rahasia123', role='supervisor', agency=agency,
                    now=received)
        category = Category(code='bansos', agency=agency, name_id='Bansos', name_en='Aid',
                            response_window_minutes=240, clock='wall', resolution_days=3)
        resident = Resident(name='Warga Uji', phone='+6281200009999', created_dt=received)
        db.session.add_all([category, resident])
        db.session.flush()
        rows = []
        for i in range(size):
            # The due ones arrived 5 h before the sweep; the rest 1 h before (nothing to do yet).
            arrived = received if i < due else received + timedelta(hours=4)
            rows.append(dict(
                tracking_code=f'T{i:07d}', agency_id=agency.id, category_id=category.id, resident_id=resident.id,
                channel='web', status='new', description='Bansos belum cair.', received_dt=arrived,
                response_warn_dt=arrived + timedelta(hours=3), response_due_dt=arrived + timedelta(hours=4),
                response_level2_dt=arrived + timedelta(hours=8), resolution_due_dt=arrived + timedelta(days=5),
                sla_next_dt=arrived + timedelta(hours=3), updated_dt=arrived))
        for start in range(0, size, 5000):
            db.session.execute(sa.insert(Ticket), rows[start:start + 5000])
        db.session.commit()


def time_sweep(app, db, now):
    from sla.operations import sweep
    with app.app_context():
        started = time.perf_counter()
        report = sweep(now=now)
        db.session.commit()
        return time.perf_counter() - started, report


def time_floor(app, db, due, now):
    """Bare INSERT of `due` escalation rows in one transaction, rolled back."""
    from complaints.models import Agency, Ticket
    from sla.models import Escalation
    with app.app_context():
        agency_id = db.session.scalar(sa.select(Agency.id))
        ids = db.session.scalars(sa.select(Ticket.id).limit(due)).all()
        rows = [dict(ticket_id=i, kind='warning', level=9, agency_id=agency_id, threshold_dt=now, recorded_dt=now)
                for i in ids]
        started = time.perf_counter()
        for row in rows:
            db.session.execute(sa.insert(Escalation), [row])
        db.session.flush()
        elapsed = time.perf_counter() - started
        db.session.rollback()
        return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--database-url', default=None)
    parser.add_argument('--sizes', default='10000,100000')
    parser.add_argument('--due', type=int, default=200)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from core import create_app
    from core.extensions import db
    url = args.database_url or 'sqlite:///' + os.path.join(tempfile.mkdtemp(), 'bench.db')
    app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY='bench', TESTING=True)
    import logging
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        if db.engine.dialect.name == 'postgresql':
            with db.engine.begin() as conn:
                conn.execute(sa.text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))
        upgrade()
    received = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)
    now = received + timedelta(hours=5)
    print(f'database: {url.split(":")[0]}; due tickets per run: {args.due}')
    print(f'{"tickets":>10} {"sweep s":>9} {"floor s":>9} {"ratio":>7} {"idle sweep s":>13}  recorded')
    for size in (int(s) for s in args.sizes.split(',')):
        build(app, db, size, args.due, received)
        floor = time_floor(app, db, args.due, now)
        elapsed, report = time_sweep(app, db, now)
        idle, _ = time_sweep(app, db, now)  # everything recorded: nothing left to read
        print(f'{size:>10} {elapsed:>9.3f} {floor:>9.3f} {elapsed / floor:>7.1f} {idle:>13.4f}  '
              f'{report.escalations} escalations, {report.sanctions} sanction records')


if __name__ == '__main__':
    main()
