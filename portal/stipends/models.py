"""Stipend payments. A payment is never edited or deleted: a mistake is voided and re-recorded."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum
from portal.programs.models import Enrollment


class PaymentMethod(enum.StrEnum):
    CHECK = "check"
    DIRECT_DEPOSIT = "direct_deposit"
    PREPAID_CARD = "prepaid_card"
    GIFT_CARD = "gift_card"
    CASH = "cash"


class VoidReason(enum.StrEnum):
    """Why a payment was voided, in words the member is told in their own language."""

    LOST = "lost"  # the check or card was lost or never arrived
    WRONG_AMOUNT = "wrong_amount"
    RECORDED_TWICE = "recorded_twice"
    WRONG_DETAILS = "wrong_details"  # wrong date, method or person
    OTHER = "other"


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="RESTRICT"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    method: Mapped[PaymentMethod] = mapped_column(string_enum(PaymentMethod))
    reference: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500))
    # One key per filled-in form, so sending the same form twice records one payment.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(500))
    # The kind of reason, so the member is told in their language; voids made before
    # it was asked have none.
    void_reason_kind: Mapped[VoidReason | None] = mapped_column(string_enum(VoidReason))

    enrollment: Mapped[Enrollment] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.amount_cents} enrollment={self.enrollment_id}>"


class PaymentIsPermanent(RuntimeError):
    """Raised when code tries to delete a payment or change what was paid."""


# Only the void fields may ever change after a payment is written.
_VOID_FIELDS = frozenset({"voided_by_id", "voided_at", "void_reason", "void_reason_kind",
                          "voided_by"})


@event.listens_for(Payment, "before_delete")
def _refuse_delete(mapper, connection, payment: Payment) -> None:
    raise PaymentIsPermanent("Payments are never deleted; void it instead.")


@event.listens_for(Payment, "before_update")
def _refuse_edit(mapper, connection, payment: Payment) -> None:
    state = inspect(payment)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    if changed - _VOID_FIELDS:
        raise PaymentIsPermanent(
            "A payment cannot be edited; void it and record a new one. "
            f"Tried to change: {', '.join(sorted(changed - _VOID_FIELDS))}"
        )
    # A void is final: once voided_at holds a time, no void field changes again.
    earlier = state.attrs.voided_at.load_history()
    if earlier.deleted and earlier.deleted[0] is not None or payment.voided_at is None:
        raise PaymentIsPermanent("A void cannot be undone or changed.")


class TaxDetails(db.Model):
    """What a tax form (1099) needs about a person: their legal name and mailing address.

    Kept apart from the profile because only finance staff may read or change it.
    """

    __tablename__ = "tax_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    legal_name: Mapped[str | None] = mapped_column(String(160))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(60))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
