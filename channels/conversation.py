"""The conversation with a resident over Telegram, WhatsApp or SMS: commands, new complaints, follow-ups.

`handle` takes one channel-neutral `InboundMessage` and changes rows (flushes); every answer goes through
the outbox. Bahasa Indonesia first; English when the resident's Telegram is in English or they write it.
"""
import logging
import re

import sqlalchemy as sa
from flask import current_app

from channels.inbound import MediaError, MediaTooLarge, MediaTypeRefused
from complaints import operations as tickets
from complaints.media import attach_file
from complaints.models import (
    IN_PROGRESS, LOCATION, OPEN_STATUSES, RESIDENT_MESSAGE, TELEGRAM, WAITING, WHATSAPP, Agency,
    Attachment, Category, Resident, Ticket, TicketMessage)
from complaints.tracking import canonical_tracking_code
from core.extensions import db
from core.phones import normalise_phone
from notifications.recipients import tell_resident, ticket_context

logger = logging.getLogger(__name__)

#: Command words in both languages, with or without the Telegram slash.
COMMANDS = {
    'start': 'start', 'mulai': 'start',
    'help': 'help', 'bantuan': 'help', 'menu': 'help', '?': 'help',
    'status': 'status', 'cek': 'status', 'lacak': 'status',
    'baru': 'new', 'new': 'new',
    'batal': 'cancel', 'cancel': 'cancel',
}
_WORD = re.compile(r"[a-z']+")
_ENGLISH = {'the', 'my', 'is', 'not', 'please', 'hello', 'hi', 'there', 'street', 'no', 'has', 'been', 'and',
            'for', 'with', 'water', 'road', 'broken', 'since', 'help', 'i', 'we', 'our', 'have', 'this', 'it'}
_INDONESIAN = {'yang', 'di', 'dan', 'tidak', 'belum', 'saya', 'kami', 'ada', 'sudah', 'jalan', 'ini', 'itu',
               'mohon', 'tolong', 'sejak', 'dengan', 'untuk', 'rusak', 'bantuan', 'pak', 'bu', 'air', 'mati'}


def guess_language(text):
    """'en' when the text is clearly English, 'id' when clearly Indonesian, else None."""
    words = _WORD.findall(text.lower())
    english = sum(w in _ENGLISH for w in words)
    indonesian = sum(w in _INDONESIAN for w in words)
    if english >= 2 and english > indonesian:
        return 'en'
    if indonesian >= 1 and indonesian >= english:
        return 'id'
    return None


def handle(inbound, *, payload, now):
    """Answer one inbound message: a command, a category choice, a follow-up, or a new complaint."""
    resident = identify_resident(inbound, now=now)
    text = (inbound.text or '').strip()
    if inbound.language:
        resident.language = inbound.language
    elif text and (guessed := guess_language(text)):
        resident.language = guessed
    if inbound.channel == WHATSAPP:
        resident.whatsapp_last_inbound_dt = now
    if inbound.callback_data:
        return _on_button(resident, inbound, now)
    command, argument = _command(text)
    if command:
        return _on_command(resident, inbound, command, argument, now)
    if resident.conversation_state == 'category' and text.isdigit():
        return _choose_category(resident, inbound.channel, int(text), now)
    if not (text or inbound.media or inbound.location):
        return _say(resident, inbound.channel, 'help', now)
    return _on_complaint(resident, inbound, text, payload, now)


# -- who is writing ----------------------------------------------------------------------------------

def identify_resident(inbound, *, now):
    """The one resident behind this message, across channels; created on first contact."""
    if inbound.channel == TELEGRAM:
        resident = db.session.scalar(sa.select(Resident).where(Resident.telegram_user_id == inbound.telegram_user_id))
        if resident is None:
            resident = Resident(name=inbound.name, telegram_user_id=inbound.telegram_user_id, created_dt=now,
                                language=inbound.language or 'id')
            db.session.add(resident)
        resident.telegram_chat_id = inbound.telegram_chat_id or resident.telegram_chat_id
        resident.name = resident.name or inbound.name
        if inbound.phone and inbound.is_shared_contact:
            resident = _link_phone(resident, normalise_phone(inbound.phone))
        db.session.flush()
        return resident
    return tickets.find_or_create_resident(name=inbound.name, phone=inbound.phone, now=now)


def _link_phone(telegram_resident, phone):
    # The resident shared their own number: one person across Telegram, WhatsApp and SMS.
    same_phone = db.session.scalar(sa.select(Resident).where(Resident.phone == phone))
    if same_phone is None or same_phone.id == telegram_resident.id:
        telegram_resident.phone = phone
        return telegram_resident
    db.session.flush()
    db.session.execute(sa.update(Ticket).where(Ticket.resident_id == telegram_resident.id)
                       .values(resident_id=same_phone.id))
    user_id, chat_id = telegram_resident.telegram_user_id, telegram_resident.telegram_chat_id
    same_phone.name = same_phone.name or telegram_resident.name
    db.session.delete(telegram_resident)
    db.session.flush()
    same_phone.telegram_user_id, same_phone.telegram_chat_id = user_id, chat_id
    db.session.flush()
    return same_phone


