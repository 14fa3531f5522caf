"""Words people read for payment methods, voids, tax-form states and who has left."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.programs.models import TaxFormStatus
from portal.stipends.models import PaymentMethod, VoidReason

METHOD_LABELS = {
    PaymentMethod.CHECK: _l("Check"),
    PaymentMethod.DIRECT_DEPOSIT: _l("Direct deposit"),
    PaymentMethod.PREPAID_CARD: _l("Prepaid card"),
    PaymentMethod.GIFT_CARD: _l("Gift card"),
    PaymentMethod.CASH: _l("Cash"),
}

TAX_FORM_LABELS = {
    TaxFormStatus.NOT_REQUESTED: _l("Not requested"),
    TaxFormStatus.REQUESTED: _l("Requested, not received"),
    TaxFormStatus.RECEIVED: _l("Received"),
}

# What finance staff choose when voiding; the member's email says it in their words.
VOID_REASON_LABELS = {
    VoidReason.LOST: _l("The check or card was lost or did not arrive"),
    VoidReason.WRONG_AMOUNT: _l("The amount was typed wrong"),
    VoidReason.RECORDED_TWICE: _l("The same payment was recorded twice"),
    VoidReason.WRONG_DETAILS: _l("The date, the way it was paid or the person was wrong"),
    VoidReason.OTHER: _l("Another reason"),
}

# Why nothing is due to someone: shown next to their stipend wherever a due is shown.
STANDING_LABELS = {
    "withdrawn": _l("Withdrawn"),
    "deactivated": _l("Deactivated"),
}
