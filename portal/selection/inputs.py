"""What a draw is made from: the pool and the targets, their CSV files and fingerprints.

The CSV files are the auditor's: the pool is a header `id` and one column per
category, the targets are `category,value,min,max`. `pool_csv` and
`targets_csv` write them in one canonical form (UTF-8, `\\n` line ends, columns
after `id` in alphabetical order, rows sorted by id or by category and value),
and a fingerprint is the SHA-256 of that canonical text, so `sha256sum` of a
published file gives the published fingerprint. Reading a file and writing it
again gives the canonical form whatever the order of its rows and columns, and
the draw itself does not depend on that order either.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TARGETS_HEADER = ("category", "value", "min", "max")


def N_(message: str) -> str:
    """Marks an English message for the catalogs; the portal translates it where it is shown."""
    return message


class SelectionError(Exception):
    """A draw that cannot go ahead. `template` and `params` let the portal say why in the
    reader's language; str() is the English sentence."""

    def __init__(self, template: str, **params):
        super().__init__(template % params)
        self.template = template
        self.params = params


class InvalidSelectionInput(SelectionError):
    """The pool, the targets or the numbers asked for are not well formed."""


class TargetsCannotBeMet(SelectionError):
    """No panel of the pool meets every target; the message names the target or category."""


@dataclass(frozen=True, order=True)
class Target:
    """At least `minimum` and at most `maximum` seats for people whose `category` is `value`."""

    category: str
    value: str
    minimum: int
    maximum: int

    @property
    def label(self) -> str:
        return f"{self.category}={self.value}"


def _rows(text: str) -> list[list[str]]:
    text = text.removeprefix("\ufeff")  # spreadsheets often start UTF-8 files with a BOM
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))
            if any(cell.strip() for cell in row)]


def read_pool_csv(text: str) -> dict[str, dict[str, str]]:
    """The pool, id → {category: value}, in the file's order."""
    rows = _rows(text)
    if not rows or not rows[0] or rows[0][0].lower() != "id":
        raise InvalidSelectionInput(N_("The pool file must start with a header whose first "
                                       "column is id."))
    categories = rows[0][1:]
    if len(set(categories)) != len(categories) or "" in categories or "id" in categories:
        raise InvalidSelectionInput(N_("The pool file's header names a column twice or "
                                       "leaves one empty."))
    pool: dict[str, dict[str, str]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise InvalidSelectionInput(N_("Line %(line)d of the pool file does not have one "
                                           "cell for each column of the header."), line=line)
        person_id, values = row[0], row[1:]
        if not person_id or person_id in pool:
            raise InvalidSelectionInput(N_("Line %(line)d of the pool file has an empty or "
                                           "repeated id."), line=line)
        for category, value in zip(categories, values, strict=True):
            if not value:
                raise InvalidSelectionInput(N_("%(id)s has no value for %(category)s."),
                                            id=person_id, category=category)
        pool[person_id] = dict(zip(categories, values, strict=True))
    return pool


def read_targets_csv(text: str) -> list[Target]:
    """The targets, in the file's order."""
    rows = _rows(text)
    if not rows or tuple(cell.lower() for cell in rows[0]) != TARGETS_HEADER:
        raise InvalidSelectionInput(N_("The targets file must start with the header "
                                       "category,value,min,max."))
    targets = []
    for line, row in enumerate(rows[1:], start=2):
        try:
            category, value, minimum, maximum = row
            if not category or not value:
                raise ValueError(line)
            targets.append(Target(category, value, int(minimum), int(maximum)))
        except ValueError:
            raise InvalidSelectionInput(N_("Line %(line)d of the targets file is not a "
                                           "category, a value and two whole numbers."),
                                        line=line) from None
    return targets


def _csv_text(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def pool_csv(pool: Mapping[str, Mapping[str, str]]) -> str:
    """The pool in the canonical form of the auditor's pool file."""
    categories = sorted({category for answers in pool.values() for category in answers})
    rows = [[person_id, *(pool[person_id].get(c, "") for c in categories)]
            for person_id in sorted(pool)]
    return _csv_text([["id", *categories], *rows])


def targets_csv(targets: Sequence[Target]) -> str:
    """The targets in the canonical form of the auditor's targets file."""
    rows = [[t.category, t.value, t.minimum, t.maximum] for t in sorted(targets)]
    return _csv_text([list(TARGETS_HEADER), *rows])


def write_pool_csv(pool: Mapping[str, Mapping[str, str]], handle) -> None:
    handle.write(pool_csv(pool))


def write_targets_csv(targets: Sequence[Target], handle) -> None:
    handle.write(targets_csv(targets))


def fingerprint(text: str) -> str:
    """SHA-256 (hex) of a canonical file's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
