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


def test_the_sweep_job_escalates_and_delivery_job_sends(app, committed_db, make_committed, clock):
    from notifications.models import OutboxMessage
    from sla.models import Escalation
    db = committed_db
    make_committed.ticket(make_committed.category(make_committed.agency('PUPR')))
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