# -- commands ----------------------------------------------------------------------------------------

def _command(text):
    """(command, argument) when the text is a command such as '/status K7QM-4XH2' or 'STATUS k7qm4xh2'."""
    if not text:
        return None, ''
    first, _, rest = text.partition(' ')
    word = first.lower().lstrip('/').split('@')[0]  # '/status@TanggapBot' in Telegram groups
    if word in COMMANDS:
        return COMMANDS[word], rest.strip()
    if first.startswith('/'):
        return 'unknown', first
    return None, ''


def _on_command(resident, inbound, command, argument, now):
    channel = inbound.channel
    if command == 'start':
        return _say(resident, channel, 'welcome', now, city_name=current_app.config['CITY_NAME'])
    if command == 'help':
        return _say(resident, channel, 'help', now)
    if command == 'unknown':
        return _say(resident, channel, 'unknown_command', now, command=argument)
    if command == 'new':
        resident.conversation_state, resident.conversation_ticket_id = 'new', None
        return _say(resident, channel, 'new_prompt', now)
    if command == 'cancel':
        if resident.conversation_state is None:
            return _say(resident, channel, 'nothing_to_cancel', now)
        resident.conversation_state, resident.conversation_ticket_id = None, None
        return _say(resident, channel, 'cancelled', now)
    return _status(resident, channel, argument, now)


def _status(resident, channel, argument, now):
    if argument:
        code = canonical_tracking_code(argument)
        ticket = code and db.session.scalar(sa.select(Ticket).where(Ticket.tracking_code == code))
        if not ticket:
            return _say(resident, channel, 'status_unknown', now, code=argument[:20])
        found = [ticket]
    else:
        found = db.session.scalars(sa.select(Ticket).where(Ticket.resident_id == resident.id)
                                   .order_by(Ticket.received_dt.desc()).limit(3)).all()
        if not found:
            return _say(resident, channel, 'status_none', now)
    for ticket in found:
        _say(resident, channel, 'status_reply', now, ticket=ticket, answer_line=_answer_line(ticket, resident.language),
             **ticket_context(ticket, resident.language))


def _answer_line(ticket, language):
    replies = [m for m in ticket.messages if m.kind == 'reply']
    if replies:
        prefix = 'Last reply' if language == 'en' else 'Jawaban terakhir'
        return f'{prefix}: {replies[-1].body[:200]}'
    if language == 'en':
        return 'No reply yet; an officer answers by ' + ticket_context(ticket, 'en')['due_local'] + '.'
    return 'Belum ada jawaban; petugas menjawab paling lambat pukul ' + ticket_context(ticket, 'id')['due_local'] + '.'


# -- categories --------------------------------------------------------------------------------------

def _menu_categories():
    triage = current_app.config['TRIAGE_CATEGORY']
    return db.session.scalars(
        sa.select(Category).join(Agency).where(Category.is_active.is_(True), Agency.is_active.is_(True),
                                               Category.code != triage)
        .order_by(Agency.code, Category.code)).all()


def _offer_categories(resident, channel, ticket, now):
    categories = _menu_categories()
    if not categories:
        return
    english = resident.language == 'en'
    names = [c.name_en if english else c.name_id for c in categories]
    menu = '\n'.join(f'{i}. {name}' for i, name in enumerate(names, 1))
    options = [(f'{i}. {name}', f'cat:{ticket.id}:{c.code}') for i, (name, c) in enumerate(zip(names, categories), 1)]
    resident.conversation_state, resident.conversation_ticket_id = 'category', ticket.id
    _say(resident, channel, 'category_menu', now, ticket=ticket, options=options if channel == TELEGRAM else None,
         tracking_code=ticket.tracking_code, menu=menu)


def _choose_category(resident, channel, number, now):
    categories = _menu_categories()
    ticket = db.session.get(Ticket, resident.conversation_ticket_id) if resident.conversation_ticket_id else None
    if ticket is None:
        resident.conversation_state = None
        return _say(resident, channel, 'help', now)
    if not 1 <= number <= len(categories):
        return _say(resident, channel, 'category_invalid', now, choice=number, count=len(categories))
    return _apply_category(resident, channel, ticket, categories[number - 1], now)


def _on_button(resident, inbound, now):
    kind, _, rest = inbound.callback_data.partition(':')
    ticket_id, _, code = rest.partition(':')
    if kind != 'cat' or not ticket_id.isdigit():
        return _say(resident, inbound.channel, 'help', now)
    ticket = db.session.get(Ticket, int(ticket_id))
    category = db.session.scalar(sa.select(Category).where(Category.code == code, Category.is_active.is_(True)))
    if ticket is None or ticket.resident_id != resident.id or category is None:
        return _say(resident, inbound.channel, 'help', now)
    return _apply_category(resident, inbound.channel, ticket, category, now)


