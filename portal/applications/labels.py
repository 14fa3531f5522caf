"""Words people read for the choices of the application form and its statuses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.applications.models import ApplicationStatus, Channel, ContactWay

# Boston's neighborhoods, as the city names them; a place name, not translated.
NEIGHBORHOODS = (
    "Allston", "Back Bay", "Bay Village", "Beacon Hill", "Brighton", "Charlestown",
    "Chinatown", "Dorchester", "Downtown", "East Boston", "Fenway", "Hyde Park",
    "Jamaica Plain", "Mattapan", "Mission Hill", "North End", "Roslindale", "Roxbury",
    "South Boston", "South End", "West End", "West Roxbury",
)
ANOTHER_PLACE = "other"

STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Received"),
    ApplicationStatus.ELIGIBLE: _l("Eligible"),
    ApplicationStatus.INELIGIBLE: _l("Not eligible"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
    ApplicationStatus.SELECTED: _l("Selected"),
    ApplicationStatus.ALTERNATE: _l("On the alternate list"),
    ApplicationStatus.NOT_SELECTED: _l("Not selected"),
    ApplicationStatus.CONFIRMED: _l("Confirmed"),
}

CHANNEL_LABELS = {
    Channel.ONLINE: _l("Online"),
    Channel.MAIL: _l("By mail"),
    Channel.IN_PERSON: _l("In person"),
    Channel.PHONE: _l("By phone"),
}

CONTACT_LABELS = {
    ContactWay.EMAIL: _l("Email"),
    ContactWay.TEXT: _l("Text message"),
    ContactWay.CALL: _l("Phone call"),
    ContactWay.MAIL: _l("Letter by mail"),
}

TIME_LABELS = {
    "weekday_daytime": _l("Weekdays, daytime"),
    "weekday_evening": _l("Weekday evenings"),
    "weekend": _l("Weekends"),
}

FORMAT_LABELS = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "either": _l("Either is fine"),
}

ELIGIBILITY_LABELS = {
    "yes": _l("Yes"),
    "no": _l("No"),
    "not_sure": _l("I am not sure"),
}

PREFER_NOT = ("prefer_not", _l("Prefer not to say"))

AGE_BANDS = (
    ("", _l("Choose one (optional)")),
    ("18-24", "18–24"), ("25-34", "25–34"), ("35-44", "35–44"), ("45-54", "45–54"),
    ("55-64", "55–64"), ("65+", _l("65 or older")), PREFER_NOT,
)

GENDERS = (
    ("", _l("Choose one (optional)")),
    ("woman", _l("Woman")), ("man", _l("Man")), ("nonbinary", _l("Non-binary")),
    ("another", _l("Another gender")), PREFER_NOT,
)

RACES = (
    ("american_indian", _l("American Indian or Alaska Native")),
    ("asian", _l("Asian")),
    ("black", _l("Black or African American")),
    ("cape_verdean", _l("Cape Verdean")),
    ("haitian", _l("Haitian")),
    ("hispanic", _l("Hispanic or Latino/a")),
    ("middle_eastern", _l("Middle Eastern or North African")),
    ("pacific_islander", _l("Native Hawaiian or Pacific Islander")),
    ("white", _l("White")),
    ("another", _l("Another identity")),
    PREFER_NOT,
)
