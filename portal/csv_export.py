"""Spreadsheet downloads that are written row by row, so memory stays flat as rows grow."""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from flask import Response, stream_with_context

# Rows fetched from the database at a time while a download streams.
ROWS_PER_FETCH = 500


# What starts a formula in Excel, LibreOffice or Google Sheets (after NFKC, so the
# full-width ＝＋－＠ and small-form variants count too).
FORMULA_STARTS = frozenset("=+-@\t\r")
# Where a spreadsheet may cut a line into cells, whatever list separator its
# language uses: a piece after one of these is read as a cell of its own.
LIST_SEPARATORS = frozenset(",;\t|")


def _unseen(ch: str) -> bool:
    """Spaces and characters with no look of their own (zero-width, bidi controls, BOM),
    which spreadsheets skip or which hide what a cell starts with."""
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp")


def csv_cell(value) -> str:
    """A cell as text that no spreadsheet reads as a formula.

    The cell, and every piece of it after a list separator (`,` `;` tab `|`), is looked
    at from its first visible character, NFKC-normalised. Where that starts a
    formula, an apostrophe goes in front (of the cell; of the piece, after its
    separator), which spreadsheets take as "this is text". Other cells are unchanged.
    """
    text = "" if value is None else str(value)
    out = []
    piece_start = 0  # where a mark would go for the piece being read
    looking = True  # still before the piece's first visible character
    for ch in text:
        if looking and not (_unseen(ch) and ch not in "\t\r"):
            if unicodedata.normalize("NFKC", ch)[:1] in FORMULA_STARTS:
                out.insert(piece_start, "'")
            looking = False
        out.append(ch)
        if ch in LIST_SEPARATORS:
            piece_start, looking = len(out), True
    return "".join(out)


def decimal_amount(cents: int) -> str:
    """Integer cents as a plain decimal number, 60000 → "600.00"."""
    return f"{Decimal(cents) / 100:.2f}"


def csv_download(header: list, rows: Iterable[Iterable], filename: str) -> Response:
    """A streamed CSV attachment: the header, then each row as it is produced."""

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in itertools.chain([header], rows):
            writer.writerow([csv_cell(value) for value in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