def _apply_category(resident, channel, ticket, category, now):
    resident.conversation_state, resident.conversation_ticket_id = None, None
    # Once an officer is working on it, the category is theirs to change, not the resident's.
    if ticket.status == 'new' and ticket.first_response_dt is None and ticket.category_id != category.id:
        tickets.recategorise(ticket, None, category, now=now)
    chosen = ticket.category
    return _say(resident, channel, 'category_chosen', now, ticket=ticket, tracking_code=ticket.tracking_code,
                category_name=chosen.name_en if resident.language == 'en' else chosen.name_id,
                agency_name=ticket.agency.name)


# -- complaints and follow-ups ---------------------------------------------------------------------

def _open_ticket(resident, channel):
    return db.session.scalar(sa.select(Ticket).where(
        Ticket.resident_id == resident.id, Ticket.channel == channel, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.received_dt.desc()).limit(1))


def _on_complaint(resident, inbound, text, payload, now):
    channel = inbound.channel
    ticket = None if resident.conversation_state == 'new' else _open_ticket(resident, channel)
    if ticket is not None:
        message = TicketMessage(ticket=ticket, kind=RESIDENT_MESSAGE, channel=channel, body=text or '-',
                                payload_id=payload.id, created_dt=now)
        db.session.add(message)
        ticket.updated_dt = now
        if ticket.status == WAITING:
            # The resident answered what the officer asked for: the resolution clock runs again.
            tickets.change_status(ticket, None, IN_PROGRESS, 'Warga menjawab', now=now, notify=False)
        _attach(ticket, message, inbound, now)
        return _say(resident, channel, 'appended', now, ticket=ticket, tracking_code=ticket.tracking_code)
    description = text or ('(lokasi)' if inbound.location and not inbound.media else '(foto)')
    ticket = tickets.file_complaint(category=current_app.config['TRIAGE_CATEGORY'], description=description,
                                    resident=resident, channel=channel, now=now,
                                    location={'lat': inbound.location[0], 'lng': inbound.location[1]}
                                    if inbound.location else None)
    message = ticket.messages[0]
    message.payload_id = payload.id
    resident.conversation_state = None
    _attach(ticket, message, inbound, now)
    _offer_categories(resident, channel, ticket, now)
    return ticket


def _attach(ticket, message, inbound, now):
    if inbound.location:
        lat, lng = inbound.location
        db.session.add(Attachment(ticket=ticket, message=message, kind=LOCATION, latitude=lat, longitude=lng,
                                  created_dt=now))
        if ticket.location_lat is None:
            ticket.location_lat, ticket.location_lng = lat, lng
    for media in inbound.media:
        try:
            data, content_type = _fetch(inbound.channel, media)
        except MediaError as exc:
            logger.info('Attachment on %s refused: %s', ticket.tracking_code, exc)
            _say(ticket.resident, inbound.channel, 'media_refused', now, ticket=ticket,
                 reason=_refusal_reason(exc, ticket.resident.language),
                 max_mb=current_app.config['MEDIA_MAX_BYTES'] // (1024 * 1024))
            continue
        attach_file(ticket, message, data, content_type, now=now)
    db.session.flush()


#: Why an attachment was refused, as the resident reads it.
_REFUSALS = {
    MediaTooLarge: {'id': 'ukuran file terlalu besar', 'en': 'the file is too large'},
    MediaTypeRefused: {'id': 'jenis file tidak diterima', 'en': 'this type of file is not accepted'},
    MediaError: {'id': 'file tidak dapat diambil', 'en': 'the file could not be fetched'},
}


def _refusal_reason(exc, language):
    texts = next(texts for kind, texts in _REFUSALS.items() if isinstance(exc, kind))
    return texts['en' if language == 'en' else 'id']


def _fetch(channel, media):
    from channels.intake import media_fetcher
    config = current_app.config
    allowed = config['MEDIA_TYPES']
    if media.content_type and media.content_type not in allowed:
        raise MediaTypeRefused(f'type {media.content_type} is not accepted')
    if media.size is not None and media.size > config['MEDIA_MAX_BYTES']:
        raise MediaTooLarge(f'{media.size // 1024} KB is too large')
    fetch = media_fetcher(channel)
    if fetch is None:
        raise MediaError(f'no way to fetch attachments on {channel}')
    data, content_type = fetch(media, max_bytes=config['MEDIA_MAX_BYTES'], config=config)
    content_type = (content_type or media.content_type or '').split(';')[0].strip() or None
    if content_type not in allowed:
        raise MediaTypeRefused(f'type {content_type or "unknown"} is not accepted')
    if len(data) > config['MEDIA_MAX_BYTES']:
        raise MediaTooLarge(f'{len(data) // 1024} KB is too large')
    return data, content_type


def _say(resident, channel, template, now, *, ticket=None, options=None, **context):
    return tell_resident(resident, channel, template, now=now, ticket=ticket, options=options, **context)
