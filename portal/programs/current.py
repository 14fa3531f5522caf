"""The program the current request is about."""

from __future__ import annotations

from flask import abort, g, has_request_context
from flask_login import current_user

from portal.programs.models import Program
from portal.programs.services import program_and_membership


def _look_up() -> None:
    if "program" not in g:
        user = current_user._get_current_object() if has_request_context() else None
        g.program, g.enrolled_in_program = program_and_membership(user)


def current_program() -> Program | None:
    """The signed-in person's program (or the first one), looked up once per request."""
    _look_up()
    return g.program


def current_program_or_404() -> Program:
    """The current program, for pages that mean nothing without one."""
    program = current_program()
    if program is None:
        abort(404)
    return program


def enrolled_in_current_program(program_id: int) -> bool:
    """True when the signed-in person is an active member of this program, known
    from the lookup every page makes anyway. False means "ask the database"."""
    _look_up()
    return g.enrolled_in_program and g.program is not None and g.program.id == program_id
