"""The channel adapter interface and the registry that picks an adapter for each channel."""
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class OutboundMessage:
    """What an adapter needs to send one outbox row; a plain value, so sending touches no database."""

    outbox_id: int
    channel: str
    address: str
    subject: str | None
    body: str
    ticket_code: str | None
    #: Choices to offer as buttons where the channel has them (Telegram): (label, callback data) pairs.
    #: The body already lists them as numbers for channels without buttons.
    options: tuple = ()
    language: str = 'id'
    #: WhatsApp only: True when the resident wrote within the last 24 hours (free-form allowed),
    #: False when not (an approved template is needed), None when unknown or not a resident.
    window_open: bool | None = None


@dataclass(frozen=True)
class SendResult:
    """What the provider said about a message it accepted."""

    provider_message_id: str | None = None


class DeliveryError(Exception):
    """The provider did not take the message; `permanent` means retrying cannot help (e.g. invalid number)."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.permanent = permanent


class ChannelAdapter(ABC):
    """Sends messages on one provider; subclasses set `name` and implement `send`."""

    #: The name `CHANNEL_ADAPTERS` refers to, and the one recorded on each delivery attempt.
    name: str = None

    def __init__(self, config):
        self.config = config

    @abstractmethod
    def send(self, message):
        """Deliver `message` (an OutboundMessage) and return a SendResult; raise DeliveryError on failure."""


_registry = {}


def register(adapter_cls):
    """Make an adapter class available under its `name`; usable as a class decorator."""
    if not adapter_cls.name:
        raise ValueError(f'{adapter_cls.__name__} has no name')
    existing = _registry.get(adapter_cls.name)
    if existing is not None and existing is not adapter_cls:
        raise ValueError(f'Adapter name {adapter_cls.name!r} is already taken by {existing.__name__}')
    _registry[adapter_cls.name] = adapter_cls
    return adapter_cls


def adapter_name(channel, config):
    """The adapter name configured for `channel`, or None when the channel has none."""
    return (config.get('CHANNEL_ADAPTERS') or {}).get(channel)


def get_adapter(channel, config):
    """A ready adapter for `channel`, as configured in `CHANNEL_ADAPTERS`."""
    name = adapter_name(channel, config)
    if name is None:
        raise DeliveryError(f'No adapter is configured for channel {channel!r}', permanent=True)
    adapter_cls = _registry.get(name)
    if adapter_cls is None:
        # A deployment mistake (adapter not installed or misspelt), not a property of the message:
        # keep it retryable so fixing CHANNEL_ADAPTERS lets the queued messages through.
        raise DeliveryError(f'Channel {channel!r} is mapped to unknown adapter {name!r}; '
                            f'known: {", ".join(sorted(_registry))}')
    return adapter_cls(config)
