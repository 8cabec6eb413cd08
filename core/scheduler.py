"""The scheduler process: every periodic job, declared in one table, run by APScheduler.

It never starts inside `create_app` or a web worker (each worker would run every job); one
`flask --app wsgi scheduler` process runs them all.
"""
import logging

import click
from flask import current_app
from flask.cli import with_appcontext

logger = logging.getLogger(__name__)

#: (job id, 'module:function', seconds between runs). Each job is thin: it calls an operation.
JOBS = [
    ('sla-sweep', 'sla.tasks:run_sweep', 60),
    ('outbox-delivery', 'notifications.tasks:deliver_outbox', 5),
]


def _wrap(app, target):
    module_name, func_name = target.split(':')

    def run():
        module = __import__(module_name, fromlist=[func_name])
        with app.app_context():
            try:
                getattr(module, func_name)()
            except Exception:
                logger.exception('Job %s failed; it runs again at its next time', target)
            finally:
                from core.extensions import db
                db.session.remove()
    run.__name__ = func_name
    return run


def build_scheduler(app, scheduler_cls=None):
    """A scheduler with every job of `JOBS`: coalesced, one instance each."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    scheduler = (scheduler_cls or BlockingScheduler)(
        timezone='UTC', job_defaults={'coalesce': True, 'max_instances': 1, 'misfire_grace_time': 30})
    for job_id, target, seconds in JOBS:
        scheduler.add_job(_wrap(app, target), 'interval', seconds=seconds, id=job_id, name=target,
                          replace_existing=True)
    return scheduler


@click.command('scheduler')
@with_appcontext
def scheduler_command():
    """Run the scheduler process: the sweep every minute, outbox delivery every 5 seconds."""
    app = current_app._get_current_object()
    # APScheduler logs every run of every job at INFO: one line each 5 s drowns what the jobs say.
    logging.getLogger('apscheduler.executors.default').setLevel(logging.WARNING)
    scheduler = build_scheduler(app)
    for job_id, target, seconds in JOBS:
        click.echo(f'{job_id}: {target} every {seconds} s')
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo('Scheduler stopped.')
