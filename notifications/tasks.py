"""Scheduled outbox jobs (run by the scheduler process inside an app context)."""
import logging

from core.timeutil import now_utc
from notifications.operations import dispatch_due

logger = logging.getLogger(__name__)


def deliver_outbox():
    """One delivery pass as at now; `dispatch_due` commits as it goes."""
    counts = dispatch_due(now=now_utc())
    if any(counts.values()):
        logger.info('Outbox: delivered %s, retried %s, dead-lettered %s',
                    counts['delivered'], counts['retried'], counts['dead'])
