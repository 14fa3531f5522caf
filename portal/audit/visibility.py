"""What of the audit trail and the outbox people without finance rights may read.

Money details (amounts, references, void reasons, what a payment email says) are
for finance. Others see that a payment event happened, and when, and by whom.
"""

from __future__ import annotations

from portal.auth.models import Role, User

# Audit actions about money, and the details of theirs that only finance reads.
MONEY_ACTIONS = frozenset({"payment.recorded", "payment.voided"})
MONEY_DETAILS = frozenset({"amount_cents", "reference", "reason", "reason_kind", "method",
                           "paid_on", "note"})
# Emails whose subject and body speak of money.
MONEY_TOPICS = frozenset({"payment_recorded", "payment_voided"})


def sees_money(viewer: User) -> bool:
    return viewer.has_role(Role.FINANCE)


def audit_details_for(viewer: User, action: str, details: dict | None) -> dict:
    """An audit event's details as this viewer may read them."""
    details = dict(details or {})
    if action in MONEY_ACTIONS and not sees_money(viewer):
        for key in MONEY_DETAILS & details.keys():
            details[key] = "…"
    return details


def outbox_subject_for(viewer: User, topic: str | None, subject: str) -> str | None:
    """An outbox message's subject as this viewer may read it; None when it is hidden
    (the page then says what kind of message it is instead)."""
    if topic in MONEY_TOPICS and not sees_money(viewer):
        return None
    return subject
