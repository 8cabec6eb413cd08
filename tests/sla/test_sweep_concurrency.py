"""Two sweeps at once record everything exactly once (PostgreSQL: advisory lock + unique constraints)."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from notifications.models import OutboxMessage
from sla.models import Escalation, SanctionRecord
from sla.operations import sweep


@pytest.fixture
def many_breached(committed_db, app, clock):
    from accounts.operations import create_user
    from complaints.models import Agency, Category
    from complaints.operations import file_complaint
    db = committed_db
    agency = Agency(code='DINSOS', name='Dinas Sosial', timezone='Asia/Jakarta')
    db.session.add(agency)
    db.session.flush()
    agency.head = create_user(email='kepala@dinsos.example', password='rahasia123', role='supervisor',
                              agency=agency, now=clock.now)
    agency.duty_officer = create_user(email='piket@dinsos.example', password='rahasia123', role='officer',
                                      agency=agency, now=clock.now)
    category = Category(code='bansos', agency=agency, name_id='Bansos', name_en='Aid', response_window_minutes=240,
                        clock='wall', resolution_days=3)
    db.session.add(category)
    for i in range(20):
        file_complaint(category=category, description=f'Bansos belum cair nomor {i}.',
                       phone=f'+628120000{2000 + i}', now=clock.now)
    db.session.commit()
    return 20


def test_parallel_sweeps_never_duplicate(app, committed_db, many_breached, clock):
    at = clock.now + timedelta(hours=8, minutes=1)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                sweep(now=at)
                committed_db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                committed_db.session.rollback()
            finally:
                committed_db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    dialect = committed_db.engine.dialect.name
    if dialect == 'postgresql':
        assert errors == []
    else:
        # SQLite serialises writers; a sweep that loses the race fails cleanly and the next one finds nothing.
        assert len(errors) < 4
    with app.app_context():
        session = committed_db.session
        counts = session.execute(sa.select(Escalation.kind, Escalation.level, sa.func.count())
                                 .group_by(Escalation.kind, Escalation.level)).all()
        assert sorted(counts) == [('response', 1, many_breached), ('response', 2, many_breached)]
        assert session.scalar(sa.select(sa.func.count()).select_from(SanctionRecord)) == many_breached
        alerts = session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.template == 'escalation'))
        assert alerts == 2 * many_breached  # the head at level 1 (only supervisor) and at level 2
