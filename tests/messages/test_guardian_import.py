"""Guardians come in with the student spreadsheet: one per row, phone normalised as the CRM
does, the first one primary, a re-import changes nothing new, a missing contact is refused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from institute_core.importing import apply
from institute_core.importing.fields import fields_of
from institute_core.importing.mapping import guess_mapping
from institute_core.importing.plan import RowAction
from institute_core.importing.reading import read_sheet
from institute_core.replica import Replica
from institute_core.schema import Guardian, Student
from tests.services.fixtures import Institute
from tests.setup.conftest import ADMIN

SHEET = """Roll No,Name,Father's name,Relation,Guardian mobile,Guardian email,Send by,Language
NEW-1,Asha,Ramesh Rao,father,098765 43210,,,hi
PY-001,Asha,Sunita S,mother,+91 98765-00000,,whatsapp,
NEW-2,Ravi,Mohan Kumar,father,,,email,
"""


def _import(replica: Replica, school: Institute, path: Path) -> apply.ImportOutcome:
    sheet = read_sheet(path)
    return apply.run_import(replica, replica.actor(school.admin_id), ADMIN, "students", sheet,
                            guess_mapping(sheet.headers, fields_of("students")))


def _guardians(replica: Replica) -> dict[str, list[Guardian]]:
    with replica.read() as s:
        rows = s.execute(select(Student.enrollment_no, Guardian).join(
            Guardian, Guardian.student_id == Student.id)).all()
        s.expunge_all()
    found: dict[str, list[Guardian]] = {}
    for number, guardian in rows:
        found.setdefault(number, []).append(guardian)
    return found


def test_guardians_import_with_their_students(replica: Replica, school: Institute,
                                              tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_text(SHEET, encoding="utf-8")
    outcome = _import(replica, school, path)
    refused = [r for r in outcome.plan.rows if r.action is RowAction.REFUSED]
    assert [r.line for r in refused] == [4]
    assert "Guardian email: is needed when the guardian prefers email" in refused[0].reasons
    guardians = _guardians(replica)
    [father] = guardians["NEW-1"]
    assert (father.name, father.relation, father.phone_normalized, father.language,
            father.preferred_channel, father.is_primary) == (
        "Ramesh Rao", "father", "+919876543210", "hi", "sms", True)
    [mother] = guardians["PY-001"]
    assert mother.preferred_channel == "whatsapp" and mother.phone_normalized == "+919876500000"

    again = _import(replica, school, path)  # the same file: nothing new, nothing changed
    assert [r.action for r in again.plan.rows if r.line < 4] == [RowAction.UNCHANGED] * 2
    assert {k: len(v) for k, v in _guardians(replica).items()} == {"NEW-1": 1, "PY-001": 1}
