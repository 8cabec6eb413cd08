"""Imports every model so the mapper and Alembic see the whole schema."""
from accounts.models import ApiToken, User  # noqa: F401
from complaints.models import Agency, Category, Resident, Ticket, TicketEvent, TicketMessage  # noqa: F401
from notifications.models import DeliveryAttempt, OutboxMessage  # noqa: F401
from sla.models import Escalation, ExtraDayOff, OfficeHours, SanctionNote, SanctionRecord  # noqa: F401
