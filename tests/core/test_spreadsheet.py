"""Every formula lead is guarded on the way out and the guard comes off on the way in."""

from __future__ import annotations

import csv
import io

import pytest

from institute_core.spreadsheet import FORMULA_LEADS, GUARD, SafeCsvWriter, neutralised, unguarded


@pytest.mark.parametrize("lead", FORMULA_LEADS)
def test_a_formula_lead_is_written_inert_and_read_back_as_typed(lead: str) -> None:
    typed = f"{lead}cmd|' /C calc'!A0"
    out = io.StringIO()
    SafeCsvWriter(out).writerow([typed, 42, None])
    cell, number, empty = next(csv.reader(io.StringIO(out.getvalue())))
    assert cell == GUARD + typed and number == "42" and empty == ""
    assert unguarded(cell) == typed
    # Typed with an apostrophe of its own, it still comes back exactly.
    assert unguarded(neutralised(GUARD + typed)) == GUARD + typed


@pytest.mark.parametrize("text", ["Asha", "", "'quoted'", "a=b", "9876543210", GUARD])
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert neutralised(text) == text
    assert unguarded(text) == text
