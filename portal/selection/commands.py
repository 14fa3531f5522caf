"""The auditor's `flask selection draw`: reads the two files, calls the selection rule and
prints the result as CSV on standard output. Everything else goes to standard error, in
the operator's language, so the output can be compared byte for byte."""

from __future__ import annotations

import csv
import sys
from fractions import Fraction

import click
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal.i18n import operator_language
from portal.selection.inputs import SelectionError, read_pool_csv, read_targets_csv
from portal.selection.lottery import draw

RESULT_HEADER = ("id", "outcome", "rank", "probability")


def four_decimals(chance: Fraction) -> str:
    """An exact chance rounded to four decimals (half to even), without floating point."""
    units = round(chance * 10_000)
    return f"{units // 10_000}.{units % 10_000:04d}"


def explain(error: SelectionError) -> str:
    """The refusal in the current language; the names of categories and values stay as
    they are in the files."""
    return gettext(error.template, **error.params)


def run_draw(pool_text: str, targets_text: str, seats: int, seed: str,
             alternates: int) -> None:
    with operator_language():
        try:
            pool = read_pool_csv(pool_text)
            result = draw(pool, read_targets_csv(targets_text), seats, alternates, seed)
        except SelectionError as error:
            raise click.ClickException(explain(error)) from None
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(RESULT_HEADER)
        for person_id in pool:
            outcome, rank = result.outcome(person_id)
            writer.writerow([person_id, outcome, rank or "",
                             four_decimals(result.chances[person_id])])
        click.echo(str(_l("Pool fingerprint (SHA-256): %(digest)s",
                          digest=result.pool_fingerprint)), err=True)
        click.echo(str(_l("Targets fingerprint (SHA-256): %(digest)s",
                          digest=result.targets_fingerprint)), err=True)
