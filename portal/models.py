"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from portal.applications.models import (
    Application,
    ApplicationDraft,
    CallQuestion,
    CallText,
    OpenCall,
)
from portal.audit.models import AuditEvent
from portal.auth.models import (
    AccountToken,
    Role,
    RoleGrant,
    RoleGrantRequest,
    TokenPurpose,
    User,
)
from portal.documents.models import Document, DocumentVersion, TranslationRequest
from portal.meetings.models import (
    Attendance,
    CalendarFeed,
    Meeting,
    MeetingReminder,
    MeetingText,
    MeetingTranslationRequest,
    Rsvp,
)
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.programs.models import (
    Enrollment,
    EnrollmentStatus,
    Installment,
    Program,
    TaxFormStatus,
)
from portal.review.models import CallReviewer, Review, ReviewSetup, RubricCriterion
from portal.selection.models import SeatOffer, SelectionDraw, SelectionPlan
from portal.stipends.models import Payment, PaymentMethod
from portal.texts.models import InboundText, TextConsent

__all__ = [
    "Application", "ApplicationDraft", "CallQuestion", "CallText", "OpenCall",
    "CallReviewer", "Review", "ReviewSetup", "RubricCriterion",
    "AccountToken", "Attendance", "AuditEvent", "CalendarFeed", "Document", "DocumentVersion",
    "InboundText", "Meeting", "MeetingReminder", "MeetingTranslationRequest",
    "MeetingText", "Rsvp", "Enrollment", "EnrollmentStatus", "Installment",
    "OutboxMessage", "OutboxStatus", "Payment", "PaymentMethod", "Program", "Role", "RoleGrant",
    "RoleGrantRequest", "SeatOffer", "SelectionDraw", "SelectionPlan", "TaxFormStatus",
    "TextConsent", "TokenPurpose", "TranslationRequest", "User",
]
