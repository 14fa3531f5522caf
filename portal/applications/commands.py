"""`flask applications purge`: delete applications of people not selected once their
call's decisions are older than the retention time (meant for a daily cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db import db, utcnow

applications_commands = AppGroup("applications", help="Applications to open calls.")


@applications_commands.command("purge")
def purge():
    """Delete applications of people not selected, keeping anonymous counts."""
    from portal.applications.services import purge_after_decisions, retention_days

    removed = purge_after_decisions(utcnow(), retention_days())
    db.session.commit()
    click.echo(f"deleted {removed} applications (kept {retention_days()} days after decisions)")
