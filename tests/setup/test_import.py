"""Spreadsheet import: preview with reasons, accept in one transaction, re-import, undo, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from desktop_app.cli import main
from institute_core.audit import log
from institute_core.audit.log import AuditFilter
from institute_core.importing import apply, export
from institute_core.importing.fields import fields_of
from institute_core.importing.mapping import guess_mapping
from institute_core.importing.plan import MappingIncomplete, RowAction
from institute_core.importing.reading import read_sheet
from institute_core.replica import Replica
from institute_core.schema import Faculty, ImportRun, Inquiry, Student, Subject, Topic, User
from institute_core.setup.access import NotAllowed
from tests.services.fixtures import Institute
from tests.setup.conftest import ADMIN, COUNSELOR

STUDENTS = """Roll No,Name,Surname,E-mail,DOB,Counsellor,Status
NEW-1,Asha,Rao,asha@x.org,2001-02-03,counselor@example.org,active
NEW-2,Ravi,Kumar,,31/02/2001,,
NEW-3,Sunita,K,asha@x.org,,nobody@x.org,sleeping
PY-001,Changed,Name,,,,
NEW-4,Kiran,Das,,04/05/2002,,hold
NEW-1,Again,,,,,
"""


def _write(tmp_path: Path, text: str, name: str = "students.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(replica: Replica, institute: Institute, path: Path, kind: str = "students"
            ) -> apply.ImportOutcome:
    sheet = read_sheet(path)
    return apply.run_import(replica, replica.actor(institute.admin_id), ADMIN, kind, sheet,
                            guess_mapping(sheet.headers, fields_of(kind)))


def _students(replica: Replica) -> dict[str, Student]:
    with replica.read() as s:
        return {st.enrollment_no: st for st in s.scalars(select(Student).where(
            Student.deleted_at.is_(None)))}


def test_preview_lists_every_bad_row_with_reasons_and_writes_nothing(
        replica: Replica, institute: Institute, tmp_path: Path) -> None:
    sheet = read_sheet(_write(tmp_path, STUDENTS))
    before = _students(replica)
    plan = apply.preview(replica, ADMIN, "students", sheet,
                         guess_mapping(sheet.headers, fields_of("students")))
    assert [(r.line, r.action) for r in plan.rows] == [
        (2, RowAction.CREATE), (3, RowAction.REFUSED), (4, RowAction.REFUSED),
        (5, RowAction.UPDATE), (6, RowAction.CREATE), (7, RowAction.REFUSED)]
    reasons = {r.line: r.reasons for r in plan.refused}
    assert reasons[3] == ["Date of birth: '31/02/2001' is not a date (use YYYY-MM-DD or "
                          "DD/MM/YYYY)"]
    assert reasons[4] == [
        "Status: 'sleeping' is not one of: active, completed, dropped, hold, graduated",
        "email asha@x.org is also on line 2",
        "Counselor email: no counselor or admin has the email nobody@x.org"]
    assert reasons[7] == ["enrollment no NEW-1 is also on line 2"]
    assert _students(replica).keys() == before.keys()


def test_accepting_imports_the_good_rows_in_one_run(replica: Replica, institute: Institute,
                                                    tmp_path: Path) -> None:
    outcome = _import(replica, institute, _write(tmp_path, STUDENTS))
    students = _students(replica)
    assert {"NEW-1", "NEW-4"} <= students.keys() and "NEW-2" not in students
    assert students["NEW-1"].counselor_id == institute.counselor_id
    assert students["NEW-4"].status == "hold"
    with replica.read() as s:
        asha = s.get(User, students["NEW-1"].user_id)
        kiran = s.get(User, students["NEW-4"].user_id)
        renamed = s.get(User, students["PY-001"].user_id)
        run = s.get(ImportRun, outcome.run_id)
    assert asha is not None and (asha.email, asha.role) == ("asha@x.org", "student")
    assert kiran is not None and kiran.email == "new-4@no-email.invalid"
    assert renamed is not None and renamed.full_name == "Changed Name"
    assert run is not None and (run.rows_created, run.rows_updated) == (2, 1)
    entries = log.list_entries(replica, ADMIN, AuditFilter(import_id=outcome.run_id))
    assert {(e.action, e.table_name) for e in entries} == {
        ("create", "users"), ("create", "students"), ("update", "users")}
    [imported] = log.list_entries(replica, ADMIN, AuditFilter(action="import"))
    assert imported.row_id == outcome.run_id and imported.new_values is not None
    assert imported.new_values["file_name"] == "students.csv"


def test_reimporting_the_same_file_creates_nothing(replica: Replica, institute: Institute,
                                                   tmp_path: Path) -> None:
    path = _write(tmp_path, STUDENTS)
    _import(replica, institute, path)
    with replica.read() as s:
        users = s.scalar(select(func.count()).select_from(User))
    again = _import(replica, institute, path)
    assert again.run_id is None
    assert again.plan.count(RowAction.UNCHANGED) == 3
    assert again.plan.count(RowAction.CREATE) == again.plan.count(RowAction.UPDATE) == 0
    with replica.read() as s:
        assert s.scalar(select(func.count()).select_from(User)) == users


def test_undo_removes_what_the_import_created_and_restores_what_it_changed(
        replica: Replica, institute: Institute, tmp_path: Path) -> None:
    path = _write(tmp_path, STUDENTS)
    outcome = _import(replica, institute, path)
    assert outcome.run_id is not None
    apply.undo_import(replica, replica.actor(institute.admin_id), ADMIN, outcome.run_id)
    students = _students(replica)
    assert "NEW-1" not in students and "NEW-4" not in students
    with replica.read() as s:
        renamed = s.get(User, students["PY-001"].user_id)
        run = s.get(ImportRun, outcome.run_id)
    assert renamed is not None and renamed.full_name != "Changed Name"
    assert run is not None and run.status == "undone"
    with pytest.raises(ValueError, match="already undone"):
        apply.undo_import(replica, replica.actor(institute.admin_id), ADMIN, outcome.run_id)
    assert [e.action for e in log.list_entries(replica, ADMIN, AuditFilter(
        action="undo_import"))] == ["undo_import"]
    # Importing again brings the soft-deleted rows back instead of colliding with them.
    again = _import(replica, institute, path)
    assert again.plan.count(RowAction.CREATE) == 2
    assert {"NEW-1", "NEW-4"} <= _students(replica).keys()


def test_excel_files_import_like_csv(replica: Replica, institute: Institute,
                                     tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Employee ID", "First name", "Last name", "Email", "Skills", "Hourly rate",
                  "Max hours"])
    sheet.append(["F-100", "Nia", "Bose", "nia@x.org", "Python; SQL", 450.5, 6])
    sheet.append(["F-001", "Farah", "Faculty", "faculty@example.org", None, None, 30])
    path = tmp_path / "faculty.xlsx"
    book.save(path)
    outcome = _import(replica, institute, path, "faculty")
    assert [r.reasons for r in outcome.plan.refused] == [
        ["Max hours per day: must be between 1 and 24 (got 30)"]]
    with replica.read() as s:
        nia = s.scalars(select(Faculty).where(Faculty.employee_id == "F-100")).one()
    assert nia.specialization == ["Python", "SQL"] and str(nia.hourly_rate) == "450.50"


def test_subjects_with_topics_in_one_sheet(replica: Replica, institute: Institute,
                                           tmp_path: Path) -> None:
    path = _write(tmp_path, """Code,Subject,Hours,Topic,Order,Minutes
