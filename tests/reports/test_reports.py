"""Every report rendered to a real PDF whose extracted text matches hand-written SQL."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from institute_core.analytics.period import Period
from institute_core.display import date_text
from institute_core.replica import Replica
from institute_core.reports.service import ReportError, ReportRequest, generate
from institute_core.schema import Topic
from tests.analytics.institute import MARCH, TODAY, Institute
from tests.reports import sql
from tests.reports.conftest import pdf_pages, pdf_text


def printed(iso: str) -> str:
    return date_text(date.fromisoformat(iso))

MONTH = Period(date(2026, 3, 1), date(2026, 3, 31))


def _make(replica: Replica, institute: Institute, tmp_path: Path, request: ReportRequest,
          name: str = "report.pdf") -> tuple[Path, list[list[str]]]:
    out = tmp_path / name
    generate(replica, request, out, generated_by=institute.admin)
    pages = pdf_pages(out)
    assert pages[0][-1] == f"Page 1 of {len(pages)}"
    assert "Institute Desk Demo Institute" in pages[0]
    assert ("Generated" in pdf_text(out) and MONTH.label() in pdf_text(out)) or \
        MARCH.label() in pdf_text(out)
    return out, pages


def test_progress_report_figures(replica: Replica, institute: Institute, tmp_path: Path) -> None:
    asha = institute.students["ENR-1"]
    out, _pages = _make(replica, institute, tmp_path, ReportRequest(
        "progress", MONTH, student_id=asha, today=TODAY,
        remarks={asha: "Practise loops at home."}))
    text = pdf_text(out)
    lines = text.splitlines()
    assert "Asha Rao (ENR-1)" in lines
    rate = sql.student_rate(replica, asha, MONTH.start, MONTH.end)
    assert rate == "70.00 %" and rate in lines
    counts = sql.status_counts(replica, asha, MONTH.start, MONTH.end)
    for label in ("Present", "Late", "Absent", "Excused"):
        assert lines[lines.index(label) + 1] == str(counts[label.lower()])
    done, total = sql.topics_done(replica, asha, institute.subject)
    assert f"{done}/{total}" in lines and f"{done * 100 / total:.2f} %" in lines
    for (day,) in sql.rows(replica, """SELECT completion_date FROM student_topic_progress
                                        WHERE student_id = :s AND status = 'completed'""",
                           s=asha):
        assert printed(day) in lines
    # predicted completion: the pace so far from SQL, then the documented formula
    (enrolled,) = sql.one(replica, "SELECT enrollment_date FROM student_subject_enrollments "
                                   "WHERE student_id = :s", s=asha)
    pace = round(done / ((TODAY - date.fromisoformat(enrolled)).days / 7), 3)
    predicted = TODAY + timedelta(days=math.ceil((total - done) / pace * 7))
    assert re.search(rf"^{printed(predicted.isoformat())} \(", text, re.M)
    marks, total_marks = sql.one(replica, "SELECT marks_obtained, total_marks FROM assessments "
                                          "WHERE student_id = :s", s=asha)
    assert f"{float(marks):.2f} / {float(total_marks):.2f}" in lines
    (points,) = sql.one(replica, """SELECT SUM(CASE type WHEN 'reward' THEN points
                                    ELSE -points END) FROM rewards_penalties
                                    WHERE student_id = :s AND deleted_at IS NULL""", s=asha)
    assert f"Net points: {points}" in lines
    assert "Practise loops at home." in lines
    assert "• attendance 70.00 % over the last 10 sessions (7 attended)" in lines


def test_student_without_sessions_and_any_script_name(replica: Replica, institute: Institute,
                                                      tmp_path: Path) -> None:
    with replica.write(replica.actor(institute.admin)) as s:
        from institute_core.schema import Student, User
        user = User(email="ananya@example.org", first_name="अनन्या", last_name="शर्मा",
                    role="student")
        s.add(user)
        s.flush()
        student = Student(user_id=user.id, enrollment_no="ENR-5", admission_date=TODAY)
        s.add(student)
        s.flush()
        ananya = student.id
    out, pages = _make(replica, institute, tmp_path,
                       ReportRequest("progress", MONTH, student_id=ananya, today=TODAY))
    text = pdf_text(out)
    assert "Not enrolled in a subject." in text and "n/a" in text
    # Shaped conjuncts (न्य, र्मा) extract as private-use glyph codes, so compare what maps back:
    # the name's title line starts in Devanagari, and the Devanagari face is what draws it.
    title = next(line for line in pages[0] if line.endswith("(ENR-5)"))
    assert title.startswith("अन") and "श" in title
    fonts = {str(font.get_object()["/BaseFont"])
             for font in PdfReader(str(out)).pages[0]["/Resources"]["/Font"].values()}
    assert any("NotoSansDevanagari" in f for f in fonts)
    assert any("DejaVuSans" in f for f in fonts)
    zoe = institute.students["ENR-3"]
    out2, _ = _make(replica, institute, tmp_path,
                    ReportRequest("attendance", MONTH, student_id=zoe, today=TODAY), "z.pdf")
    assert "Zoë Ångström (ENR-3)" in pdf_text(out2).splitlines()


def test_long_tables_repeat_their_header_on_every_page(replica: Replica, institute: Institute,
                                                      tmp_path: Path) -> None:
    with replica.write(replica.actor(institute.admin)) as s:
        s.add_all(Topic(subject_id=institute.subject, name=f"Extra topic {i}", order_index=i,
                        estimated_duration_minutes=30) for i in range(11, 111))
    _out, pages = _make(replica, institute, tmp_path, ReportRequest(
        "progress", MONTH, student_id=institute.students["ENR-1"], today=TODAY))
    assert len(pages) >= 3
    assert pages[1][-1] == f"Page 2 of {len(pages)}"
    header = ["#", "Topic", "Status", "Competency", "Completed on"]
    page2 = pages[1]
    start = page2.index("#")
    assert page2[start:start + len(header)] == header
    assert "Extra topic 60" in "\n".join(pages[1] + pages[2])


def test_attendance_report_per_student_and_batch(replica: Replica, institute: Institute,
                                                 tmp_path: Path) -> None:
    asha = institute.students["ENR-1"]
    out, _ = _make(replica, institute, tmp_path,
                   ReportRequest("attendance", MARCH, student_id=asha, today=TODAY))
    lines = pdf_text(out).splitlines()
    assert sql.student_rate(replica, asha, MARCH.start, MARCH.end) in lines
    absent_days = sql.rows(replica, """
        SELECT ls.session_date FROM session_attendance sa
          JOIN learning_sessions ls ON ls.id = sa.session_id
         WHERE sa.student_id = :s AND sa.attendance_status = 'absent'
           AND sa.deleted_at IS NULL AND ls.deleted_at IS NULL ORDER BY 1""", s=asha)
    # Dates read as the institute writes them (05 Dec 2026), not as ISO text.
    assert [d for (d,) in absent_days if printed(d) in lines] == [
        "2026-03-04", "2026-03-05", "2026-03-06"]
    assert printed("2026-03-07") not in lines  # the soft-deleted session
    out, _ = _make(replica, institute, tmp_path,
                   ReportRequest("attendance", MONTH, batch_id=institute.batch, today=TODAY),
                   "batch.pdf")
    lines = pdf_text(out).splitlines()
    per_date = sql.rows(replica, """
        SELECT b.session_date, GROUP_CONCAT(CASE WHEN b.attendance_status = 'absent'
               THEN u.first_name || ' ' || u.last_name END)
          FROM batch_session_attendance b JOIN students s ON s.id = b.student_id
          JOIN users u ON u.id = s.user_id
         WHERE b.batch_id = :b AND b.deleted_at IS NULL GROUP BY b.session_date ORDER BY 1""",
                        b=institute.batch)
    for day, absentees in per_date:
        i = lines.index(printed(day))
        assert (absentees or "") in lines[i:i + 8] or absentees is None
    for no in ("ENR-2", "ENR-3"):
        sid = institute.students[no]
        i = lines.index(no)
        assert sql.student_rate(replica, sid, MONTH.start, MONTH.end) in lines[i:i + 8]


def test_faculty_report(replica: Replica, institute: Institute, tmp_path: Path) -> None:
    out, _ = _make(replica, institute, tmp_path,
                   ReportRequest("faculty", MARCH, faculty_id=institute.meera, today=TODAY))
    lines = pdf_text(out).splitlines()
    minutes, completed, cancelled, no_show = sql.one(replica, """
        SELECT SUM(CASE WHEN status = 'completed' THEN duration_minutes ELSE 0 END),
               SUM(status = 'completed'), SUM(status = 'cancelled'), SUM(status = 'no_show')
          FROM learning_sessions WHERE faculty_id = :f AND deleted_at IS NULL
           AND session_date BETWEEN :a AND :b""", f=institute.meera,
                                                 a=MARCH.start.isoformat(), b=MARCH.end.isoformat())
    taught = minutes / 60
    available = 2 * (4 + 6)  # Mon 09-13 and Wed 09-19 capped at 6 h, two weeks
    assert f"{taught:.2f} h (individual {taught:.2f} h, batches 0.00 h)" in lines
    assert f"{available:.2f} h" in lines
    assert f"{taught * 100 / available:.2f} %" in lines
    for label, value in (("Sessions completed", completed), ("Sessions cancelled", cancelled),
                         ("Sessions no-show", no_show)):
        assert lines[lines.index(label) + 1] == str(value)
    out, _ = _make(replica, institute, tmp_path,
                   ReportRequest("faculty", MARCH, faculty_id=institute.dev, today=TODAY), "d.pdf")
    lines = pdf_text(out).splitlines()
    assert "n/a (no availability set)" in lines
    assert lines[lines.index("Utilization", lines.index("Hours available")) + 1] == "n/a"


def test_crm_report(replica: Replica, institute: Institute, tmp_path: Path) -> None:
    out, _ = _make(replica, institute, tmp_path, ReportRequest("crm", MONTH, today=TODAY))
    lines = pdf_text(out).splitlines()
    total, enrolled = sql.one(replica, """
        SELECT COUNT(*), SUM(status = 'enrolled') FROM crm_inquiries
         WHERE deleted_at IS NULL AND created_at >= '2026-03-01' AND created_at < '2026-04-01'""")
    assert lines[lines.index("Inquiries in the period") + 1] == str(total)
    assert lines[lines.index("Conversion rate") + 1] == f"{enrolled * 100 / total:.2f} %"
    by_source = sql.rows(replica, """
        SELECT source, COUNT(*), SUM(status = 'enrolled') FROM crm_inquiries
         WHERE deleted_at IS NULL AND created_at >= '2026-03-01' AND created_at < '2026-04-01'
         GROUP BY source""")
    for source, count, won in by_source:
        i = lines.index(source.replace("_", " "), lines.index("By source"))
        assert lines[i + 1:i + 5:3] == [str(count), f"{won * 100 / count:.2f} %"]


def test_batch_report_has_every_student(replica: Replica, institute: Institute,
                                        tmp_path: Path) -> None:
    out, pages = _make(replica, institute, tmp_path,
                       ReportRequest("batch", MONTH, batch_id=institute.batch, today=TODAY))
    members = sql.rows(replica, """
        SELECT st.id, st.enrollment_no, u.first_name || ' ' || u.last_name FROM batch_members m
          JOIN students st ON st.id = m.student_id JOIN users u ON u.id = st.user_id
         WHERE m.batch_id = :b AND m.deleted_at IS NULL""", b=institute.batch)
    text = pdf_text(out)
    assert len(pages) >= 1 + len(members)
    for _sid, no, name in members:
        assert f"{name} ({no})" in text.splitlines()
    rate = sql.student_rate(replica, institute.students["ENR-2"], MONTH.start, MONTH.end)
    assert rate == "100.00 %" and rate in text


def test_coverage_report(replica: Replica, institute: Institute, tmp_path: Path) -> None:
    out, _ = _make(replica, institute, tmp_path,
                   ReportRequest("coverage", MONTH, batch_id=institute.batch, today=TODAY))
    lines = pdf_text(out).splitlines()
    covered = sql.rows(replica, """
        SELECT b.session_date, GROUP_CONCAT(t.order_index || '. ' || t.name, '; ')
          FROM batch_attendance_topics bt JOIN batch_session_attendance b
            ON b.id = bt.batch_attendance_id JOIN topics t ON t.id = bt.topic_id
         WHERE b.batch_id = :b AND b.attendance_status IN ('present', 'late')
         GROUP BY b.session_date ORDER BY 1""", b=institute.batch)
    for day, topics in covered:
        assert lines[lines.index(printed(day)) + 1] == "; ".join(sorted(topics.split("; ")))
    i = lines.index("ENR-3", lines.index("Topics missed while absent"))
    row = " ".join(lines[i + 1:i + 5])  # the cells may wrap onto several lines
    assert row.startswith("17 Mar 2026, 24 Mar 2026 4. Topic 04; 5. Topic 05")


def test_bad_requests_are_refused_by_name(replica: Replica, institute: Institute,
                                          tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="needs a student"):
        generate(replica, ReportRequest("progress", MONTH), tmp_path / "x.pdf",
                 generated_by=institute.admin)
    with pytest.raises(ReportError, match="unknown section"):
        generate(replica, ReportRequest("crm", MONTH, sections=("charts",)),
                 tmp_path / "x.pdf", generated_by=institute.admin)
    assert not (tmp_path / "x.pdf").exists()
