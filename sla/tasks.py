"""Scheduled SLA jobs (run by the scheduler process inside an app context)."""
import logging

from core.extensions import db
from core.timeutil import now_utc
from sla.operations import sweep

logger = logging.getLogger(__name__)


def run_sweep():
    """One sweep as at now, committed once."""
    try:
        report = sweep(now=now_utc())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for line in report.lines:
        logger.info('Sweep: %s', line)
