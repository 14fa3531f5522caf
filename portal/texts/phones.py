"""Phone numbers as the provider needs them: E.164, read with the US as home."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

# A number of these kinds can receive texts; a landline cannot. US numbers are
# usually FIXED_LINE_OR_MOBILE: the numbering plan cannot tell them apart.
TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class NotAPhoneNumber(ValueError):
    pass


def to_e164(raw: str, region: str = "US") -> str:
    """The number in E.164 (+16175550141), or NotAPhoneNumber."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise NotAPhoneNumber(raw) from error
    if not phonenumbers.is_valid_number(number):
        raise NotAPhoneNumber(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def takes_texts(e164: str | None) -> bool:
    """True for a valid number that can be sent a text (not a known landline)."""
    if not e164:
        return False
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in TEXTABLE


def for_people(e164: str | None) -> str:
    """A stored number written the way people read it: (617) 555-0141 at home,
    +44 20 7946 0958 abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
