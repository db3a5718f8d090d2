"""The paper fallback: a roster sheet PDF whose numbers quick entry understands."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from institute_core.replica import Replica
from institute_core.services import attendance
from institute_core.services.roster_sheet import write_roster_sheet
from tests.services.fixtures import Institute


def test_roster_sheet_lists_every_student_with_their_number(tmp_path: Path, replica: Replica,
                                                            institute: Institute) -> None:
    roster = attendance.load_roster(replica, institute.batch_key)
    path = write_roster_sheet(roster, tmp_path / "sheet.pdf", subject="Python Programming")
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Roster sheet – Python Evening" in text
    assert "PY-001" in text and "PY-030" in text and "Bina S30" in text
    # Keyed back: the numbers on the sheet are the ones quick entry reads.
    entry = attendance.parse_quick_entry("30 1", roster.rows)
    assert entry.problems == ()
    assert entry.absent == (roster.rows[29].student_id, roster.rows[0].student_id)
