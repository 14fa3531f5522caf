"""Command-line tasks: demo data, sending the outbox."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask

from portal.db import db


def register_commands(app: Flask) -> None:
    @app.cli.group()
    def seed():
        """Load data."""

    @seed.command("demo")
    def seed_demo_command():
        """Load the demo program and people (safe to run again)."""
        from portal.demo import seed_demo, sign_in_table

        seed_demo(date.today())
        db.session.commit()
        click.echo(sign_in_table())

    @app.cli.group()
    def meetings():
        """Meetings."""

    @meetings.command("remind")
    @click.option("--hours", default=24, show_default=True,
                  help="Remind about meetings starting within this many hours.")
    def meetings_remind(hours: int):
        """Queue reminders for coming meetings (meant for cron; never queues one twice)."""
        from datetime import timedelta

        from portal.db import utcnow
        from portal.meetings.services import queue_reminders

        click.echo(f"queued {queue_reminders(utcnow(), timedelta(hours=hours))} reminders")

    @app.cli.group()
    def outbox():
        """Email waiting to be sent."""

    @outbox.command("send")
    def outbox_send():
        """Send queued email; failures stay queued and are tried again later."""
        from portal.outbox.services import send_queued_messages

        sent, failed = send_queued_messages()
        click.echo(f"sent {sent}, failed {failed} (will be retried)")

    from portal.backup import backup_commands

    app.cli.add_command(backup_commands)
