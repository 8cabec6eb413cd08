"""Who gets told what, and on which channel."""
from complaints.models import CONSOLE, SMS, TELEGRAM, WHATSAPP
from notifications.operations import enqueue
from notifications.templates import format_local, language_of

EMAIL = 'email'

#: Labels a resident reads, in their language.
STATUS_LABELS = {
    'id': {'new': 'baru', 'in_progress': 'sedang diproses', 'waiting_on_resident': 'menunggu jawaban Anda',
           'resolved': 'selesai', 'closed': 'ditutup', 'rejected': 'ditolak'},
    'en': {'new': 'new', 'in_progress': 'in progress', 'waiting_on_resident': 'waiting for your answer',
           'resolved': 'resolved', 'closed': 'closed', 'rejected': 'rejected'},
}


def status_label(status, language):
    """The status as the resident reads it."""
    return STATUS_LABELS[language_of(language)][status]


def resident_contacts(resident, channel):
    """[(channel, address), ...] to reach the resident: the channel they used first, then fallbacks."""
    if channel == TELEGRAM and resident.telegram_chat_id:
        return [(TELEGRAM, str(resident.telegram_chat_id))]
    if channel == WHATSAPP and resident.phone:
        # Outside WhatsApp's 24-hour window without an approved template, SMS still reaches the resident.
        return [(WHATSAPP, resident.phone), (SMS, resident.phone)]
    if channel == SMS and resident.phone:
        return [(SMS, resident.phone)]
    if channel == CONSOLE:
        return [(CONSOLE, resident.phone or resident.email or f'resident-{resident.id}')]
    # Web complaints: a phone number gets SMS (cheap phones), otherwise email.
    contacts = []
    if resident.phone:
        contacts.append((SMS, resident.phone))
    if resident.email:
        contacts.append((EMAIL, resident.email))
    return contacts


def staff_contacts(user):
    """[(channel, address), ...] for a member of staff: their preferred channel, then Telegram, WhatsApp,
    SMS and email, as far as the account has them."""
    contacts = []
    if user.telegram_chat_id:
        contacts.append((TELEGRAM, str(user.telegram_chat_id)))
    if user.phone:
        contacts += [(WHATSAPP, user.phone), (SMS, user.phone)]
    contacts.append((EMAIL, user.email))
    preferred = [c for c in contacts if c[0] == user.preferred_channel]
    return preferred + [c for c in contacts if c[0] != user.preferred_channel]


def tell_resident(resident, channel, template, *, now, ticket=None, options=None, **context):
    """Queue a message to a resident on `channel` (with fallbacks); None when they cannot be reached."""
    contacts = resident_contacts(resident, channel)
    if not contacts:
        return None
    (first_channel, address), fallbacks = contacts[0], contacts[1:]
    return enqueue(channel=first_channel, address=address, template=template,
                   language=language_of(resident.language), context=context, ticket=ticket, resident=resident,
                   options=options, fallbacks=fallbacks, now=now)


def ticket_context(ticket, language):
    """What every resident template about a ticket may mention."""
    return {'tracking_code': ticket.tracking_code, 'agency_name': ticket.agency.name,
            'due_local': format_local(ticket.response_due_dt, ticket.agency.timezone, language),
            'status_label': status_label(ticket.status, language)}


def notify_resident(ticket, template, *, now, options=None, **context):
    """Queue a message about `ticket` to its resident, on the channel the ticket came in by."""
    language = language_of(ticket.resident.language)
    return tell_resident(ticket.resident, ticket.channel, template, now=now, ticket=ticket, options=options,
                         **{**ticket_context(ticket, language), **context})


def notify_staff(users, template, ticket, *, now, due_dt, **context):
    """Queue one alert per member of staff, on their first channel, falling back to the next ones."""
    rows = []
    for user in {u.id: u for u in users if u is not None}.values():
        (channel, address), *fallbacks = staff_contacts(user)
        base = {'tracking_code': ticket.tracking_code, 'agency_name': ticket.agency.name,
                'due_local': format_local(due_dt, ticket.agency.timezone, 'id')}
        rows.append(enqueue(channel=channel, address=address, template=template, language='id',
                            context={**base, **context}, ticket=ticket, user=user, fallbacks=fallbacks, now=now))
    return rows
