"""Who gets told what, and on which channel."""
from complaints.models import CONSOLE, SMS, TELEGRAM, WHATSAPP
from notifications.operations import enqueue
from notifications.templates import format_local

#: Labels a resident reads, in their language.
STATUS_LABELS = {
    'id': {'new': 'baru', 'in_progress': 'sedang diproses', 'waiting_on_resident': 'menunggu jawaban Anda',
           'resolved': 'selesai', 'closed': 'ditutup', 'rejected': 'ditolak'},
    'en': {'new': 'new', 'in_progress': 'in progress', 'waiting_on_resident': 'waiting for your answer',
           'resolved': 'resolved', 'closed': 'closed', 'rejected': 'rejected'},
}


def resident_contact(ticket):
    """(channel, address) to reach the resident, or None when they left no way to be reached."""
    resident = ticket.resident
    if ticket.channel in (SMS, WHATSAPP) and resident.phone:
        return ticket.channel, resident.phone
    if ticket.channel == CONSOLE:
        return CONSOLE, resident.phone or resident.email or f'resident-{resident.id}'
    # Web complaints: a phone number gets SMS (cheap phones), otherwise email.
    if resident.phone:
        return SMS, resident.phone
    if resident.email:
        return 'email', resident.email
    return None


def staff_contact(user):
    """(channel, address) for a member of staff: Telegram, then WhatsApp, then email."""
    if user.telegram_chat_id:
        return TELEGRAM, str(user.telegram_chat_id)
    if user.phone:
        return WHATSAPP, user.phone
    return 'email', user.email


def notify_resident(ticket, template, *, now, **context):
    """Queue a message to the ticket's resident; returns the outbox row, or None if unreachable."""
    contact = resident_contact(ticket)
    if contact is None:
        return None
    language = ticket.resident.language or 'id'
    base = {'tracking_code': ticket.tracking_code, 'agency_name': ticket.agency.name,
            'due_local': format_local(ticket.response_due_dt, ticket.agency.timezone, language),
            'status_label': STATUS_LABELS.get(language, STATUS_LABELS['id'])[ticket.status]}
    channel, address = contact
    return enqueue(channel=channel, address=address, template=template, language=language,
                   context={**base, **context}, ticket=ticket, resident=ticket.resident, now=now)


def notify_staff(users, template, ticket, *, now, due_dt, **context):
    """Queue one alert per member of staff, each on their own channel."""
    rows = []
    for user in {u.id: u for u in users if u is not None}.values():
        channel, address = staff_contact(user)
        base = {'tracking_code': ticket.tracking_code, 'agency_name': ticket.agency.name,
                'due_local': format_local(due_dt, ticket.agency.timezone, 'id')}
        rows.append(enqueue(channel=channel, address=address, template=template, language='id',
                            context={**base, **context}, ticket=ticket, user=user, now=now))
    return rows
