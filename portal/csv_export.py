"""Spreadsheet downloads that are written row by row, so memory stays flat as rows grow."""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
import unicodedata
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import xlsxwriter
from flask import Response, send_file, stream_with_context

# Rows fetched from the database at a time while a download streams.
ROWS_PER_FETCH = 500

# Excel on Windows reads a CSV without it in the local code page, so 陳美玲 or
# Nguyễn turn into mojibake; with it, Excel and LibreOffice both read UTF-8.
BYTE_ORDER_MARK = "\ufeff"

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def decimal_amount(cents: int) -> Decimal:
    """Integer cents as a decimal number of whole units, 60000 → Decimal("600.00"):
    written "600.00" in a CSV and as a number in a workbook."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def csv_download(header: list, rows: Iterable[Iterable], filename: str) -> Response:
    """A streamed CSV attachment: the header, then each row as it is produced."""

    def lines():
        yield BYTE_ORDER_MARK
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


def xlsx_download(header: list, rows: Iterable[Iterable], filename: str,
                  sheet_name: str) -> Response:
    """The same table as an Excel workbook: numbers and dates as such, text always text.

    XlsxWriter's constant_memory mode writes each row to a temporary file as it
    comes, so memory stays flat however many rows there are; the finished file
    is sent from disk.
    """
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it after sending
    workbook = xlsxwriter.Workbook(spool, {
        "constant_memory": True,
        # Text is never read as a formula, a link or a number.
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    sheet = workbook.add_worksheet(_sheet_title(sheet_name))
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.set_column(0, len(header) - 1, 18)
    sheet.freeze_panes(1, 0)
    for column, title in enumerate(header):
        sheet.write_string(0, column, str(title), bold)
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_string(row_number, column, str(value))
            elif isinstance(value, Decimal):
                sheet.write_number(row_number, column, value, money)
            elif isinstance(value, int):
                sheet.write_number(row_number, column, value)
            elif isinstance(value, date):
                sheet.write_datetime(row_number, column, value, day)
            else:
                sheet.write_string(row_number, column, csv_cell(value))
    workbook.close()
    spool.seek(0)
    return send_file(spool, mimetype=XLSX_TYPE, as_attachment=True, download_name=filename,
                     max_age=0)


def _sheet_title(name: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in str(name)).strip()
    return cleaned[:31] or "Sheet1"
