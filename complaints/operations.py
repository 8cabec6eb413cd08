"""The business of tickets: intake, replies, notes, assignment, transfer and status changes.

Each operation changes rows and flushes; the view, job or command around it commits once.
"""
import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from accounts.models import ADMIN, OFFICER, SUPERVISOR, User
from complaints.models import (
    CLOSED, IN_PROGRESS, NEW, NOTE, OPEN_STATUSES, REJECTED, REPLY, RESIDENT_MESSAGE, RESOLVED,
    STATUSES, WAITING, WEB, Agency, Category, Resident, Ticket, TicketEvent, TicketMessage)
from complaints.tracking import canonical_tracking_code, new_tracking_code
from core.errors import Conflict, Invalid, NotFound
from core.extensions import db
from core.phones import normalise_phone

logger = logging.getLogger(__name__)

#: Which status may follow which. A closed ticket stays closed: a new message starts a new ticket.
TRANSITIONS = {
    NEW: {IN_PROGRESS, WAITING, RESOLVED, REJECTED},
    IN_PROGRESS: {WAITING, RESOLVED, REJECTED},
    WAITING: {IN_PROGRESS, RESOLVED, REJECTED},
    RESOLVED: {IN_PROGRESS, CLOSED},
    REJECTED: {IN_PROGRESS, CLOSED},
    CLOSED: set(),
}
#: Statuses a resident must be told the reason for.
REASON_REQUIRED = {REJECTED, WAITING}


def record_event(ticket, actor, action, *, now, from_value=None, to_value=None, reason=None):
    """Append one line to the ticket's history."""
    event = TicketEvent(ticket=ticket, actor=actor, action=action, from_value=from_value,
                        to_value=to_value, reason=reason, created_dt=now)
    db.session.add(event)
    return event


def find_or_create_resident(*, name=None, phone=None, email=None, now):
    """The one resident with this phone (normalised to E.164) or email, created if new."""
    phone = normalise_phone(phone) if phone else None
    email = email.strip().lower() if email else None
    resident = None
    if phone:
        resident = db.session.scalar(sa.select(Resident).where(Resident.phone == phone))
    if resident is None and email:
        resident = db.session.scalar(sa.select(Resident).where(Resident.email == email))
    if resident is None:
        resident = Resident(name=name, phone=phone, email=email, created_dt=now)
        db.session.add(resident)
    else:
        resident.name = resident.name or name
        # Learn a contact the resident had not given before, unless another record already owns it.
        if phone and not resident.phone and not _phone_taken(phone):
            resident.phone = phone
        if email and not resident.email and not _email_taken(email):
            resident.email = email
    db.session.flush()
    return resident


def _phone_taken(phone):
    return db.session.scalar(sa.select(Resident.id).where(Resident.phone == phone)) is not None


def _email_taken(email):
    return db.session.scalar(sa.select(Resident.id).where(Resident.email == email)) is not None


def get_category(code):
    """An active category by code, or a field error naming the choices."""
    category = db.session.scalar(
        sa.select(Category).where(Category.code == (code or '').strip(), Category.is_active.is_(True)))
    if category is None:
        message = f'Unknown category {code!r}; GET /api/v1/categories lists the choices.'
        raise Invalid(message, fields={'category': [message]})
    return category


def file_complaint(*, category, description, now, name=None, phone=None, email=None, location=None,
                   channel=WEB, resident=None):
    """Turn a complaint into a routed ticket with deadlines and a queued acknowledgement."""
    from notifications.recipients import notify_resident
    from sla.operations import apply_deadlines

    category = get_category(category) if isinstance(category, str) else category
    if resident is None:
        resident = find_or_create_resident(name=name, phone=phone, email=email, now=now)
    location = location or {}
    ticket = Ticket(
        agency=category.agency, category=category, resident=resident, channel=channel, status=NEW,
        description=description.strip(), location_lat=location.get('lat'),
        location_lng=location.get('lng'), location_address=location.get('address'),
        received_dt=now, updated_dt=now)
    apply_deadlines(ticket, now=now)
    _insert_with_tracking_code(ticket)
    db.session.add(TicketMessage(ticket=ticket, kind=RESIDENT_MESSAGE, channel=channel,
                                 body=ticket.description, created_dt=now))
    record_event(ticket, None, 'created', to_value=category.agency.code, now=now)
    notify_resident(ticket, 'acknowledgement', now=now)
    db.session.flush()
    logger.info('Ticket %s filed via %s for %s', ticket.tracking_code, channel, category.agency.code)
    return ticket


