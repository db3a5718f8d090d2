"""The student page: profile, enrollments, topic progress, attendance, assessments, rewards,
guardians and messages."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.documents import open_pdf
from desktop_app.fees.panel import StudentFeesPanel
from desktop_app.messages.student_panel import StudentMessagesPanel
from desktop_app.models import STATUS_COLOURS, Column, RowsModel
from desktop_app.students.enrollment_dialog import EnrollmentDialog
from desktop_app.students.portal_code import ISSUE_CODES, GuardianCodePrinter, PrintedCode
from desktop_app.widgets import date_field, styled_label, table_view, title_label
from institute_core.display import date_text, time_text, weekday_date
from institute_core.enums import AssessmentType
from institute_core.fees.access import MONEY
from institute_core.services import assessments
from institute_core.services.students import (
    AssessmentLine,
    AttendanceLine,
    EnrollmentLine,
    ProgressLine,
    RewardLine,
    StudentPage,
    student_page,
)
from institute_core.validation import person_message

COMPETENCY_COLOURS = {0: None, 1: "#f9dcdc", 2: "#fbe7d4", 3: "#fff1cc", 4: "#e3f3d8",
                      5: "#bfe8cb"}


def _pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.1f} %"


class StudentPageView(QWidget):
    """Everything about one student; assessments can be recorded and graded here."""

    sig_back = Signal()
    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.student: StudentPage | None = None
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = title_label("Student")
        head.addWidget(self.title, 1)
        # A guardian the messages cannot reach gets a printed portal code (administrators).
        self.code_button = QPushButton("Guardian portal code…")
        self.code_button.setToolTip("Ask the server for a one-time sign-in code for this "
                                    "student's parent or guardian and print it")
        self.code_button.setVisible(self._ctx.user.may(ISSUE_CODES))
        self.code_button.clicked.connect(self._on_guardian_code)
        head.addWidget(self.code_button)
        self.codes = GuardianCodePrinter(ctx, self)
        self.codes.sig_printed.connect(self._on_code_printed)
        self.codes.sig_failed.connect(self._on_code_failed)
        back = QPushButton("Back to the list")
        back.clicked.connect(self.sig_back)
        head.addWidget(back)
        layout.addLayout(head)
        self.profile = styled_label("", "subtitle")
        layout.addWidget(self.profile)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.enrollments: RowsModel[EnrollmentLine] = RowsModel([
            Column("Subject", lambda e: e.subject),
            Column("Status", lambda e: e.status.title(), lambda e: STATUS_COLOURS.get(e.status)),
            Column("Completed", lambda e: _pct(e.completion_percentage), align_right=True),
            Column("Enrolled", lambda e: date_text(e.enrollment_date)
                   if e.enrollment_date else ""),
            Column("Expected to finish", lambda e: date_text(e.expected_completion_date)
                   if e.expected_completion_date else "not set"),
            Column("Finished", lambda e: date_text(e.actual_completion_date)
                   if e.actual_completion_date else ""),
            Column("Last change", lambda e: e.notes.splitlines()[-1] if e.notes else "",
                   tooltip=lambda e: e.notes)], self)
        self._build_enrollments()
        self.progress: RowsModel[ProgressLine] = self._tab("Topic progress", [
            Column("Subject", lambda p: p.subject), Column("Topic", lambda p: p.topic),
            Column("Status", lambda p: p.status.replace("_", " "),
                   lambda p: STATUS_COLOURS.get(p.status)),
            Column("Competency", lambda p: str(p.competency_level) if p.competency_level
                   else "–", lambda p: COMPETENCY_COLOURS.get(p.competency_level),
                   align_right=True),
            Column("Sessions", lambda p: str(p.session_count), align_right=True),
            Column("Minutes", lambda p: str(p.time_spent_minutes), align_right=True)])
        self.attendance: RowsModel[AttendanceLine] = self._tab("Attendance", [
            Column("Date", lambda a: weekday_date(a.on)),
            Column("Time", lambda a: time_text(a.start) if a.start else ""),
            Column("Session", lambda a: a.what),
            Column("Status", lambda a: a.status, lambda a: STATUS_COLOURS.get(a.status))])
        self.assessments_tab = QWidget()
        self.assessments: RowsModel[AssessmentLine] = RowsModel([
            Column("Date", lambda a: date_text(a.on)),
            Column("Subject", lambda a: a.subject), Column("Type", lambda a: a.kind),
            Column("Title", lambda a: a.title), Column("Marks", lambda a: a.marks),
            Column("%", lambda a: _pct(a.percentage), align_right=True),
            Column("Grade", lambda a: a.grade), Column("Status", lambda a: a.status)], self)
        self._build_assessments()
        self.rewards: RowsModel[RewardLine] = self._tab("Rewards and penalties", [
            Column("Date", lambda r: date_text(r.on)),
            Column("Type", lambda r: r.kind,
                   lambda r: "#dff3e4" if r.kind == "reward" else "#f9dcdc"),
            Column("Category", lambda r: r.category),
            Column("Points", lambda r: str(r.points), align_right=True),
            Column("Reason", lambda r: r.reason)])
        self.contacts = StudentMessagesPanel(ctx)
        self.tabs.addTab(self.contacts, "Guardians and messages")
        # Money is for the front desk and admins: faculty never get the tab (issue 18).
        self.fees: StudentFeesPanel | None = None
        if self._ctx.user.may(MONEY):
            self.fees = StudentFeesPanel(ctx)
            self.fees.sig_saved.connect(self.sig_saved)
            self.tabs.addTab(self.fees, "Fees")

    def _tab(self, title: str, columns: list[Column]) -> RowsModel:  # type: ignore[type-arg]
        model: RowsModel = RowsModel(columns, self)  # type: ignore[type-arg]
        view = table_view()
        view.setModel(model)
        self.tabs.addTab(view, title)
        return model

    def _build_enrollments(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.enrollment_view = table_view()
        self.enrollment_view.setModel(self.enrollments)
        self.enrollment_view.setAccessibleName("Enrollments")
        self.enrollment_view.doubleClicked.connect(lambda _i: self.change_enrollment())
        layout.addWidget(self.enrollment_view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.change_button = QPushButton("Change status or dates…")
        self.change_button.setToolTip("Pause, complete or drop the selected enrollment, or "
                                      "change its dates, with the reason")
        self.change_button.clicked.connect(self.change_enrollment)
        self.change_button.setVisible(self._ctx.user.may("students.manage"))
        row.addWidget(self.change_button)
        layout.addLayout(row)
        self.tabs.addTab(tab, "Enrollments")

    def change_enrollment(self) -> EnrollmentDialog | None:
        """Open the selected enrollment's lifecycle dialog (admins); reloads once saved."""
        row = self.enrollment_view.currentIndex().row()
        if self.student is None or not self._ctx.user.may("students.manage"):
            return None
        if not 0 <= row < self.enrollments.rowCount():
            self.message.setText("Select the enrollment to change first.")
            return None
        dialog = EnrollmentDialog(self._ctx, self.enrollments.row_at(row), self.student.name,
                                  self)
        dialog.sig_saved.connect(lambda: self._on_saved(None))
        dialog.open()
        return dialog

    def _build_assessments(self) -> None:
        layout = QVBoxLayout(self.assessments_tab)
        self.assessment_view = table_view()
        self.assessment_view.setModel(self.assessments)
        layout.addWidget(self.assessment_view, 1)
        form_box = QGroupBox("Record an assessment")
        form = QFormLayout(form_box)
        self.a_subject = QComboBox()
        self.a_type = QComboBox()
        for kind in AssessmentType:
            self.a_type.addItem(kind.value.title(), kind.value)
        self.a_title = QLineEdit()
        self.a_total = QLineEdit()
        self.a_total.setPlaceholderText("e.g. 50")
        self.a_marks = QLineEdit()
        self.a_marks.setPlaceholderText("leave empty while it is pending")
        self.a_date = date_field(QDate.currentDate())
        self.a_date.setCalendarPopup(True)
        self.a_date.setDisplayFormat("dd MMM yyyy")
        form.addRow("Subject", self.a_subject)
        form.addRow("Type", self.a_type)
        form.addRow("Title", self.a_title)
        form.addRow("Total marks", self.a_total)
        form.addRow("Marks obtained", self.a_marks)
        form.addRow("Date", self.a_date)
        buttons = QHBoxLayout()
        self.record_button = QPushButton("Record")
        self.record_button.setObjectName("primary")
        self.grade_button = QPushButton("Grade the selected pending one with these marks")
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.grade_button)
        form.addRow(buttons)
        layout.addWidget(form_box)
        self.record_button.clicked.connect(self._on_record)
        self.grade_button.clicked.connect(self._on_grade)
        self.tabs.addTab(self.assessments_tab, "Assessments")

    def load(self, student_id: uuid.UUID) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: student_page(replica, student_id), self._on_loaded,
                               lambda e: self.message.setText(person_message(e)))

    def _on_loaded(self, page: StudentPage) -> None:
        self.student = page
        self.message.setText("")
        self.title.setText(f"{page.name} · {page.enrollment_no}")
        rate = page.attendance_rate
        parts = [page.status.title(), f"admitted {date_text(page.admission_date)}", page.email,
                 page.phone, f"learning style: {page.learning_style}" if page.learning_style
                 else "", f"emergency: {page.emergency_contact}" if page.emergency_contact
                 else "", f"attendance {rate:.0%}" if rate is not None else ""]
        self.profile.setText(" · ".join(p for p in parts if p))
        self.enrollments.set_rows(page.enrollments)
        if page.enrollments:
            self.enrollment_view.setCurrentIndex(self.enrollments.index(0, 0))
        self.progress.set_rows(page.progress)
        self.attendance.set_rows(page.attendance)
        self.contacts.load(page.id)
        if self.fees is not None:
            self.fees.load(page.id, page.name)
        self.assessments.set_rows(page.assessments)
        self.rewards.set_rows(page.rewards)
        self.a_subject.clear()
        for e in page.enrollments:
            self.a_subject.addItem(e.subject, e.subject_id)

    def _on_record(self) -> None:
        page = self.student
        if page is None or self.a_subject.currentData() is None:
            self.message.setText("The student is enrolled in no subject to assess.")
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        qdate = self.a_date.date()
        args = dict(student_id=page.id, subject_id=self.a_subject.currentData(),
                    kind=self.a_type.currentData(), title=self.a_title.text(),
                    total_marks=self.a_total.text(),
                    marks_obtained=self.a_marks.text() or None,
                    on=date(qdate.year(), qdate.month(), qdate.day()))
        self._ctx.tasks.run_db(lambda: assessments.record(replica, actor, **args),  # type: ignore[arg-type]
                               self._on_saved, lambda e: self.message.setText(person_message(e)))

    def _on_grade(self) -> None:
        row = self.assessment_view.currentIndex().row()
        if row < 0:
            self.message.setText("Select the pending assessment to grade first.")
            return
        line = self.assessments.row_at(row)
        replica, actor, marks = self._ctx.replica, self._ctx.actor, self.a_marks.text()
        self._ctx.tasks.run_db(lambda: assessments.grade(replica, actor, line.id, marks),
                               self._on_saved, lambda e: self.message.setText(person_message(e)))

    def _on_guardian_code(self) -> None:
        page = self.student
        if page is None:
            return
        self.code_button.setEnabled(False)
        self.message.setText("Asking the server for a sign-in code…")
        self.codes.print_code(page.id, page.name, page.enrollment_no)

    def _on_code_printed(self, printed: PrintedCode) -> None:
        self.code_button.setEnabled(True)
        self.message.setText(f"Sign-in code for the guardian: {printed.code}, valid once until "
                             f"{printed.until}; slip saved as {printed.path.name}.")
        self.message.setToolTip(str(printed.path))
        open_pdf(printed.path)

    def _on_code_failed(self, text: str) -> None:
        self.code_button.setEnabled(True)
        self.message.setText(text)

    def _on_saved(self, _result: object) -> None:
        self.a_title.clear()
        self.a_marks.clear()
        self.sig_saved.emit()
        if self.student is not None:
            self.load(self.student.id)
