"""The scheduler process: one table of jobs, coalesced, one instance each, never in the web app."""
import threading
from datetime import timedelta

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from core.scheduler import JOBS, build_scheduler


def test_every_job_is_declared_once_coalesced_with_one_instance(app):
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == {job_id for job_id, _, _ in JOBS} == {'sla-sweep', 'outbox-delivery'}
    assert jobs['sla-sweep'].trigger.interval == timedelta(minutes=1)
    assert jobs['outbox-delivery'].trigger.interval <= timedelta(seconds=10)
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1


def test_creating_the_web_app_starts_no_scheduler_thread():
    from core import create_app
    before = {t.name for t in threading.enumerate()}
    create_app(TESTING=True)
    assert {t.name for t in threading.enumerate()} == before


def test_the_sweep_job_escalates_and_delivery_job_sends(app, committed_db, clock):
    from accounts.operations import create_user
    from complaints.models import Agency, Category
    from complaints.operations import file_complaint
    from notifications.models import OutboxMessage
    from sla.models import Escalation
    db = committed_db
    agency = Agency(code='PUPR', name='Dinas PU', timezone='Asia/Jakarta')
    db.session.add(agency)
    db.session.flush()
    agency.duty_officer = create_user(email='piket@pupr.example', password='rahasia123', role='officer',
                                      agency=agency, now=clock.now)
    create_user(email='kepala@pupr.example', password='rahasia123', role='supervisor', agency=agency, now=clock.now)
    category = Category(code='jalan', agency=agency, name_id='Jalan', name_en='Road', response_window_minutes=240,
                        clock='wall', resolution_days=3)
    db.session.add(category)
    file_complaint(category=category, description='Jalan berlubang di depan SD.', phone='+6281200003333',
                   now=clock.now)
    db.session.commit()
    clock.advance(timedelta(hours=4, minutes=1))
    scheduler = build_scheduler(app, BackgroundScheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}

    jobs['sla-sweep'].func()
    jobs['outbox-delivery'].func()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Escalation)
                             .where(Escalation.kind == 'response')) == 1
    statuses = db.session.scalars(sa.select(OutboxMessage.status)).all()
    assert statuses and set(statuses) == {'delivered'}