def _insert_with_tracking_code(ticket, attempts=5):
    # 29^8 codes make a clash very unlikely; the unique constraint makes it impossible.
    for _ in range(attempts):
        ticket.tracking_code = new_tracking_code()
        try:
            with db.session.begin_nested():
                db.session.add(ticket)
                db.session.flush()
            return
        except IntegrityError:
            continue
    raise RuntimeError('could not find a free tracking code')


def get_public_ticket(code):
    """A ticket by the code a resident typed, or NotFound."""
    canonical = canonical_tracking_code(code)
    ticket = canonical and db.session.scalar(sa.select(Ticket).where(Ticket.tracking_code == canonical))
    if not ticket:
        raise NotFound(f'No complaint with tracking code {code!r}.')
    return ticket


def can_see_agency(user, agency_id):
    """Admins see every agency; everyone else only their own."""
    return user.role == ADMIN or user.agency_id == agency_id


def get_staff_ticket(user, code, *, for_update=False):
    """A ticket the user may work on; 404 for others' tickets, so codes don't leak."""
    canonical = canonical_tracking_code(code)
    query = sa.select(Ticket).where(Ticket.tracking_code == canonical)
    if for_update:
        query = query.with_for_update()
    ticket = canonical and db.session.scalar(query)
    if not ticket or not can_see_agency(user, ticket.agency_id):
        raise NotFound(f'No ticket {code!r} in your agency.')
    return ticket


def list_inbox(user, *, now, status=None, sla=None, assignee=None, limit=50, offset=0):
    """The user's inbox: their agency's tickets (all for admins), the most urgent first."""
    from sla.operations import sla_state_filter
    query = sa.select(Ticket)
    if user.role != ADMIN:
        query = query.where(Ticket.agency_id == user.agency_id)
    statuses = [status] if status else list(OPEN_STATUSES)
    query = query.where(Ticket.status.in_(statuses))
    if sla:
        query = query.where(sla_state_filter(sla, now))
    if assignee == 'me':
        query = query.where(Ticket.assignee_id == user.id)
    elif assignee == 'none':
        query = query.where(Ticket.assignee_id.is_(None))
    # Unanswered tickets by response deadline first, then answered ones by resolution deadline.
    is_answered = Ticket.first_response_dt.is_not(None)
    due = sa.case((is_answered, Ticket.resolution_due_dt), else_=Ticket.response_due_dt)
    query = query.order_by(sa.case((is_answered, 1), else_=0), due, Ticket.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    tickets = db.session.scalars(query.limit(limit).offset(offset)).all()
    return tickets, total


def _require_open(ticket, doing):
    if ticket.status == CLOSED:
        raise Conflict(f'Ticket {ticket.tracking_code} is closed; {doing} is no longer possible.')


def reply(ticket, officer, body, *, now):
    """A public reply to the resident on their channel; the first one is the response."""
    from notifications.recipients import notify_resident
    from sla.operations import refresh_sla_next

    _require_open(ticket, 'replying')
    message = TicketMessage(ticket=ticket, kind=REPLY, author=officer, channel=ticket.channel,
                            body=body.strip(), created_dt=now)
    db.session.add(message)
    if ticket.first_response_dt is None:
        ticket.first_response_dt = now
        ticket.first_response_by = officer
        record_event(ticket, officer, 'responded', to_value=now.isoformat(), now=now)
    if ticket.status == NEW:
        _set_status(ticket, officer, IN_PROGRESS, None, now=now)
    ticket.updated_dt = now
    refresh_sla_next(ticket, now=now)
    # The outbox row carries the reply; its delivery status is the reply's.
    message.outbox = notify_resident(ticket, 'reply', now=now, body=message.body)
    db.session.flush()
    return message


def add_note(ticket, officer, body, *, now):
    """An internal note: staff only, never sent, never the response."""
    message = TicketMessage(ticket=ticket, kind=NOTE, author=officer, channel='internal',
                            body=body.strip(), created_dt=now)
    db.session.add(message)
    ticket.updated_dt = now
    db.session.flush()
    return message


def assign(ticket, actor, officer_email, *, now):
    """Make a member of the ticket's agency responsible for it."""
    from accounts.operations import get_user_by_email
    _require_open(ticket, 'assigning')
    try:
        officer = get_user_by_email(officer_email)
    except NotFound as exc:
        raise Invalid(exc.message, fields={'officer': [exc.message]}) from None
    if officer.agency_id != ticket.agency_id or officer.role not in (OFFICER, SUPERVISOR):
        message = f'{officer.email} is not an officer of {ticket.agency.code}.'
        raise Invalid(message, fields={'officer': [message]})
    if not officer.is_active:
        raise Invalid(f'{officer.email} is deactivated.', fields={'officer': ['Deactivated account.']})
    previous = ticket.assignee
    ticket.assignee = officer
    ticket.updated_dt = now
    record_event(ticket, actor, 'assigned', from_value=previous.email if previous else None,
                 to_value=officer.email, now=now)
    db.session.flush()
    return ticket


def transfer(ticket, actor, agency_code, reason, *, now):
    """Send the ticket to another agency; its deadlines keep running from the original arrival."""
    _require_open(ticket, 'transferring')
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == (agency_code or '').strip().upper(),
                                                       Agency.is_active.is_(True)))
    if agency is None:
        message = f'Unknown agency {agency_code!r}.'
        raise Invalid(message, fields={'agency': [message]})
    if agency.id == ticket.agency_id:
        message = f'The ticket is already with {agency.code}.'
        raise Invalid(message, fields={'agency': [message]})
    previous = ticket.agency
    ticket.agency = agency
    ticket.assignee = None
    ticket.updated_dt = now
    record_event(ticket, actor, 'transferred', from_value=previous.code, to_value=agency.code,
                 reason=reason, now=now)
    db.session.flush()
    return ticket


