"""Generated reports are recorded through the unit of work and reprint exactly as they were."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from institute_core.analytics.period import Period
from institute_core.replica import Replica
from institute_core.reports.service import ReportError, ReportRequest, generate, reprint
from institute_core.schema import LearningSession, OutboxEntry, SessionAttendance, StudentReport
from tests.analytics.institute import MARCH, TODAY, Institute
from tests.reports.conftest import pdf_pages, pdf_text

MONTH = Period(date(2026, 3, 1), date(2026, 3, 31))


def _counts(replica: Replica, table: str) -> tuple[int, int]:
    with replica.read() as s:
        from institute_core.schema import MODEL_BY_TABLE
        model = MODEL_BY_TABLE[table]
        rows = s.scalar(select(func.count()).select_from(model))
        outbox = s.scalar(select(func.count()).select_from(OutboxEntry)
                          .where(OutboxEntry.table_name == table))
    return int(rows or 0), int(outbox or 0)


def test_progress_report_is_recorded_and_reprints_as_it_was(
        replica: Replica, institute: Institute, tmp_path: Path) -> None:
    asha = institute.students["ENR-1"]
    before = _counts(replica, "student_reports")
    first = generate(replica, ReportRequest("progress", MONTH, student_id=asha, today=TODAY),
                     tmp_path / "first.pdf", generated_by=institute.admin)
    assert _counts(replica, "student_reports") == (before[0] + 1, before[1] + 1)
    (report_id,) = first.recorded
    with replica.read() as s:
        row = s.get(StudentReport, report_id)
        assert row is not None
        assert (row.report_type, row.report_period_start, row.report_period_end) == (
            "progress", MONTH.start, MONTH.end)
        assert row.generated_by == institute.admin
        assert row.data["attendance"]["rate"] == 70.0
    # the live data changes: two more absences in March
    with replica.write(replica.actor(institute.admin)) as s:
        for day in (date(2026, 3, 16), date(2026, 3, 17)):
            session = LearningSession(student_id=asha, faculty_id=institute.meera,
                                      subject_id=institute.subject, session_date=day,
                                      start_time=time(10), end_time=time(11),
                                      duration_minutes=60, status="no_show")
            s.add(session)
            s.flush()
            s.add(SessionAttendance(session_id=session.id, student_id=asha,
                                    attendance_status="absent"))
    fresh = generate(replica, ReportRequest("progress", MONTH, student_id=asha, today=TODAY),
                     tmp_path / "fresh.pdf", generated_by=institute.admin, record=False)
    assert "58.33 %" in pdf_text(fresh.path).splitlines()  # 7 of 12
    again = reprint(replica, report_id, tmp_path / "again.pdf")
    old_lines = pdf_pages(first.path)
    new_lines = pdf_pages(again.path)
    assert new_lines == old_lines  # same figures, same generation time, same pages
    assert "70.00 %" in pdf_text(again.path).splitlines()


def test_batch_and_faculty_reports_are_recorded_per_row(replica: Replica, institute: Institute,
                                                        tmp_path: Path) -> None:
    students_before = _counts(replica, "student_reports")
    faculty_before = _counts(replica, "faculty_reports")
    batch = generate(replica, ReportRequest("batch", MONTH, batch_id=institute.batch,
                                            today=TODAY),
                     tmp_path / "batch.pdf", generated_by=institute.admin)
    assert len(batch.recorded) == 2
    assert _counts(replica, "student_reports") == (students_before[0] + 2,
                                                   students_before[1] + 2)
    one_student = reprint(replica, batch.recorded[0], tmp_path / "one.pdf")
    assert one_student.kind == "progress" and one_student.pages >= 1
    faculty = generate(replica, ReportRequest("faculty", MARCH, faculty_id=institute.meera,
                                              today=TODAY),
                       tmp_path / "f.pdf", generated_by=institute.admin)
    assert _counts(replica, "faculty_reports") == (faculty_before[0] + 1, faculty_before[1] + 1)
    assert reprint(replica, faculty.recorded[0], tmp_path / "f2.pdf").pages == faculty.pages
    crm = generate(replica, ReportRequest("crm", MONTH, today=TODAY), tmp_path / "crm.pdf",
                   generated_by=institute.admin)
    assert crm.recorded == ()
    with pytest.raises(ReportError, match="no recorded report"):
        reprint(replica, institute.admin, tmp_path / "none.pdf")


def test_branding_from_settings(replica: Replica, institute: Institute, tmp_path: Path) -> None:
    replica.set_state("institute", {"name": "Sunrise Computer Academy",
                                    "address": "12 MG Road, Pune",
                                    "signature_line": "Principal"})
    out = generate(replica, ReportRequest("crm", MONTH, today=TODAY), tmp_path / "b.pdf",
                   generated_by=institute.admin, record=False)
    lines = pdf_text(out.path).splitlines()
    assert lines[:2] == ["Sunrise Computer Academy", "12 MG Road, Pune"]
    assert "Principal" in lines
