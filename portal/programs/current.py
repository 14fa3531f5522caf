"""The program the current request is about."""

from __future__ import annotations

from flask import abort, g, has_request_context
from flask_login import current_user

from portal.programs.models import Program
from portal.programs.services import program_for


def current_program() -> Program | None:
    """The signed-in person's program (or the first one), looked up once per request."""
    if "program" not in g:
        user = current_user._get_current_object() if has_request_context() else None
        g.program = program_for(user)
    return g.program


def current_program_or_404() -> Program:
    """The current program, for pages that mean nothing without one."""
    program = current_program()
    if program is None:
        abort(404)
    return program
