"""Public intake and the officer API: parse, call one operation, serialise, commit once."""
import sqlalchemy as sa
from flask import Blueprint, g, jsonify

from complaints import operations
from complaints.models import Agency, Category
from complaints.schemas import (
    AssignSchema, BodySchema, CategorySchema, ComplaintCreatedSchema, ComplaintInSchema, InboxQuerySchema,
    InboxSchema, MessageSchema, PublicTicketSchema, StatusSchema, TicketDetailSchema, TransferSchema)
from core.api import load_json, load_query
from core.auth import staff_required
from core.extensions import db
from core.openapi import doc
from core.timeutil import now_utc

public_bp = Blueprint('public', __name__, url_prefix='/api/v1')
staff_bp = Blueprint('staff', __name__, url_prefix='/api/v1')


@public_bp.get('/categories')
@doc('Categories a resident can choose', response=CategorySchema, many=True, tag='public')
def list_categories():
    categories = db.session.scalars(
        sa.select(Category).join(Agency).where(Category.is_active.is_(True), Agency.is_active.is_(True))
        .order_by(Agency.code, Category.code)).all()
    return jsonify(CategorySchema(many=True).dump(categories))


@public_bp.post('/complaints')
@doc('File a complaint', request=ComplaintInSchema, response=ComplaintCreatedSchema, status=201, tag='public')
def file_complaint():
    data = load_json(ComplaintInSchema())
    ticket = operations.file_complaint(now=now_utc(), **data)
    db.session.commit()
    return jsonify(ComplaintCreatedSchema().dump(ticket)), 201


@public_bp.get('/complaints/<tracking_code>')
@doc("The resident's view of a complaint", response=PublicTicketSchema, tag='public')
def public_ticket(tracking_code):
    return jsonify(PublicTicketSchema().dump(operations.get_public_ticket(tracking_code)))


@staff_bp.get('/tickets')
@staff_required()
@doc('The inbox, most urgent first', query=InboxQuerySchema, response=InboxSchema, tag='tickets')
def inbox():
    query = load_query(InboxQuerySchema())
    tickets, total = operations.list_inbox(g.user, now=now_utc(), **query)
    return jsonify(InboxSchema().dump({'total': total, 'tickets': tickets}))


@staff_bp.get('/tickets/<tracking_code>')
@staff_required()
@doc('The whole ticket: messages, notes, history, escalations', response=TicketDetailSchema, tag='tickets')
def ticket_detail(tracking_code):
    return jsonify(TicketDetailSchema().dump(operations.get_staff_ticket(g.user, tracking_code)))


@staff_bp.post('/tickets/<tracking_code>/replies')
@staff_required()
@doc('Reply to the resident on their channel; the first reply is the response', request=BodySchema,
     response=MessageSchema, status=201, tag='tickets')
def reply(tracking_code):
    data = load_json(BodySchema())
    ticket = operations.get_staff_ticket(g.user, tracking_code, for_update=True)
    message = operations.reply(ticket, g.user, data['body'], now=now_utc())
    db.session.commit()
    return jsonify(MessageSchema().dump(message)), 201


@staff_bp.post('/tickets/<tracking_code>/notes')
@staff_required()
@doc('An internal note, never sent to the resident', request=BodySchema, response=MessageSchema, status=201,
     tag='tickets')
def note(tracking_code):
    data = load_json(BodySchema())
    ticket = operations.get_staff_ticket(g.user, tracking_code)
    message = operations.add_note(ticket, g.user, data['body'], now=now_utc())
    db.session.commit()
    return jsonify(MessageSchema().dump(message)), 201


@staff_bp.post('/tickets/<tracking_code>/assign')
@staff_required()
@doc('Assign the ticket to an officer of its agency', request=AssignSchema, response=TicketDetailSchema,
     tag='tickets')
def assign(tracking_code):
    data = load_json(AssignSchema())
    ticket = operations.get_staff_ticket(g.user, tracking_code, for_update=True)
    operations.assign(ticket, g.user, data['officer'], now=now_utc())
    db.session.commit()
    return jsonify(TicketDetailSchema().dump(ticket))


@staff_bp.post('/tickets/<tracking_code>/transfer')
@staff_required()
@doc('Transfer the ticket to another agency; deadlines keep running', request=TransferSchema,
     response=TicketDetailSchema, tag='tickets')
def transfer(tracking_code):
    data = load_json(TransferSchema())
    ticket = operations.get_staff_ticket(g.user, tracking_code, for_update=True)
    operations.transfer(ticket, g.user, data['agency'], data['reason'], now=now_utc())
    db.session.commit()
    return jsonify(TicketDetailSchema().dump(ticket))


@staff_bp.post('/tickets/<tracking_code>/status')
@staff_required()
@doc('Change the status', request=StatusSchema, response=TicketDetailSchema, tag='tickets')
def change_status(tracking_code):
    data = load_json(StatusSchema())
    ticket = operations.get_staff_ticket(g.user, tracking_code, for_update=True)
    operations.change_status(ticket, g.user, data['status'], data['reason'], now=now_utc())
    db.session.commit()
    return jsonify(TicketDetailSchema().dump(ticket))
