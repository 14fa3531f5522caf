"""An open call and an application in it, as several test modules need them."""

from __future__ import annotations

from datetime import date, time, timedelta

from portal.applications.models import Channel, ContactWay
from portal.applications.services import (
    ApplicationDetails,
    CallDetails,
    CallWording,
    Contact,
    Receipt,
    open_call,
    submit_application,
)
from portal.db import utcnow


def sample_call(admin, program, *, slug="design-group", questions=()):
    """A call open for twenty more days, its paper applications going to City Hall."""
    return open_call(admin, program, CallDetails(
        slug=slug, deadline_day=date.today() + timedelta(days=20), deadline_time=time(17),
        decisions_by=None, seats=10, paper_address="City Hall", paper_office=None,
        paper_hours=None), CallWording("en", "Apply", "Join us.", "Boston residents",
                                       tuple(questions)), utcnow())


def sample_paper_application(admin, call, *, statement="A long night.", scan=None):
    """An application that came by mail, typed in by an admin."""
    return submit_application(call, ApplicationDetails(
        name="Pat Applicant", preferred_name=None,
        contact=Contact(phone="617-555-0142", preferred=ContactWay.CALL), language="en",
        language_other=None, neighborhood="Roxbury", eligibility={}, answers={},
        statement=statement, experience=None, availability={}, needs={}, consent=True),
        Receipt(channel=Channel.MAIL, entered_by=admin, scan=scan), utcnow())
