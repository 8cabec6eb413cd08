"""Phone numbers normalised to E.164 with the Indonesian region as the default."""
import phonenumbers

from core.errors import Invalid


def normalise_phone(raw, *, field='phone'):
    """Return `raw` as E.164 (+62...), or raise Invalid. Accepts 0812..., 62812..., +62 812..., whatsapp:+62..."""
    text = (raw or '').strip()
    if text.lower().startswith('whatsapp:'):
        text = text[len('whatsapp:'):]
    if text.isdigit() and text.startswith('62'):
        text = '+' + text
    try:
        number = phonenumbers.parse(text, 'ID')
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        message = f'{raw!r} is not a valid phone number; write it as 0812xxxxxxxx or +62812xxxxxxxx.'
        raise Invalid(message, fields={field: [message]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