WEB1,Web Basics,20,HTML,1,90
WEB1,,,CSS,2,
WEB1,Web Advanced,,JS,3,120
PY101,,,Decorators,,45
""", "subjects.csv")
    outcome = _import(replica, institute, path, "subjects")
    assert [(r.line, r.reasons) for r in outcome.plan.refused] == [
        (4, ["Subject name differ from line 2 for subject WEB1"])]
    with replica.read() as s:
        web = s.scalars(select(Subject).where(Subject.code == "WEB1")).one()
        topics = s.scalars(select(Topic).where(Topic.subject_id == web.id)
                           .order_by(Topic.order_index)).all()
        decorators = s.scalars(select(Topic).where(Topic.name == "Decorators")).one()
    assert [(t.name, t.estimated_duration_minutes) for t in topics] == [("HTML", 90),
                                                                       ("CSS", 60)]
    # A topic without an order goes after the subject's six topics (0–5).
    assert decorators.subject_id == institute.subject_id and decorators.order_index == 6


def test_inquiries_match_by_email_then_phone(replica: Replica, institute: Institute,
                                             tmp_path: Path) -> None:
    path = _write(tmp_path, """Name,Email,Phone,Source,Tags
Lead One,one@x.org,,website,python; evening
Lead Two,,+91 98765 43210,walk in,
""", "leads.csv")
    _import(replica, institute, path, "inquiries")
    changed = _write(tmp_path, """Name,Email,Phone,Source
