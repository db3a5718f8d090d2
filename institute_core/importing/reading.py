"""A spreadsheet file as a header row and data rows of text (CSV in any common dialect, xlsx)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from institute_core.spreadsheet import unguarded
from institute_core.validation import InvalidInput

SUPPORTED = (".csv", ".txt", ".xlsx")


@dataclass(frozen=True)
class Sheet:
    """What a file holds: its header cells and data rows (text, stripped; "" for empty).

    `lines[i]` is the 1-based row of the file `rows[i]` came from (blank rows are skipped, and a
    person fixing the file looks for the number their spreadsheet shows).
    """

    name: str
    headers: list[str]
    rows: list[list[str]]
    lines: list[int]


def read_sheet(path: Path | str) -> Sheet:
    """Read a .csv or .xlsx file; raises InvalidInput naming the file when it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InvalidInput("import", "file", "must be a .csv or .xlsx file", path.name)
    try:
        table = _read_xlsx(path) if suffix == ".xlsx" else _read_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput("import", "file", f"cannot be read: {exc}", path.name) from exc
    except Exception as exc:  # openpyxl raises several kinds for a damaged workbook
        if suffix == ".xlsx":
            raise InvalidInput("import", "file", f"is not a readable Excel workbook: {exc}",
                               path.name) from exc
        raise
    numbered = [(n, [unguarded(cell) for cell in row]) for n, row in enumerate(table, start=1)
                if any(cell for cell in row)]
    if not numbered:
        raise InvalidInput("import", "file", "is empty: expected a header row", path.name)
    headers = numbered[0][1]
    width = len(headers)
    rows = [row + [""] * (width - len(row)) for _n, row in numbered[1:]]
    return Sheet(path.name, headers, rows, [n for n, _row in numbered[1:]])


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # Excel's "CSV" on Windows
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[cell.strip() for cell in row] for row in csv.reader(text.splitlines(), dialect)]


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    """Excel cells carry types; imports parse text, so turn each back into the text typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float | Decimal):
        return str(value)
    return str(value).strip()
