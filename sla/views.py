"""Supervisor API: escalations and sanction records."""
from flask import Blueprint, g, jsonify

from core.api import load_json, load_query
from core.auth import staff_required
from core.extensions import db
from core.openapi import doc
from core.timeutil import now_utc
from sla import operations
from sla.schemas import (
    DecisionSchema, EscalationQuerySchema, EscalationSchema, NoteSchema, SanctionQuerySchema, SanctionSchema)

bp = Blueprint('sla', __name__, url_prefix='/api/v1')
SUPERVISORS = ('supervisor', 'admin')


@bp.get('/escalations')
@staff_required(*SUPERVISORS)
@doc("Open and past escalations of the supervisor's agency", query=EscalationQuerySchema,
     response=EscalationSchema, many=True, tag='supervisors')
def list_escalations():
    query = load_query(EscalationQuerySchema())
    return jsonify(EscalationSchema(many=True).dump(operations.list_escalations(g.user, **query)))


@bp.post('/escalations/<int:escalation_id>/acknowledge')
@staff_required(*SUPERVISORS)
@doc('Acknowledge an escalation', response=EscalationSchema, tag='supervisors')
def acknowledge(escalation_id):
    escalation = operations.get_escalation(g.user, escalation_id)
    operations.acknowledge(escalation, g.user, now=now_utc())
    db.session.commit()
    return jsonify(EscalationSchema().dump(escalation))


@bp.get('/sanctions')
@staff_required(*SUPERVISORS)
@doc('Sanction records', query=SanctionQuerySchema, response=SanctionSchema, many=True, tag='supervisors')
def list_sanctions():
    query = load_query(SanctionQuerySchema())
    return jsonify(SanctionSchema(many=True).dump(operations.list_sanctions(g.user, **query)))


@bp.post('/sanctions/<int:sanction_id>/decision')
@staff_required(*SUPERVISORS)
@doc('Confirm or waive a sanction record, with a reason; final once made', request=DecisionSchema,
     response=SanctionSchema, tag='supervisors')
def decide(sanction_id):
    data = load_json(DecisionSchema())
    record = operations.get_sanction(g.user, sanction_id, for_update=True)
    operations.decide_sanction(record, g.user, data['decision'], data['reason'], now=now_utc())
    db.session.commit()
    return jsonify(SanctionSchema().dump(record))


@bp.post('/sanctions/<int:sanction_id>/notes')
@staff_required(*SUPERVISORS)
@doc('Append a note to a sanction record (the only change a decided record allows)', request=NoteSchema,
     response=SanctionSchema, status=201, tag='supervisors')
def add_note(sanction_id):
    data = load_json(NoteSchema())
    record = operations.get_sanction(g.user, sanction_id)
    operations.add_sanction_note(record, g.user, data['body'], now=now_utc())
    db.session.commit()
    db.session.refresh(record)
    return jsonify(SanctionSchema().dump(record)), 201
