"""Spreadsheet downloads that are written row by row, so memory stays flat as rows grow."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable
from decimal import Decimal

from flask import Response, stream_with_context

# Rows fetched from the database at a time while a download streams.
ROWS_PER_FETCH = 500


def csv_cell(value) -> str:
    """A cell as text; one that starts like a formula is kept as text by spreadsheets."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
