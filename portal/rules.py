"""The one kind of error every area's rules raise."""

from __future__ import annotations


class RuleError(ValueError):
    """A change that would break one of the portal's rules.

    `field` names the form field the message belongs to. The message is kept
    as given (usually lazy), so it is shown in the reader's language.
    """

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field
        self.message = message
