"""Cells the app writes for spreadsheets can never run as formulas (CSV injection).

Excel, LibreOffice and Google Sheets treat a cell that begins with = + - @ (or a tab or carriage
return before one) as a formula, so an inquiry named `=HYPERLINK(...)` typed at the front desk
would run on the admin's PC when the export is opened. Such cells are written with a leading
apostrophe, OWASP's advice, and the import takes the apostrophe off again, so an exported file
still imports back unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def _guarded_form(cell: str) -> bool:
    # Text that already starts with guards before a lead gets one more, so that `unguarded`
    # gives back exactly what was typed, apostrophes included.
    return cell.lstrip(GUARD).startswith(FORMULA_LEADS)


def neutralised(cell: str) -> str:
    """`cell` as it may stand in a spreadsheet: a formula-leading text gets the guard."""
    return GUARD + cell if _guarded_form(cell) else cell


def unguarded(cell: str) -> str:
    """The text a guarded cell stood for (what `neutralised` was given)."""
    return cell[1:] if cell.startswith(GUARD) and _guarded_form(cell) else cell


class SafeCsvWriter:
    """`csv.writer` whose text cells pass through `neutralised`."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralised(c) if isinstance(c, str) else c for c in row])
