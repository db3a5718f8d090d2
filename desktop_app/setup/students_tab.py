"""The students tab: a student's enrollments with their faculty; enroll, and move an
enrollment to another faculty member (the move is kept as history)."""

from __future__ import annotations

import uuid
from operator import attrgetter

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.setup.forms import StudentDialog, reason, show_outcome
from desktop_app.widgets import styled_label, table_view
from institute_core.display import date_text
from institute_core.schema import Student
from institute_core.setup import people, syllabus
from institute_core.setup.people import EnrollmentRow, Move, StudentRow
from institute_core.validation import person_message

STUDENT_COLUMNS: list[Column[StudentRow]] = [
    Column("Enrollment no", lambda s: s.enrollment_no),
    Column("Name", lambda s: s.name),
    Column("Status", lambda s: s.status),
]
ENROLLMENT_COLUMNS: list[Column[EnrollmentRow]] = [
    Column("Subject", lambda e: e.subject),
    Column("Faculty", lambda e: e.faculty),
    Column("Status", lambda e: e.status),
    Column("Moves", lambda e: str(e.moves), align_right=True),
]


class StudentsTab(QWidget):
    sig_saved = Signal()
    loaded = Signal()
    enrollments_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._faculty: list[tuple[uuid.UUID, str]] = []
        layout = QHBoxLayout(self)
        split = QSplitter()
        layout.addWidget(split)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find by enrollment no or name")
        self.branch = BranchPicker(ctx)
        find = QHBoxLayout()
        find.addWidget(self.search, 1)
        find.addWidget(self.branch)
        left_layout.addLayout(find)
        self.model: RowsModel[StudentRow] = RowsModel(STUDENT_COLUMNS, self)
        self.branch.filter_rows(self.model, attrgetter("branch_id"))
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Students")
        left_layout.addWidget(self.table, 1)
        self.profile_button = QPushButton("Edit profile…")
        left_layout.addWidget(self.profile_button)
        split.addWidget(left)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(styled_label("Enrollments", "hint"))
        self.enrollments: RowsModel[EnrollmentRow] = RowsModel(ENROLLMENT_COLUMNS, self)
        self.enrollment_table = table_view()
        self.enrollment_table.setModel(self.enrollments)
        right_layout.addWidget(self.enrollment_table, 1)
        move_box = QGroupBox("Move the selected enrollment to another faculty member")
        move_form = QFormLayout(move_box)
        self.move_to = QComboBox()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why (kept with the move)")
        self.move_button = QPushButton("Move")
        move_form.addRow("To", self.move_to)
        move_form.addRow("Reason", self.reason)
        move_form.addRow(self.move_button)
        self.history = styled_label("", "hint")
        move_form.addRow(self.history)
        right_layout.addWidget(move_box)
        enroll_box = QGroupBox("Enroll in a subject")
        enroll_form = QFormLayout(enroll_box)
        self.subject = QComboBox()
        self.enroll_faculty = QComboBox()
        self.enroll_button = QPushButton("Enroll")
        enroll_form.addRow("Subject", self.subject)
        enroll_form.addRow("Faculty", self.enroll_faculty)
        enroll_form.addRow(self.enroll_button)
        right_layout.addWidget(enroll_box)
        self.message = styled_label("", "hint")
        right_layout.addWidget(self.message)
        split.addWidget(right)
        split.setSizes([420, 640])

        self.search.textChanged.connect(self._filter)
        self.table.selectionModel().currentRowChanged.connect(
            lambda _c, _p: self._load_enrollments())
        self.enrollment_table.selectionModel().currentRowChanged.connect(
            lambda _c, _p: self._load_history())
        self.move_button.clicked.connect(self._move)
        self.enroll_button.clicked.connect(self._enroll)
        self.profile_button.clicked.connect(self._open_profile)
        self.table.doubleClicked.connect(lambda _i: self._open_profile())

    def _open_profile(self) -> None:
        student = self._student()
        if student is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: (people.student_profile(replica, student.id),
                                        people.counselor_choices(replica)),
                               lambda r: self.profile_dialog(*r).open())

    def profile_dialog(self, student: Student,
                       counselors: list[tuple[uuid.UUID, str]]) -> StudentDialog:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        dialog = StudentDialog(self._ctx, lambda v: people.update_student(
            replica, actor, user, student.id, **v), student, counselors, self)
        dialog.accepted.connect(self._profile_saved)
        return dialog

    def _profile_saved(self) -> None:
        show_outcome(self.message, "Profile saved.")
        self.sig_saved.emit()
        self.refresh()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        self.model.set_filter(None if not needle else lambda s: needle in s.enrollment_no.lower()
                              or needle in s.name.lower())

    def _student(self) -> StudentRow | None:
        row = self.table.currentIndex().row()
        return self.model.row_at(row) if 0 <= row < self.model.rowCount() else None

    def _enrollment(self) -> EnrollmentRow | None:
        row = self.enrollment_table.currentIndex().row()
        return self.enrollments.row_at(row) if 0 <= row < self.enrollments.rowCount() else None

    def refresh(self) -> None:
        replica, user = self._ctx.replica, self._ctx.user
        self._ctx.tasks.run_db(lambda: (people.list_students(replica, user),
                                        people.faculty_choices(replica),
                                        syllabus.subject_choices(replica)), self._on_loaded,
                               lambda e: show_outcome(self.message, person_message(e),
                                                      refused=True))

    def _on_loaded(self, result: tuple[list[StudentRow], list[tuple[uuid.UUID, str]],
                                       list[tuple[uuid.UUID, str]]]) -> None:
        students, self._faculty, subjects = result
        current = self._student()
        self.model.set_rows(students)
        for combo, items in ((self.move_to, self._faculty), (self.enroll_faculty, self._faculty),
                             (self.subject, subjects)):
            combo.clear()
            for key, label in items:
                combo.addItem(label, key)
        rows = self.model.rows
        index = next((i for i, s in enumerate(rows) if current and s.id == current.id), 0)
        if rows:
            self.table.setCurrentIndex(self.model.index(index, 0))
        self.loaded.emit()

    def select_student(self, student_id: uuid.UUID) -> None:
        for i, row in enumerate(self.model.rows):
            if row.id == student_id:
                self.table.setCurrentIndex(self.model.index(i, 0))

    def _load_enrollments(self) -> None:
        student = self._student()
        if student is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: people.enrollments_of(replica, student.id),
                               self._on_enrollments)

    def _on_enrollments(self, rows: list[EnrollmentRow]) -> None:
        self.enrollments.set_rows(rows)
        if rows:
            self.enrollment_table.setCurrentIndex(self.enrollments.index(0, 0))
        else:
            self.history.setText("")
        self.enrollments_loaded.emit()

    def _load_history(self) -> None:
        enrollment = self._enrollment()
        if enrollment is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: people.moves_of(replica, enrollment.id),
                               self._on_history)

    def _on_history(self, moves: list[Move]) -> None:
        names: dict[uuid.UUID | None, str] = dict(self._faculty)
        lines = [f"{date_text(m.moved_on)}: {names.get(m.from_faculty_id, 'earlier faculty')} → "
                 f"{names.get(m.to_faculty_id, 'another faculty')}"
                 + (f" ({m.reason})" if m.reason else "") for m in moves]
        self.history.setText("\n".join(lines) if lines else "Never moved.")

    def _run(self, fn: object, done: str) -> None:
        def ok(_value: object) -> None:
            show_outcome(self.message, done)
            self.sig_saved.emit()
            self._load_enrollments()

        self._ctx.tasks.run_db(fn, ok, lambda e: show_outcome(  # type: ignore[arg-type]
            self.message, reason(e), refused=True))

    def move_selected(self, to_faculty: uuid.UUID, reason: str | None) -> None:
        enrollment = self._enrollment()
        if enrollment is None:
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: people.move_to_faculty(replica, actor, user, enrollment.id,
                                                 to_faculty, reason=reason),
                  f"Moved {enrollment.subject}.")

    def _move(self) -> None:
        target = self.move_to.currentData()
        if target is not None:
            self.move_selected(target, self.reason.text().strip() or None)
            self.reason.clear()

    def _enroll(self) -> None:
        student, subject, faculty = (self._student(), self.subject.currentData(),
                                     self.enroll_faculty.currentData())
        if student is None or subject is None or faculty is None:
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: people.enroll(replica, actor, user, student.id, subject, faculty),
                  f"Enrolled {student.enrollment_no}.")
