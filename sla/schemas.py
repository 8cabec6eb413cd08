"""Marshmallow schemas of the supervisor API."""
from marshmallow import Schema, fields, validate

from complaints.schemas import StrictSchema


class EscalationSchema(Schema):
    id = fields.Integer()
    tracking_code = fields.Function(lambda e: e.ticket.tracking_code)
    agency = fields.Function(lambda e: e.agency.code)
    kind = fields.String(metadata={'description': 'response or resolution'})
    level = fields.Integer(metadata={'description': '1 at the deadline, 2 at twice the window'})
    officer = fields.Function(lambda e: e.officer.email if e.officer else None,
                              metadata={'description': 'responsible when it was recorded'})
    threshold_at = fields.DateTime(attribute='threshold_dt')
    recorded_at = fields.DateTime(attribute='recorded_dt')
    acknowledged_by = fields.Function(lambda e: e.acknowledged_by.email if e.acknowledged_by else None)
    acknowledged_at = fields.DateTime(attribute='acknowledged_dt')
    ticket_status = fields.Function(lambda e: e.ticket.status)
    ticket_answered_at = fields.Function(
        lambda e: e.ticket.first_response_dt.isoformat() if e.ticket.first_response_dt else None)


class SanctionNoteSchema(Schema):
    author = fields.Function(lambda n: n.author.email)
    body = fields.String()
    at = fields.DateTime(attribute='created_dt')


class SanctionSchema(Schema):
    id = fields.Integer()
    tracking_code = fields.Function(lambda s: s.ticket.tracking_code)
    agency = fields.Function(lambda s: s.agency.code)
    officer = fields.Function(lambda s: s.officer.email if s.officer else None)
    responsibility = fields.String(metadata={'description': 'assignee, duty_officer or nobody'})
    received_at = fields.DateTime(attribute='received_dt')
    due_at = fields.DateTime(attribute='due_dt')
    breached_at = fields.DateTime(attribute='breached_dt', metadata={
        'description': 'when the sweep found the ticket still unanswered past its deadline'})
    status = fields.String(metadata={'description': 'pending, confirmed or waived'})
    decided_by = fields.Function(lambda s: s.decided_by.email if s.decided_by else None)
    decided_at = fields.DateTime(attribute='decided_dt')
    reason = fields.String(attribute='decision_reason')
    notes = fields.List(fields.Nested(SanctionNoteSchema))


class EscalationQuerySchema(StrictSchema):
    state = fields.String(validate=validate.OneOf(('open', 'acknowledged')), load_default=None)
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=50)
    offset = fields.Integer(validate=validate.Range(0), load_default=0)


class SanctionQuerySchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(('pending', 'confirmed', 'waived')), load_default=None)
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=50)
    offset = fields.Integer(validate=validate.Range(0), load_default=0)


class DecisionSchema(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(('confirmed', 'waived')))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class NoteSchema(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=2000))