Lead One Renamed,one@x.org,,
Lead Two,,919876543210,referral
""", "leads2.csv")
    outcome = _import(replica, institute, changed, "inquiries")
    assert outcome.plan.count(RowAction.UPDATE) == 2
    with replica.read() as s:
        leads = {i.student_name: i for i in s.scalars(select(Inquiry))}
    assert leads.keys() == {"Lead One Renamed", "Lead Two"}
    assert leads["Lead One Renamed"].tags == ["python", "evening"]  # empty cells keep values
    assert leads["Lead Two"].source == "referral"


def test_a_required_field_without_a_column_is_refused_before_any_row(
        replica: Replica, institute: Institute, tmp_path: Path) -> None:
    sheet = read_sheet(_write(tmp_path, "Name,Email\nA,a@x.org\n"))
    with pytest.raises(MappingIncomplete, match="Enrollment no"):
        apply.preview(replica, ADMIN, "students", sheet, {"first_name": 0})


def test_only_admins_import(replica: Replica, institute: Institute, tmp_path: Path) -> None:
    sheet = read_sheet(_write(tmp_path, STUDENTS))
    with pytest.raises(NotAllowed):
        apply.preview(replica, COUNSELOR, "students", sheet, {})


@pytest.mark.parametrize("kind", ["students", "faculty", "subjects", "inquiries"])
def test_an_export_imports_back_unchanged(replica: Replica, institute: Institute,
                                          tmp_path: Path, kind: str) -> None:
    _import(replica, institute, _write(tmp_path, """Name,Email,Counselor
