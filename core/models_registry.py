"""Imports every model so the mapper and Alembic see the whole schema."""
from accounts.models import ApiToken, User  # noqa: F401
from channels.models import InboundPayload  # noqa: F401
from complaints.models import (  # noqa: F401
    Agency, Attachment, Category, Resident, Ticket, TicketEvent, TicketMessage)
from notifications.models import DeliveryAttempt, OutboxMessage  # noqa: F401
from sla.models import Escalation, ExtraDayOff, OfficeHours, SanctionNote, SanctionRecord  # noqa: F401
from core.audit import AuditEntry  # noqa: F401
