"""Small helpers shared by tests of different domains."""
import sqlalchemy as sa

from notifications.models import DeliveryAttempt
from notifications.operations import dispatch_due


def dispatch(db, clock):
    """Deliver what is due, as the scheduler would after the test's changes were committed."""
    db.session.commit()  # the test's own reads leave a transaction open; dispatching needs none
    return dispatch_due(now=clock.now)


def attempts(db, message):
    """(number, success, error) of every delivery attempt of an outbox row, in order."""
    return [(a.number, a.is_success, a.error) for a in db.session.scalars(
        sa.select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == message.id).order_by(DeliveryAttempt.id))]
