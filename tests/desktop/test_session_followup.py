"""After the lesson: next-session plans, the paper roster keyed back in, assessments graded."""

from __future__ import annotations

import uuid
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from sqlalchemy import select

from desktop_app.attendance.view import AttendanceView
from desktop_app.context import AppContext
from desktop_app.students.page import StudentPageView
from desktop_app.widgets import index_of
from institute_core.enums import AttendanceStatus as S
from institute_core.ids import natural_id
from institute_core.replica import Replica
from institute_core.schema import Assessment, SessionAttendance
from institute_core.services import attendance
from institute_core.services.common import SessionKey
from tests.services.fixtures import Institute


def _open(qtbot, ctx: AppContext, key: SessionKey) -> AttendanceView:  # type: ignore[no-untyped-def]
    view = AttendanceView(ctx)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.controller.sig_loaded, timeout=5000):
        view.open_session(key)
    qtbot.waitUntil(lambda: view.controller.syllabus is not None, timeout=5000)
    return view


def _settled(qtbot, view: AttendanceView, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: view.controller.idle and ctx.tasks.idle, timeout=10000)


def _choose_topic(view: AttendanceView, name: str) -> None:
    view.topic_search.setText(name)
    assert view.topic_model.row_at(view.topic_list.currentIndex().row())[0].name == name


def test_next_session_plan_of_an_individual_session(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                    institute: Institute,
                                                    faculty_ctx: AppContext) -> None:
    view = _open(qtbot, faculty_ctx, institute.individual_key)
    assert view.prep_row.isVisible()
    view.review_next_button.click()
    assert "Mark the student first" in view.message.text()
    qtbot.keyClick(view.table, Qt.Key.Key_P)
    view.table.setCurrentIndex(view.model.index(0, 0))
    _choose_topic(view, "Variables")
    view.review_next_button.click()
    _choose_topic(view, "Conditions")
    view.teach_next_button.click()
    _choose_topic(view, "Loops")
    view.teach_next_button.click()
    _choose_topic(view, "Conditions")
    view.review_next_button.click()  # moves from new to review, never both
    assert view.prep_label.text() == ("Next session – review: Variables, Conditions · "
                                      "new: Loops")
    _settled(qtbot, view, faculty_ctx)
    student, topics = institute.student_ids[0], institute.topic_ids
    with replica.read() as s:
        row = s.get(SessionAttendance, natural_id("session_attendance",
                                                  institute.individual_session_id, student))
        assert row is not None and row.next_session_prep == {
            "topics_to_review": [str(topics[0]), str(topics[1])],
            "new_topics": [str(topics[2])]}
    # Opened again (another day, after a restart): the plan is read back.
    again = _open(qtbot, faculty_ctx, institute.individual_key)
    again.table.setCurrentIndex(again.model.index(0, 0))
    assert again.prep_label.text() == view.prep_label.text()
    # Batch attendance has no next-session plan in the schema: the buttons are not offered.
    batch = _open(qtbot, faculty_ctx, institute.batch_key)
    assert not batch.prep_row.isVisible() and not batch.prep_label.isVisible()


def test_paper_roster_printed_then_keyed_back(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                              institute: Institute,
                                              faculty_ctx: AppContext) -> None:
    view = _open(qtbot, faculty_ctx, institute.batch_key)
    qtbot.keyClick(view.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Roster sheet saved" in view.message.text(), timeout=20000)
    pdf = Path(view.message.text().split(": ", 1)[1])
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    roster = attendance.load_roster(replica, institute.batch_key).rows
    assert "Python Evening" in text
    assert all(r.name in text and r.enrollment_no in text for r in roster)
    # The ticked sheet comes back: the absentees' numbers, Enter, done.
    absent = [roster[6], roster[17]]
    qtbot.keyClicks(view.quick_entry, f"{absent[0].position} {absent[1].position}")
    qtbot.keyClick(view.quick_entry, Qt.Key.Key_Return)
    _settled(qtbot, view, faculty_ctx)
    saved = {r.student_id: r.status for r in attendance.load_roster(
        replica, institute.batch_key).rows}
    assert [saved[a.student_id] for a in absent] == [S.ABSENT, S.ABSENT]
    assert sum(s is S.PRESENT for s in saved.values()) == 28
    assert view.counts.text().startswith("28 present · 2 absent")


def _assessments(replica: Replica, student: uuid.UUID) -> list[Assessment]:
    with replica.read() as s:
        rows = list(s.execute(select(Assessment).where(Assessment.student_id == student))
                    .scalars())
        s.expunge_all()
        return rows


def test_assessment_recorded_pending_then_graded_on_the_student_page(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, faculty_ctx: AppContext) -> None:
    page = StudentPageView(faculty_ctx)
    qtbot.addWidget(page)
    page.show()
    student = institute.student_ids[2]
    page.load(student)
    qtbot.waitUntil(lambda: page.student is not None, timeout=5000)
    page.tabs.setCurrentWidget(page.assessments_tab)
    page.a_type.setCurrentIndex(index_of(page.a_type, "quiz"))
    page.a_title.setText("Loops quiz")
    page.a_total.setText("40")
    page.a_marks.setText("45")  # more than the total: refused, nothing saved, nothing lost
    page.record_button.click()
    qtbot.waitUntil(lambda: page.message.text().startswith("Marks obtained: "), timeout=5000)
    assert _assessments(replica, student) == [] and page.a_title.text() == "Loops quiz"
    page.a_marks.clear()  # not marked yet: pending
    with qtbot.waitSignal(page.sig_saved, timeout=5000):
        page.record_button.click()
    qtbot.waitUntil(lambda: page.assessments.rowCount() == 1, timeout=5000)
    line = page.assessments.row_at(0)
    assert (line.title, line.status, line.grade) == ("Loops quiz", "pending", "")
    page.assessment_view.setCurrentIndex(page.assessments.index(0, 0))
    page.a_marks.setText("34")
    with qtbot.waitSignal(page.sig_saved, timeout=5000):
        page.grade_button.click()
    qtbot.waitUntil(lambda: page.assessments.rowCount() == 1
                    and page.assessments.row_at(0).status == "graded", timeout=5000)
    model = page.assessments
    shown = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert shown[3:] == ["Loops quiz", "34 / 40", "85.0 %", "A", "graded"]
    [saved] = _assessments(replica, student)
    assert (str(saved.percentage), saved.grade, saved.status) == ("85.00", "A", "graded")