def change_status(ticket, actor, status, reason, *, now, notify=True):
    """Move the ticket along its life cycle; the resident is told (unless they caused it)."""
    from notifications.recipients import notify_resident
    if status not in STATUSES:
        raise Invalid(f'Unknown status {status!r}.', fields={'status': [f'One of {", ".join(STATUSES)}.']})
    if status not in TRANSITIONS[ticket.status]:
        raise Conflict(f'A {ticket.status} ticket cannot become {status}.')
    if status in REASON_REQUIRED and not (reason or '').strip():
        message = f'Say why the ticket becomes {status}; the resident is told.'
        raise Invalid(message, fields={'reason': [message]})
    _set_status(ticket, actor, status, reason, now=now)
    if notify:
        notify_resident(ticket, 'status_changed', now=now, reason=reason or '')
    db.session.flush()
    return ticket


def recategorise(ticket, actor, category, *, now):
    """File the ticket under another category, moving it to that category's agency when it differs.
    Deadlines keep running from arrival, as with a transfer."""
    previous = ticket.category
    ticket.category = category
    if category.agency_id != ticket.agency_id:
        record_event(ticket, actor, 'transferred', from_value=ticket.agency.code, to_value=category.agency.code,
                     reason=f'category {category.code}', now=now)
        ticket.agency = category.agency
        ticket.assignee = None
    record_event(ticket, actor, 'recategorised', from_value=previous.code, to_value=category.code, now=now)
    ticket.updated_dt = now
    db.session.flush()
    return ticket


def _set_status(ticket, actor, status, reason, *, now):
    from sla.operations import on_status_change
    previous = ticket.status
    ticket.status = status
    ticket.updated_dt = now
    if status == RESOLVED:
        ticket.resolved_dt = now
    elif status == CLOSED:
        ticket.closed_dt = now
    elif previous in (RESOLVED, REJECTED):
        ticket.resolved_dt = None
    on_status_change(ticket, previous, now=now)
    record_event(ticket, actor, 'status', from_value=previous, to_value=status, reason=reason, now=now)


def staff_of_agency(agency_id, *roles):
    """Active staff of an agency with one of `roles`."""
    query = sa.select(User).where(User.agency_id == agency_id, User.is_active.is_(True))
    if roles:
        query = query.where(User.role.in_(roles))
    return db.session.scalars(query.order_by(User.id)).all()