Lead,lead@x.org,counselor@example.org
""", "seed.csv"), "inquiries")
    target = tmp_path / f"{kind}.csv"
    written = export.export_csv(replica, ADMIN, kind, target)
    assert written > 0
    outcome = _import(replica, institute, target, kind)
    assert outcome.plan.count(RowAction.UNCHANGED) == written, outcome.plan.refused


def test_cli_dry_run_prints_refusals_and_exits_non_zero(
        replica: Replica, institute: Institute, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, STUDENTS)
    data_dir = str(replica.path.parent)
    code = main(["import", "students", str(path), "--dry-run", "--data-dir", data_dir,
                 "--as", "admin@example.org"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "line 3: Date of birth: '31/02/2001' is not a date" in err
    assert "6 rows: 2 new, 1 changed, 0 unchanged, 3 refused" in out
    assert "NEW-1" not in _students(replica)
    # Without --skip-bad-rows a file with refused rows imports nothing.
    assert main(["import", "students", str(path), "--data-dir", data_dir]) == 1
    assert "NEW-1" not in _students(replica)
    assert main(["import", "students", str(path), "--data-dir", data_dir,
                 "--skip-bad-rows"]) == 1
    assert "NEW-1" in _students(replica)


def test_cli_imports_a_clean_file_and_exits_zero(replica: Replica, institute: Institute,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "Enrollment no;First name;Email\nZ-1;Zoya;zoya@x.org\n")
    code = main(["import", "students", str(path), "--data-dir", str(replica.path.parent),
                 "--map", "email=3"])
    assert code == 0, capsys.readouterr()
    assert "1 rows: 1 new" in capsys.readouterr().out
    assert "Z-1" in _students(replica)
    assert main(["import", "students", str(tmp_path / "missing.csv"),
                 "--data-dir", str(replica.path.parent)]) == 2


def test_cells_a_spreadsheet_would_run_as_formulas_are_exported_inert_and_import_back(
        replica: Replica, institute: Institute, tmp_path: Path) -> None:
    import csv

    from institute_core.spreadsheet import FORMULA_LEADS, GUARD

    # One inquiry per character a spreadsheet reads as the start of a formula (the notes column
    # is free text, so each lead can be typed there at the front desk).
    notes = [f"{lead}HYPERLINK(\"http://evil.example\",\"x\")" for lead in FORMULA_LEADS]
    rows = "".join(f'Lead {i},lead{i}@x.org,"{note}"\n' for i, note in enumerate(notes))
    _import(replica, institute, _write(tmp_path, f"Name,Email,Notes\n{rows}", "seed.csv"),
            "inquiries")
    target = tmp_path / "inquiries.csv"
    export.export_csv(replica, ADMIN, "inquiries", target)
    with target.open(encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    with replica.read() as session:
        stored = [n for n in session.scalars(select(Inquiry.notes)) if n]
    dangerous = [n for n in stored if n.startswith(FORMULA_LEADS)]
    assert len(dangerous) >= 4  # = + - @ (the import trims a leading tab or return)
    assert not [c for c in cells if c.startswith(FORMULA_LEADS)]
    assert sorted(c for c in cells if c.startswith(GUARD)) == sorted(
        GUARD + n for n in dangerous)
    outcome = _import(replica, institute, target, "inquiries")
    assert outcome.plan.count(RowAction.UNCHANGED) == len(FORMULA_LEADS), outcome.plan.refused


def test_phones_are_checked_and_kept_as_the_crm_keeps_them(
        replica: Replica, institute: Institute, tmp_path: Path) -> None:
    path = _write(tmp_path, """Roll No,Name,Mobile,Guardian phone
PH-1,Asha,098765 43210,+91 91234-56789
PH-2,Ravi,12ab,
PH-3,Sunita,not-a-phone,
PH-4,Kiran,98765,
PH-5,Meena,,0091 9988776655
""", "phones.csv")
    sheet = read_sheet(path)
    plan = apply.preview(replica, ADMIN, "students", sheet,
                         guess_mapping(sheet.headers, fields_of("students")))
    reasons = {r.line: r.reasons for r in plan.refused}
    # The words the CRM's capture form uses for the same mistakes.
    assert reasons == {
        3: ["Phone: '12ab' is not a phone number: it may hold only digits, spaces, dashes, "
            "brackets and a leading +"],
        4: ["Phone: 'not-a-phone' is not a phone number: it may hold only digits, spaces, "
            "dashes, brackets and a leading +"],
        5: ["Phone: '98765' is not a phone number: it should have 10 digits (or a + and a "
            "country code); it has 5"]}
    _import(replica, institute, path)
    with replica.read() as s:
        kept = dict(s.execute(select(Student.enrollment_no, User.phone)
                              .join(User, User.id == Student.user_id)
                              .where(Student.enrollment_no.like("PH-%"))).tuples().all())
        guardians = dict(s.execute(select(Student.enrollment_no, Student.emergency_contact_phone)
                                   .where(Student.enrollment_no.like("PH-%"))).tuples().all())
    assert kept == {"PH-1": "+919876543210", "PH-5": None}
    assert guardians == {"PH-1": "+919123456789", "PH-5": "+919988776655"}
