"""What every inbound adapter turns a provider's payload into: one channel-neutral message."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Media:
    """A photo or file the resident sent, still at the provider."""

    #: Twilio: the MediaUrl; Telegram: empty (fetched through `file_id`).
    url: str = ''
    content_type: str | None = None
    #: Telegram's file_id of the largest photo size, or of the document.
    file_id: str | None = None
    #: Size the provider announced, when it did (Telegram does), so oversize files are refused unfetched.
    size: int | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One message from a resident, whatever the channel."""

    channel: str                      # 'telegram', 'whatsapp' or 'sms'
    external_id: str                  # MessageSid, or the Telegram update_id
    text: str = ''
    #: The sender's phone as the provider gave it (normalised later): Twilio From, a shared Telegram contact.
    phone: str | None = None
    name: str | None = None
    #: 'id' or 'en' when the provider tells (Telegram language_code); None otherwise.
    language: str | None = None
    telegram_user_id: int | None = None
    telegram_chat_id: int | None = None
    #: True when `phone` is a Telegram contact the user shared of themselves (links the accounts).
    is_shared_contact: bool = False
    location: tuple[float, float] | None = None
    media: tuple[Media, ...] = field(default_factory=tuple)
    #: Telegram inline-keyboard button data, e.g. 'cat:bansos'.
    callback_data: str | None = None


class MediaError(Exception):
    """An attachment could not be fetched or is not accepted; the message says why."""


class MediaTooLarge(MediaError):
    """The attachment is larger than MEDIA_MAX_BYTES."""


class MediaTypeRefused(MediaError):
    """The attachment's type is not one of MEDIA_TYPES."""
