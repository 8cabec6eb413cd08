"""Marshmallow schemas of the public intake and the officer API."""
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from complaints.models import STATUSES
from core.errors import Invalid
from core.phones import normalise_phone


class StrictSchema(Schema):
    """Unknown fields are an error: a typo must not be silently dropped."""

    class Meta:
        ordered = True


def _text(max_length, min_length=1, **kwargs):
    return fields.String(validate=validate.Length(min=min_length, max=max_length), **kwargs)


class LocationSchema(StrictSchema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    address = _text(300, load_default=None)


class ComplaintInSchema(StrictSchema):
    category = _text(64, required=True, metadata={'description': 'a code from GET /api/v1/categories'})
    description = _text(5000, min_length=10, required=True)
    name = _text(120, load_default=None)
    phone = fields.String(load_default=None, metadata={'example': '081200001234'})
    email = fields.Email(load_default=None, validate=validate.Length(max=254))
    location = fields.Nested(LocationSchema, load_default=None)

    @validates('description')
    def _not_blank(self, value, **_kwargs):
        if len(value.strip()) < 10:
            raise ValidationError('Describe the problem in at least 10 characters.')

    @validates('phone')
    def _phone(self, value, **_kwargs):
        if value is None:
            return
        try:
            normalise_phone(value)
        except Invalid as exc:
            raise ValidationError(exc.message) from None


class ComplaintCreatedSchema(Schema):
    tracking_code = fields.String()
    status = fields.String()
    agency = fields.Function(lambda t: t.agency.code)
    response_due_at = fields.DateTime(attribute='response_due_dt')
    resolution_due_at = fields.DateTime(attribute='resolution_due_dt')


class AgencyBriefSchema(Schema):
    code = fields.String()
    name = fields.String()
    timezone = fields.String()


class CategorySchema(Schema):
    code = fields.String()
    name = fields.String(attribute='name_id', metadata={'description': 'Bahasa Indonesia'})
    name_en = fields.String()
    agency = fields.Nested(AgencyBriefSchema)
    response_window_minutes = fields.Integer()
    clock = fields.String(metadata={'description': 'wall (around the clock) or working (office hours)'})
    resolution_days = fields.Integer(metadata={'description': 'working days'})


class PublicReplySchema(Schema):
    body = fields.String()
    at = fields.DateTime(attribute='created_dt')


class PublicTicketSchema(Schema):
    """What anyone with the tracking code may see: no personal data."""

    tracking_code = fields.String()
    status = fields.String()
    category = fields.Function(lambda t: t.category.name_id)
    agency = fields.Nested(AgencyBriefSchema)
    received_at = fields.DateTime(attribute='received_dt')
    response_due_at = fields.DateTime(attribute='response_due_dt')
    first_response_at = fields.DateTime(attribute='first_response_dt')
    resolution_due_at = fields.DateTime(attribute='resolution_due_dt')
    resolved_at = fields.DateTime(attribute='resolved_dt')
    replies = fields.Method('_replies', metadata={'type': 'array'})

    def _replies(self, ticket):
        return PublicReplySchema(many=True).dump([m for m in ticket.messages if m.kind == 'reply'])


class StaffBriefSchema(Schema):
    email = fields.String()
    name = fields.String()
    role = fields.String()


class ResidentSchema(Schema):
    name = fields.String()
    phone = fields.String()
    email = fields.String()


class TicketSummarySchema(Schema):
    tracking_code = fields.String()
    status = fields.String()
    channel = fields.String()
    agency = fields.Function(lambda t: t.agency.code)
    category = fields.Function(lambda t: t.category.code)
    description = fields.Function(lambda t: t.description[:200])
    assignee = fields.Function(lambda t: t.assignee.email if t.assignee else None)
    received_at = fields.DateTime(attribute='received_dt')
    response_due_at = fields.DateTime(attribute='response_due_dt')
    first_response_at = fields.DateTime(attribute='first_response_dt')
    resolution_due_at = fields.DateTime(attribute='resolution_due_dt')
    sla = fields.Method('_sla', metadata={'description': 'on_track, at_risk, breached, or answered'})
    seconds_left = fields.Method('_seconds_left', metadata={
        'description': 'until the response deadline (negative when late); null once answered'})

    def _sla(self, ticket):
        from sla.deadlines import ResponseDeadlines, response_sla_state
        deadlines = ResponseDeadlines(ticket.response_warn_dt, ticket.response_due_dt, ticket.response_level2_dt)
        return response_sla_state(self.context_now, deadlines, ticket.first_response_dt) or 'answered'

    def _seconds_left(self, ticket):
        if ticket.first_response_dt is not None:
            return None
        return int((ticket.response_due_dt - self.context_now).total_seconds())

    @property
    def context_now(self):
        from core.timeutil import now_utc
        return now_utc()


class InboxSchema(Schema):
    total = fields.Integer()
    tickets = fields.List(fields.Nested(TicketSummarySchema))


class MessageSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={'description': 'resident, reply (sent to the resident) or note (internal)'})
    channel = fields.String()
    author = fields.Function(lambda m: m.author.email if m.author else None)
    body = fields.String()
    at = fields.DateTime(attribute='created_dt')


class EventSchema(Schema):
    action = fields.String()
    actor = fields.Function(lambda e: e.actor.email if e.actor else 'system')
    from_value = fields.String(data_key='from')
    to_value = fields.String(data_key='to')
    reason = fields.String()
    at = fields.DateTime(attribute='created_dt')


class TicketEscalationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    level = fields.Integer()
    threshold_at = fields.DateTime(attribute='threshold_dt')
    recorded_at = fields.DateTime(attribute='recorded_dt')
    acknowledged_at = fields.DateTime(attribute='acknowledged_dt')


class TicketDetailSchema(TicketSummarySchema):
    description = fields.String()
    resident = fields.Nested(ResidentSchema)
    location = fields.Method('_location')
    first_response_by = fields.Function(lambda t: t.first_response_by.email if t.first_response_by else None)
    resolution_paused_at = fields.DateTime(attribute='resolution_paused_dt')
    messages = fields.List(fields.Nested(MessageSchema))
    history = fields.List(fields.Nested(EventSchema), attribute='events')
    escalations = fields.Method('_escalations', metadata={'type': 'array'})

    def _location(self, ticket):
        if ticket.location_lat is None:
            return None
        return {'lat': ticket.location_lat, 'lng': ticket.location_lng, 'address': ticket.location_address}

    def _escalations(self, ticket):
        import sqlalchemy as sa

        from core.extensions import db
        from sla.models import Escalation
        rows = db.session.scalars(sa.select(Escalation).where(Escalation.ticket_id == ticket.id)
                                  .order_by(Escalation.id)).all()
        return TicketEscalationSchema(many=True).dump(rows)


class InboxQuerySchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(STATUSES), load_default=None)
    sla = fields.String(validate=validate.OneOf(('on_track', 'at_risk', 'breached')), load_default=None)
    assignee = fields.String(validate=validate.OneOf(('me', 'none')), load_default=None)
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=50)
    offset = fields.Integer(validate=validate.Range(0), load_default=0)


class BodySchema(StrictSchema):
    body = _text(5000, required=True)

    @post_load
    def _strip(self, data, **_kwargs):
        if not data['body'].strip():
            raise ValidationError({'body': ['Must not be blank.']})
        return data


class AssignSchema(StrictSchema):
    officer = fields.Email(required=True)


class TransferSchema(StrictSchema):
    agency = _text(32, required=True)
    reason = _text(1000, required=True)


class StatusSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = _text(1000, load_default=None)
