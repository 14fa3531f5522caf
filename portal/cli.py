"""Command-line tasks: demo data, sending the outbox, the auditor's selection draw."""

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

    @seed.command("city")
    @click.option("--scale", default=1.0, show_default=True, type=float,
                  help="1.0 = 50 programs, 5,000 members, 250,000 answers, 100,000 payments.")
    @click.option("--seed", "seed_value", default=7, show_default=True, type=int,
                  help="The same seed makes the same data.")
    def seed_city_command(scale: float, seed_value: int):
        """Fill an empty database with a city-scale data set, for measuring speed."""
        from portal.city_data import CityDataError, build_city, sign_in_examples
        from portal.demo import DEMO_PASSWORD

        try:
            summary = build_city(scale, seed_value, report=click.echo)
        except CityDataError as error:
            raise click.ClickException(str(error)) from error
        for table, count in summary.counts.items():
            click.echo(f"{table:<20} {count:>9,}")
        click.echo(f"built in {summary.seconds:.1f} s")
        for role, name in sign_in_examples():
            click.echo(f"{role:<12} {name}")
        click.echo(f"Password for everyone: {DEMO_PASSWORD}")

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

    @app.cli.group()
    def selection():
        """The selection lottery, for auditors."""

    @selection.command("draw")
    @click.option("--pool", "pool_file", required=True, type=click.File(encoding="utf-8"),
                  help="CSV: a header id and one column per category.")
    @click.option("--targets", "targets_file", required=True,
                  type=click.File(encoding="utf-8"), help="CSV: category,value,min,max.")
    @click.option("--seats", required=True, type=click.IntRange(min=1))
    @click.option("--seed", required=True, help="The published seed, read as text.")
    @click.option("--alternates", default=0, show_default=True, type=click.IntRange(min=0))
    def selection_draw(pool_file, targets_file, seats: int, seed: str, alternates: int):
        """Redo a draw: print id,outcome,rank,probability for everyone in the pool."""
        from portal.selection.commands import run_draw

        run_draw(pool_file.read(), targets_file.read(), seats, seed, alternates)

    from portal.applications.commands import applications_commands
    from portal.backup import backup_commands

    app.cli.add_command(backup_commands)
    app.cli.add_command(applications_commands)
