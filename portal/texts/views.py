"""The provider's webhooks (texts that come in, delivery reports) and the
staff's call list."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from portal.access import checks_own_signature, public, roles_required
from portal.auth.models import Role
from portal.db import db, utcnow
from portal.i18n import current_language
from portal.meetings.views import get_meeting
from portal.texts.call_list import call_list
from portal.texts.replies import handle_inbound, record_delivery

bp = Blueprint("texts", __name__)


def _signed_by_provider() -> bool:
    """Twilio signs each webhook with the account's auth token over the address
    it called and the fields it sent; anything else is refused."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    address = current_app.config["BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        address += "?" + request.query_string.decode("utf-8", "replace")
    return RequestValidator(token).validate(address, request.form.to_dict(), signature)


def _twiml(reply: str | None) -> Response:
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return Response(str(answer), mimetype="application/xml")


@bp.route("/sms/inbound", methods=["POST"])
@public
@checks_own_signature
def inbound():
    if not _signed_by_provider():
        abort(403)
    sender, body = request.form.get("From", ""), request.form.get("Body", "")
    sid = request.form.get("MessageSid", "")
    if not sender or not sid:
        abort(400)
    reply = handle_inbound(sender, body, sid, utcnow())
    db.session.commit()
    return _twiml(reply)


@bp.route("/sms/status", methods=["POST"])
@public
@checks_own_signature
def delivery_status():
    if not _signed_by_provider():
        abort(403)
    sid, status = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    if sid and status and record_delivery(sid, status):
        db.session.commit()
    return Response(status=204)


@bp.route("/meetings/<int:meeting_id>/call-list")
@roles_required(Role.FACILITATOR, Role.ADMIN)
def meeting_call_list(meeting_id: int):
    meeting = get_meeting(meeting_id)
    return render_template("texts/call_list.html", meeting=meeting, people=call_list(meeting),
                           text=meeting.text_for(current_language().code))
