"""Change an enrollment: its status (active, paused, completed, dropped), its dates, and why.

Saved through `services.enrollments` on the database thread (an ordinary synced edit); a
refusal is shown in words under the form and nothing is stored.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.widgets import date_field, index_of, save_or_cancel, styled_label
from institute_core.services.enrollments import STATUSES, EnrollmentChange, change_enrollment
from institute_core.services.students import EnrollmentLine
from institute_core.validation import person_message


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class _OptionalDate(QWidget):
    """A date that may be left unset (a check box says whether it is set)."""

    def __init__(self, label: str, value: date | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.set_box = QCheckBox("set")
        self.set_box.setAccessibleName(f"{label} is set")
        self.edit: QDateEdit = date_field(_qdate(value or date.today()))
        self.edit.setCalendarPopup(True)
        self.edit.setAccessibleName(label)
        layout.addWidget(self.set_box)
        layout.addWidget(self.edit, 1)
        self.set_box.toggled.connect(self.edit.setEnabled)
        self.set_box.setChecked(value is not None)
        self.edit.setEnabled(value is not None)

    def value(self) -> date | None:
        return _pydate(self.edit.date()) if self.set_box.isChecked() else None

    def set_value(self, value: date | None) -> None:
        self.set_box.setChecked(value is not None)
        if value is not None:
            self.edit.setDate(_qdate(value))


class EnrollmentDialog(QDialog):
    """Opened from the student page's Enrollments tab (admins)."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, line: EnrollmentLine, student: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.line = line
        self.setWindowTitle(f"Enrollment · {line.subject}")
        layout = QVBoxLayout(self)
        layout.addWidget(styled_label(f"{student} in {line.subject}", "subtitle"))
        form = QFormLayout()
        self.status = QComboBox()
        for status in STATUSES:
            self.status.addItem(status.title(), status)
        self.status.setCurrentIndex(max(0, index_of(self.status, line.status)))
        self.status.setAccessibleName("Status")
        form.addRow("Status", self.status)
        self.enrolled = date_field(_qdate(line.enrollment_date or date.today()))
        self.enrolled.setCalendarPopup(True)
        self.enrolled.setAccessibleName("Enrolled on")
        form.addRow("Enrolled on", self.enrolled)
        self.expected = _OptionalDate("Expected to finish", line.expected_completion_date)
        form.addRow("Expected to finish", self.expected)
        self.finished_on = _OptionalDate("Finished on", line.actual_completion_date)
        form.addRow("Finished on", self.finished_on)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why: e.g. exams until March, course finished, moved "
                                       "city")
        self.reason.setAccessibleName("Reason")
        form.addRow("Reason", self.reason)
        layout.addLayout(form)
        history = QPlainTextEdit(line.notes or "No change recorded yet.")
        history.setReadOnly(True)
        history.setAccessibleName("History of this enrollment")
        history.setMaximumHeight(90)
        layout.addWidget(styled_label("History", "hint"))
        layout.addWidget(history)
        self.error = styled_label("", "error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        save_or_cancel(self, layout, self.save, self.error)
        self.status.currentIndexChanged.connect(self._on_status)
        self.setMinimumWidth(460)

    def _on_status(self, _index: int) -> None:
        # Completing suggests today as the finishing date; it stays editable.
        if self.status.currentData() == "completed" and self.finished_on.value() is None:
            self.finished_on.set_value(date.today())

    def wanted(self) -> EnrollmentChange:
        return EnrollmentChange(str(self.status.currentData()), _pydate(self.enrolled.date()),
                                self.expected.value(), self.finished_on.value(),
                                self.reason.text())

    def save(self) -> None:
        assert self.line.id is not None
        replica, actor, user = self.ctx.replica, self.ctx.actor, self.ctx.user
        wanted, enrollment = self.wanted(), self.line.id
        self.ctx.tasks.run_db(
            lambda: change_enrollment(replica, actor, user, enrollment, wanted),
            lambda _r: self._saved(), lambda e: self.error.setText(person_message(e)))

    def _saved(self) -> None:
        self.sig_saved.emit()
        self.accept()
