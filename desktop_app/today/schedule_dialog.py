"""Scheduling an individual session or an extra batch meeting.

A plan that breaks a faculty limit (availability, hours or students a day, an overlap) is not
refused: the first "Schedule" shows the warnings and turns into "Schedule anyway"; changing any
field takes the confirmation back. Nothing typed is lost when the service refuses.
"""

from __future__ import annotations

import uuid
from datetime import date, time

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.widgets import date_field, index_of, styled_label, title_label
from institute_core.services import sessions
from institute_core.services.sessions import NeedsConfirmation, Scheduled, SchedulingChoices
from institute_core.validation import person_message

INDIVIDUAL, BATCH = "individual", "batch"


def _date(edit: QDateEdit) -> date:
    d = edit.date()
    return date(d.year(), d.month(), d.day())


def _time(edit: QTimeEdit) -> time:
    t = edit.time()
    return time(t.hour(), t.minute())


class ScheduleDialog(QDialog):
    """Emits `sig_scheduled(Scheduled)` and closes once the session is saved."""

    sig_scheduled = Signal(object)

    def __init__(self, ctx: AppContext, day: date, parent: QWidget | None = None, *,
                 student_id: uuid.UUID | None = None,
                 batch_id: uuid.UUID | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._preselect = (student_id, batch_id)
        self._choices: SchedulingChoices | None = None
        self._confirming = False
        self.setWindowTitle("Schedule a session")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 34)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Schedule a session"))
        self.form = QFormLayout()
        self.kind = QComboBox()
        self.kind.addItem("Individual session", INDIVIDUAL)
        self.kind.addItem("Extra batch meeting", BATCH)
        self.student = QComboBox()
        self.student.setEditable(True)  # type to find a student among many
        self.student.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.subject = QComboBox()
        self.batch = QComboBox()
        self.on = date_field(QDate(day.year, day.month, day.day))
        self.on.setCalendarPopup(True)
        self.on.setDisplayFormat("ddd dd MMM yyyy")
        self.start = QTimeEdit(QTime(10, 0))
        self.end = QTimeEdit(QTime(11, 0))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.location = QLineEdit()
        self.location.setPlaceholderText("optional, e.g. Room 1")
        for label, widget in (("Kind", self.kind), ("Student", self.student),
                              ("Subject", self.subject), ("Batch", self.batch),
                              ("Date", self.on), ("Starts", self.start), ("Ends", self.end),
                              ("Where", self.location)):
            self.form.addRow(label, widget)
        layout.addLayout(self.form)
        self.warnings = styled_label("", "warning")
        self.warnings.hide()
        layout.addWidget(self.warnings)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton("Close")
        self.schedule_button = QPushButton("Schedule")
        self.schedule_button.setObjectName("primary")
        self.schedule_button.setDefault(True)
        self.schedule_button.setEnabled(False)  # until the choices are loaded
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.schedule_button)
        layout.addLayout(buttons)
        self.close_button.clicked.connect(self.reject)
        self.schedule_button.clicked.connect(self.schedule)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.student.currentIndexChanged.connect(self._fill_subjects)
        for signal in (self.kind.currentIndexChanged, self.student.currentIndexChanged,
                       self.subject.currentIndexChanged, self.batch.currentIndexChanged,
                       self.on.dateChanged, self.start.timeChanged, self.end.timeChanged):
            signal.connect(self._unconfirm)
        self._on_kind()
        self._load()

    def _load(self) -> None:
        replica, faculty_id = self._ctx.replica, self._ctx.user.faculty_id
        if faculty_id is None:
            self.message.setText("Only faculty members schedule their own sessions here.")
            return
        self._ctx.tasks.run_db(lambda: sessions.scheduling_choices(replica, faculty_id),
                               self._on_loaded, lambda e: self.message.setText(str(e)))

    def _on_loaded(self, choices: SchedulingChoices) -> None:
        self._choices = choices
        for student in choices.students:
            self.student.addItem(student.label, student.id)
        for batch in choices.batches:
            self.batch.addItem(batch.label, batch.id)
        self._fill_subjects()
        student_id, batch_id = self._preselect
        self.select(student_id=student_id, batch_id=batch_id)
        self.schedule_button.setEnabled(True)

    @property
    def loaded(self) -> bool:
        return self._choices is not None

    def _on_kind(self, *_args: object) -> None:
        individual = self.kind.currentData() == INDIVIDUAL
        for widget in (self.student, self.subject, self.location):
            self.form.setRowVisible(widget, individual)
        self.form.setRowVisible(self.batch, not individual)

    def _fill_subjects(self, *_args: object) -> None:
        self.subject.clear()
        if self._choices is None:
            return
        student_id = self.student.currentData()
        for student in self._choices.students:
            if student.id == student_id:
                for subject in student.subjects:
                    self.subject.addItem(subject.label, subject.id)

    def select(self, *, student_id: uuid.UUID | None = None,
               batch_id: uuid.UUID | None = None) -> None:
        """Preselect a student (individual) or a batch (extra meeting) once loaded."""
        if batch_id is not None and index_of(self.batch, batch_id) >= 0:
            self.kind.setCurrentIndex(index_of(self.kind, BATCH))
            self.batch.setCurrentIndex(index_of(self.batch, batch_id))
        if student_id is not None and index_of(self.student, student_id) >= 0:
            self.kind.setCurrentIndex(index_of(self.kind, INDIVIDUAL))
            self.student.setCurrentIndex(index_of(self.student, student_id))

    def _unconfirm(self, *_args: object) -> None:
        if self._confirming:
            self._confirming = False
            self.schedule_button.setText("Schedule")
            self.warnings.hide()

    def schedule(self) -> None:
        """Save the session (after the warnings were seen, with them confirmed)."""
        replica, actor, confirm = self._ctx.replica, self._ctx.actor, self._confirming
        on, start, end = _date(self.on), _time(self.start), _time(self.end)
        if self.kind.currentData() == INDIVIDUAL:
            faculty_id = self._ctx.user.faculty_id
            student_id, subject_id = self.student.currentData(), self.subject.currentData()
            if faculty_id is None or student_id is None or subject_id is None:
                self.message.setText("Choose a student and a subject.")
                return
            location = self.location.text().strip() or None

            def _do_schedule() -> Scheduled:
                return sessions.schedule_individual(
                    replica, actor, faculty_id=faculty_id, student_id=student_id,
                    subject_id=subject_id, on=on, start=start, end=end, location=location,
                    confirm=confirm)
        else:
            batch_id = self.batch.currentData()
            if batch_id is None:
                self.message.setText("Choose a batch.")
                return

            def _do_schedule() -> Scheduled:
                return sessions.schedule_batch_meeting(replica, actor, batch_id=batch_id, on=on,
                                                       start=start, end=end, confirm=confirm)

        self.schedule_button.setEnabled(False)
        self.message.setText("")
        self._ctx.tasks.run_db(_do_schedule, self._on_scheduled, self._on_refused)

    def _on_scheduled(self, scheduled: Scheduled) -> None:
        self.schedule_button.setEnabled(True)
        self.sig_scheduled.emit(scheduled)
        self.accept()

    def _on_refused(self, exc: BaseException) -> None:
        self.schedule_button.setEnabled(True)
        if isinstance(exc, NeedsConfirmation):
            self._confirming = True
            self.warnings.setText("This plan breaks a limit:\n" +
                                  "\n".join(f"• {w}" for w in exc.warnings) +
                                  "\nChange it, or press “Schedule anyway”.")
            self.warnings.show()
            self.schedule_button.setText("Schedule anyway")
            return
        self.message.setText(person_message(exc))
