"""The setup section on screen: week grid, import mapping preview, audit log, admins only."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QPoint, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.context import AppContext
from desktop_app.setup.view import SetupView
from desktop_app.setup.week_grid import WeekGrid
from desktop_app.shell.navigation import may_open
from desktop_app.shell.pages import page_factory
from desktop_app.tasks import TaskManager
from desktop_app.widgets import index_of
from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.schema import FlexibleBatch, Student
from institute_core.services import auth
from institute_core.setup import people, syllabus
from institute_core.setup.week import Week
from tests.services.fixtures import PASSWORD, Institute

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def tasks() -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.shutdown()


def _ctx(replica: Replica, tasks: TaskManager, email: str) -> AppContext:
    return AppContext(replica, tasks, auth.login_offline(replica, email, PASSWORD))


def _centre(grid: WeekGrid, day: int, row: int) -> QPoint:
    return grid.cell_rect(day, row).center()


def test_dragging_on_the_week_grid_marks_and_clears_slots(qtbot: QtBot) -> None:
    grid = WeekGrid()
    qtbot.addWidget(grid)
    grid.resize(700, 500)
    grid.show()
    # Monday 09:00–11:00: rows 4..7 (the grid starts at 07:00 in half hours).
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=_centre(grid, 0, 4))
    for row in range(5, 8):
        qtbot.mouseMove(grid, _centre(grid, 0, row))
    with qtbot.waitSignal(grid.changed):
        qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=_centre(grid, 0, 7))
    assert grid.week().slots("monday") == [(time(9), time(11))]
    # A stroke that starts on a marked cell clears: 10:00–11:00 becomes free again.
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=_centre(grid, 0, 6))
    qtbot.mouseMove(grid, _centre(grid, 0, 7))
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=_centre(grid, 0, 7))
    assert grid.week().slots("monday") == [(time(9), time(10))]
    # Keyboard: the cursor stays on the last cell pressed (Mon 10:00); Right, Space marks Tue.
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert grid.week().slots("tuesday") == [(time(10), time(10, 30))]


def test_the_people_tab_saves_a_faculty_members_week(qtbot: QtBot, replica: Replica,
                                                     institute: Institute,
                                                     tasks: TaskManager) -> None:
    view = SetupView(_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    tab = view.people
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=5000)
    row = next(i for i, u in enumerate(tab.model.rows) if u.email == "faculty@example.org")
    tab.table.setCurrentIndex(tab.model.index(row, 0))
    qtbot.waitUntil(tab.availability.isEnabled, timeout=5000)
    week = Week()
    week.set_slots("friday", [(time(14), time(18))])
    tab.grid.set_week(week)
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        tab.save_availability()
    assert people.availability_of(replica, institute.faculty_id).slots("friday") == [
        (time(14), time(18))]
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


def _students_csv(tmp_path: Path) -> Path:
    path = tmp_path / "students.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Student code", "Name", "Mail", "Born"])
        writer.writerow(["NEW-1", "Asha", "asha@x.org", "2004-02-03"])
        writer.writerow(["NEW-2", "Ravi", "not-an-email", "2004-02-03"])
        writer.writerow(["NEW-3", "Kiran", "kiran@x.org", "someday"])
    return path


def _new_students(replica: Replica) -> set[str]:
    with replica.read() as s:
        return set(s.scalars(select(Student.enrollment_no).where(
            Student.enrollment_no.like("NEW-%"), Student.deleted_at.is_(None))))


def test_mapping_preview_shows_reasons_and_imports_only_on_accept(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager,
        tmp_path: Path) -> None:
    view = SetupView(_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.tabs.setCurrentWidget(view.importer)
    tab = view.importer
    with qtbot.waitSignal(tab.previewed, timeout=5000):
        tab.load_file(_students_csv(tmp_path))
    # "Student code" is no known header: the required field has no column yet.
    assert tab.plan is None and "Enrollment no" in tab.summary.text()
    assert not tab.accept_button.isEnabled()
    with qtbot.waitSignal(tab.previewed, timeout=5000):
        tab.set_column("enrollment_no", 0)
    assert tab.plan is not None
    assert tab.mapping() == {"enrollment_no": 0, "first_name": 1, "email": 2}  # "Mail" guessed
    with qtbot.waitSignal(tab.previewed, timeout=5000):
        tab.set_column("date_of_birth", 3)
    shown = {tab.rows_model.data(tab.rows_model.index(r, 0)):
             (tab.rows_model.data(tab.rows_model.index(r, 1)),
              tab.rows_model.data(tab.rows_model.index(r, 3)))
             for r in range(tab.rows_model.rowCount())}
    assert shown == {
        "2": ("new", ""),
        "3": ("refused", "Email: 'not-an-email' is not an email address"),
        "4": ("refused", "Date of birth: 'someday' is not a date (use YYYY-MM-DD or "
                         "DD/MM/YYYY)")}
    assert tab.accept_button.text() == "Import 1 rows"
    assert _new_students(replica) == set()  # nothing before accepting
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        tab.accept_button.click()
    assert _new_students(replica) == {"NEW-1"}
    qtbot.waitUntil(lambda: tab.runs_model.rowCount() == 1, timeout=5000)
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        tab.undo(tab.runs_model.row_at(0).id)
    assert _new_students(replica) == set()
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


def test_the_audit_tab_filters_and_exports(qtbot: QtBot, replica: Replica,
                                           institute: Institute, tasks: TaskManager,
                                           tmp_path: Path) -> None:
    ctx = _ctx(replica, tasks, "admin@example.org")
    people.deactivate_user(replica, ctx.actor, ctx.user, institute.counselor_id)
    view = SetupView(ctx)
    qtbot.addWidget(view)
    view.tabs.setCurrentWidget(view.audit)
    tab = view.audit
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=5000)
    tab.action.setCurrentIndex(tab.action.findData("update"))
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    assert tab.model.row_at(0).summary() == "status: active → inactive"
    target = tmp_path / "log.csv"
    with qtbot.waitSignal(tab.exported, timeout=5000):
        tab.export_to(str(target))
    with target.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["action"], r["who"]) for r in rows] == [("update", "Ada Admin")]
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


def test_only_admins_reach_setup(qtbot: QtBot, replica: Replica, institute: Institute,
                                 tasks: TaskManager) -> None:
    assert may_open(Role.ADMIN, "setup") and may_open(Role.SUPER_ADMIN, "setup")
    assert not may_open(Role.FACULTY, "setup") and not may_open(Role.COUNSELOR, "setup")
    assert page_factory("setup") is SetupView
    view = SetupView(_ctx(replica, tasks, "counselor@example.org"))
    qtbot.addWidget(view)
    assert view.tabs.count() == 0


def test_syllabus_tab_names_a_refused_cycle_and_adds_subjects(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    view = SetupView(_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.tabs.setCurrentWidget(view.syllabus)
    tab = view.syllabus
    qtbot.waitUntil(lambda: tab.topic_model.rowCount() == 6, timeout=5000)
    first, second = tab.topic_model.topic_at(0), tab.topic_model.topic_at(1)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.add_prerequisite_of(second.id, first.id)
    assert tab.topic_model.index(1).data().endswith(f"needs {first.name}")
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.add_prerequisite_of(first.id, second.id)
    assert tab.message.text() == (f"would make a cycle: {first.name} → {second.name} → "
                                  f"{first.name}")
    dialog = tab.subject_dialog()
    dialog.name.setText("Data Science")
    dialog.code.setText("PY101")  # taken: refused, the form keeps what was typed
    dialog.submit()
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=5000)
    assert "code" in dialog.error.text() and dialog.name.text() == "Data Science"
    dialog.code.setText("DS101")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.submit()
    qtbot.waitUntil(lambda: tab.subject.findText("DS101 · Data Science") >= 0, timeout=5000)
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)
    edit = tab.topic_dialog(tab.topic_model.topic_at(0))  # what a double-click opens
    assert edit.name.text() == first.name
    edit.minutes.setValue(95)
    edit.resources["links"].setPlainText("https://docs.python.org/3/")
    edit.resources["files"].setPlainText("/share/handouts/intro.pdf")
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        edit.submit()
    [topic] = [t for t in syllabus.topics_of(replica, institute.subject_id) if t.id == first.id]
    assert topic.estimated_duration_minutes == 95
    assert topic.resources == {"links": ["https://docs.python.org/3/"],
                               "files": ["/share/handouts/intro.pdf"]}
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


def test_students_tab_moves_an_enrollment_and_shows_the_history(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    ctx = _ctx(replica, tasks, "admin@example.org")
    other_user = people.create_user(replica, ctx.actor, ctx.user, people.NewUser(
        "nia@example.org", "Nia", "Bose", "faculty"))
    other = people.save_faculty(replica, ctx.actor, ctx.user, other_user, employee_id="F-002")
    view = SetupView(ctx)
    qtbot.addWidget(view)
    view.tabs.setCurrentWidget(view.students)
    tab = view.students
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0 and tasks.idle, timeout=5000)
    with qtbot.waitSignal(tab.enrollments_loaded, timeout=5000):
        tab.select_student(institute.student_ids[2])
    assert tab.enrollments.row_at(0).faculty == "Farah Faculty (F-001)"
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)  # the first enrollment's history
    with qtbot.waitSignal(tab.enrollments_loaded, timeout=5000):
        tab.move_selected(other, "evening slot")
    assert tab.enrollments.row_at(0).faculty == "Nia Bose (F-002)"
    qtbot.waitUntil(lambda: "evening slot" in tab.history.text(), timeout=5000)
    assert "Farah Faculty (F-001) → Nia Bose (F-002)" in tab.history.text()
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


def test_a_new_batch_gets_its_weekly_schedule_from_the_grid_and_refuses_when_full(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    view = SetupView(_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.tabs.setCurrentWidget(view.batches)
    tab = view.batches
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1 and tasks.idle, timeout=5000)
    dialog = tab.batch_dialog([(institute.subject_id, "PY101")],
                              [(institute.faculty_id, "Farah Faculty (F-001)")])
    dialog.name.setText("Saturday Lab")
    dialog.capacity.setValue(1)
    week = Week()
    week.set_slots("saturday", [(time(10), time(12))])
    dialog.week.set_week(week)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        dialog.submit()
    rows = {r.name: r for r in tab.model.rows}
    assert rows["Saturday Lab"].capacity == 1
    with replica.read() as s:
        batch = s.get(FlexibleBatch, rows["Saturday Lab"].id)
        assert batch is not None and batch.schedule is not None
        assert batch.schedule["weekly"] == [{"day": "saturday", "start": "10:00",
                                             "end": "12:00"}]
    tab.table.setCurrentIndex(tab.model.index(tab.model.rows.index(rows["Saturday Lab"]), 0))
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.add_student(institute.student_ids[0])
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)
    tab.add_student(institute.student_ids[1])
    qtbot.waitUntil(lambda: "is full" in tab.message.text(), timeout=5000)
    assert tab.message.text().startswith("batch 'Saturday Lab' is full (1 of 1")
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


def test_a_student_profile_is_edited_and_a_bad_value_keeps_the_form_open(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    ctx = _ctx(replica, tasks, "admin@example.org")
    view = SetupView(ctx)
    qtbot.addWidget(view)
    tab = view.students
    student = people.student_profile(replica, institute.student_ids[3])
    dialog = tab.profile_dialog(student, people.counselor_choices(replica))
    dialog.emergency_name.setText("Priya (mother)")
    dialog.emergency_phone.setText("+91 98200 00000")
    dialog.counselor.setCurrentIndex(index_of(dialog.counselor, institute.counselor_id))
    dialog.learning.setCurrentIndex(dialog.learning.findData("kinesthetic"))
    dialog.status.setCurrentIndex(dialog.status.findData("hold"))
    # The whole record is in the form: number and dates too; no birth date stays "not given".
    assert dialog.enrollment_no.text() == student.enrollment_no
    assert dialog.birth.text() == "not given"
    dialog.enrollment_no.setText("PY-104")
    dialog.admission.setDate(QDate(2026, 1, 5))
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.submit()
    saved = people.student_profile(replica, institute.student_ids[3])
    assert (saved.emergency_contact_name, saved.counselor_id, saved.learning_style,
            saved.status) == ("Priya (mother)", institute.counselor_id, "kinesthetic", "hold")
    assert (saved.enrollment_no, saved.admission_date, saved.date_of_birth) == (
        "PY-104", date(2026, 1, 5), None)
    again = tab.profile_dialog(saved, [])
    again.emergency_phone.setText("+91 " + "9" * 30)  # longer than the column allows
    again.submit()
    qtbot.waitUntil(lambda: bool(again.error.text()), timeout=5000)
    assert "Emergency contact phone: " in again.error.text()
    assert again.emergency_phone.text().startswith("+91 999")  # what was typed stays
    assert people.student_profile(replica, institute.student_ids[3]).emergency_contact_phone \
        == "+91 98200 00000"
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)
