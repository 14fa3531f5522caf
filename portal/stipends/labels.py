"""Words people read for payment methods and tax-form states, in their language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.programs.models import TaxFormStatus
from portal.stipends.models import PaymentMethod

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
