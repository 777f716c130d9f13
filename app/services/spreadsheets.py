"""The one writer of the CSV and XLSX files Tandem hands out (audit log, companies, funder report).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by spreadsheet programs
(OWASP: CSV injection), so every text cell that does gets a leading apostrophe, whoever wrote the text: an
e-mail address such as `=1+2-x@example.org` is valid. Numbers stay numbers. Control characters that XLSX cannot
hold are dropped, so that no name breaks an export. tests/web/test_spreadsheet_injection.py checks that no other
module writes CSV or XLSX.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[object]


def neutralise(value: object) -> object:
    """The cell as written: text a spreadsheet would run as a formula gets a leading apostrophe; None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(rows: Iterable[Row], *, delimiter: str = ";") -> bytes:
    """Rows as CSV for Excel: UTF-8 with a byte order mark, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Row]]]) -> bytes:
    """A workbook with one sheet per (title, rows), every cell neutralised and stored as a value, never a formula."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(_sheet_title(title))
        for row in rows:
            sheet.append([_xlsx_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(value: object) -> object:
    # The characters XLSX cannot hold go first, so that none of them hides a formula from neutralise().
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)


def _sheet_title(title: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of : \\ / ? * [ ]."""
    for char in ':\\/?*[]':
        title = title.replace(char, "-")
    return ILLEGAL_CHARACTERS_RE.sub("", title)[:31] or "-"
