"""The program the current request is about."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from portal.programs.models import Program
from portal.programs.services import program_for


def current_program() -> Program | None:
    """The signed-in person's program (or the first one), looked up once per request."""
    if "program" not in g:
        g.program = program_for(current_user._get_current_object() if current_user else None)
    return g.program
