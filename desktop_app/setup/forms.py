"""Small forms of the setup tabs: a subject, a topic, a batch (new or existing), a student.

A form stays open with what was typed when the service refuses it, and shows the reason; the
data stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.setup.preferred_schedule import PreferredScheduleEditor
from desktop_app.setup.week_grid import WeekGrid
from desktop_app.widgets import date_field, index_of, save_or_cancel, styled_label
from institute_core.enums import (
    ActiveStatus,
    BatchStatus,
    BatchType,
    LearningStyle,
    StudentStatus,
    SubjectLevel,
    TopicDifficulty,
)
from institute_core.schema import Student
from institute_core.setup.batches import BatchDetail
from institute_core.setup.syllabus import RESOURCE_KINDS, SubjectInfo, TopicInfo
from institute_core.setup.week import Week
from institute_core.validation import person_message


def reason(error: BaseException) -> str:
    """A refusal's reason without the table.field prefix ("would make a cycle: A → B → A")."""
    return str(error).split(": ", 1)[-1]


def show_outcome(label: QLabel, text: str, *, refused: bool = False) -> None:
    """A tab's outcome line: a refusal in the theme's red message style, else a hint."""
    name = "message" if refused else "hint"
    if label.objectName() != name:
        label.setObjectName(name)
        label.style().unpolish(label)
        label.style().polish(label)
    label.setText(text)


def _combo(values: list[str], blank: bool = True) -> QComboBox:
    combo = QComboBox()
    if blank:
        combo.addItem("—", None)
    for value in values:
        combo.addItem(value.replace("_", " "), value)
    return combo


def _spin(low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    return spin


class FormDialog(QDialog):
    """Fields in a form; OK runs `save(values)` on the database thread and closes on success."""

    def __init__(self, ctx: AppContext, title: str,
                 save: Callable[[dict[str, Any]], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._ctx = ctx
        self._save = save
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.error = styled_label("", "message")
        layout.addWidget(self.error)
        self.buttons = save_or_cancel(self, layout, self.submit, self.error)

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def submit(self) -> None:
        values = self.values()
        self.buttons.setEnabled(False)

        def failed(error: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.error.setText(person_message(error))

        def done(_result: object) -> None:
            self.buttons.setEnabled(True)
            self.accept()

        self._ctx.tasks.run_db(lambda: self._save(values), done, failed)


def _text(edit: QLineEdit | QPlainTextEdit) -> str | None:
    """What was typed, trimmed; None for nothing (so a cleared field is stored empty)."""
    value = edit.text() if isinstance(edit, QLineEdit) else edit.toPlainText()
    return value.strip() or None


def _lines(edit: QPlainTextEdit) -> list[str]:
    return [x.strip() for x in edit.toPlainText().splitlines() if x.strip()]


def _short_text_box(placeholder: str, lines: int = 3) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


class SubjectDialog(FormDialog):
    """A new subject, or an existing one after `fill()`."""

    def __init__(self, ctx: AppContext, save: Callable[[dict[str, Any]], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New subject", save, parent)
        self.name, self.code, self.category = QLineEdit(), QLineEdit(), QLineEdit()
        self.description = _short_text_box("what the subject covers")
        self.hours = _spin(1, 2000, 40)
        self.level = _combo([v.value for v in SubjectLevel])
        self.status = _combo([v.value for v in ActiveStatus], blank=False)
        for label, widget in (("Name", self.name), ("Code", self.code),
                              ("Description", self.description),
                              ("Duration (hours)", self.hours), ("Category", self.category),
                              ("Level", self.level), ("Status", self.status)):
            self.form.addRow(label, widget)

    def fill(self, subject: SubjectInfo) -> None:
        """Show an existing subject for editing."""
        self.setWindowTitle(f"Subject {subject.code}")
        self.name.setText(subject.name)
        self.code.setText(subject.code)
        self.description.setPlainText(subject.description or "")
        self.hours.setValue(subject.duration_hours)
        self.category.setText(subject.category or "")
        self.level.setCurrentIndex(max(0, self.level.findData(subject.difficulty_level)))
        self.status.setCurrentIndex(max(0, self.status.findData(subject.status)))

    def values(self) -> dict[str, Any]:
        return {"name": self.name.text().strip(), "code": self.code.text().strip(),
                "description": _text(self.description),
                "duration_hours": self.hours.value(),
                "category": _text(self.category),
                "difficulty_level": self.level.currentData(),
                "status": self.status.currentData()}


RESOURCE_LABELS = {"links": "Links", "files": "Files", "videos": "Videos",
                   "documents": "Documents"}
RESOURCE_HINTS = {"links": "web addresses (https://…), one per line",
                  "files": "file paths on the shared drive, one per line",
                  "videos": "video URLs or file paths, one per line",
                  "documents": "document URLs or file paths, one per line"}


class TopicDialog(FormDialog):
    """A new topic, or an existing one after `fill()`. Resources keep their kind: one box
    per kind, one link or file path per line."""

    def __init__(self, ctx: AppContext, save: Callable[[dict[str, Any]], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New topic", save, parent)
        self.name = QLineEdit()
        self.description = _short_text_box("what the topic covers", 2)
        self.minutes = _spin(5, 1440, 60)
        self.difficulty = _combo([v.value for v in TopicDifficulty])
        self.objectives = _short_text_box("one learning objective per line", 4)
        self.resources = {kind: _short_text_box(RESOURCE_HINTS[kind], 2)
                          for kind in RESOURCE_KINDS}
        for label, widget in (("Name", self.name), ("Description", self.description),
                              ("Minutes", self.minutes), ("Difficulty", self.difficulty),
                              ("Objectives", self.objectives)):
            self.form.addRow(label, widget)
        for kind in RESOURCE_KINDS:
            self.form.addRow(RESOURCE_LABELS[kind], self.resources[kind])

    @property
    def links(self) -> QPlainTextEdit:
        return self.resources["links"]

    def fill(self, topic: TopicInfo) -> None:
        """Show an existing topic for editing."""
        self.setWindowTitle(f"Topic: {topic.name}")
        self.name.setText(topic.name)
        self.description.setPlainText(topic.description or "")
        self.minutes.setValue(topic.estimated_duration_minutes)
        self.difficulty.setCurrentIndex(max(0, self.difficulty.findData(topic.difficulty_level)))
        self.objectives.setPlainText("\n".join(topic.learning_objectives or []))
        stored = topic.resources or {}
        for kind, box in self.resources.items():
            box.setPlainText("\n".join(stored.get(kind, [])))

    def values(self) -> dict[str, Any]:
        return {"name": self.name.text().strip(),
                "description": _text(self.description),
                "estimated_duration_minutes": self.minutes.value(),
                "difficulty_level": self.difficulty.currentData(),
                "learning_objectives": _lines(self.objectives) or None,
                "resources": {kind: _lines(box) for kind, box in self.resources.items()}}


# A date box cannot be empty: its first date stands for "not given".
NO_BIRTH_DATE = date(1900, 1, 1)


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


class BatchDialog(FormDialog):
    """A new batch, or an existing one after `fill()`: subject, faculty, dates, the weekly
    schedule on the week grid, capacity (never below the students already in it)."""

    def __init__(self, ctx: AppContext, save: Callable[[dict[str, Any]], object],
                 subjects: list[tuple[Any, str]], faculty: list[tuple[Any, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New batch", save, parent)
        self.name = QLineEdit()
        self.subject, self.faculty = QComboBox(), QComboBox()
        for combo, items in ((self.subject, subjects), (self.faculty, faculty)):
            for key, label in items:
                combo.addItem(label, key)
        self.kind = _combo([v.value for v in BatchType], blank=False)
        self.status = _combo([v.value for v in BatchStatus], blank=False)
        self.start, self.end = date_field(_qdate(date.today())), date_field(_qdate(date.today()))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
        self.open_ended = QCheckBox("no end date")
        self.open_ended.toggled.connect(lambda on: self.end.setEnabled(not on))
        ends = QWidget()
        ends_row = QHBoxLayout(ends)
        ends_row.setContentsMargins(0, 0, 0, 0)
        ends_row.addWidget(self.end, 1)
        ends_row.addWidget(self.open_ended)
        self.capacity = _spin(1, 500, 20)
        self.location = QLineEdit()
        self.week = WeekGrid()
        self.week.setMinimumHeight(260)
        self.week.setAccessibleName("Weekly schedule")
        self.schedule_note = styled_label("", "hint")
        self.schedule_note.hide()
        for label, widget in (("Name", self.name), ("Subject", self.subject),
                              ("Faculty", self.faculty), ("Type", self.kind),
                              ("Status", self.status),
                              ("Starts", self.start), ("Ends", ends),
                              ("Capacity", self.capacity), ("Location", self.location),
                              ("Meets", self.week)):
            self.form.addRow(label, widget)
        self.form.addRow(self.schedule_note)
        # An edited batch: the schedule as stored, and as the grid showed it when filled.
        self._stored_schedule: dict[str, Any] = {}
        self._filled_weekly: list[dict[str, str]] | None = None

    def fill(self, batch: BatchDetail) -> None:
        """Show an existing batch for editing."""
        self.setWindowTitle(f"Batch: {batch.name}")
        self.name.setText(batch.name)
        self.subject.setCurrentIndex(max(0, index_of(self.subject, batch.subject_id)))
        if index_of(self.faculty, batch.faculty_id) < 0:
            # Inactive or on leave now, so not offered for new batches; keep them possible.
            self.faculty.addItem(f"{batch.faculty_label} – not active", batch.faculty_id)
        self.faculty.setCurrentIndex(index_of(self.faculty, batch.faculty_id))
        self.kind.setCurrentIndex(max(0, self.kind.findData(batch.batch_type)))
        self.status.setCurrentIndex(max(0, self.status.findData(batch.status)))
        self.start.setDate(_qdate(batch.start_date))
        if batch.end_date is not None:
            self.end.setDate(_qdate(batch.end_date))
        self.open_ended.setChecked(batch.end_date is None)
        if batch.max_students is not None:
            self.capacity.setValue(batch.max_students)
        self.capacity.setToolTip(f"{batch.members} students are in the batch now")
        schedule = dict(batch.schedule or {})
        self._stored_schedule = schedule
        self.location.setText(str(schedule.get("location") or ""))
        weekly = schedule.get("weekly") or []
        grid_week = Week.from_weekly(weekly)
        self.week.set_week(grid_week)
        self._filled_weekly = self.week.week().to_weekly()
        if self._filled_weekly != grid_week.to_weekly():
            # The grid shows 07:00–21:00 in half hours; a time it cannot show is kept as it
            # is unless the grid is changed.
            self.schedule_note.setText("Some meeting times do not fit the grid (07:00–21:00 "
                                       "in half hours); they stay as they are unless you "
                                       "change the grid.")
            self.schedule_note.show()

    def _weekly(self) -> list[dict[str, Any]]:
        weekly = self.week.week().to_weekly()
        if self._filled_weekly is not None and weekly == self._filled_weekly:
            return list(self._stored_schedule.get("weekly") or [])  # untouched: as stored
        return weekly

    def values(self) -> dict[str, Any]:
        schedule = {**self._stored_schedule, "weekly": self._weekly(),
                    "location": _text(self.location)}
        return {"name": self.name.text().strip(), "subject_id": self.subject.currentData(),
                "faculty_id": self.faculty.currentData(), "batch_type": self.kind.currentData(),
                "status": self.status.currentData(),
                "start_date": self.start.date().toPython(),
                "end_date": None if self.open_ended.isChecked() else self.end.date().toPython(),
                "max_students": self.capacity.value(),
                "schedule": schedule}


class StudentDialog(FormDialog):
    """A student's profile: contact in an emergency, counselor, learning style, status."""

    def __init__(self, ctx: AppContext, save: Callable[[dict[str, Any]], object],
                 student: Student, counselors: list[tuple[Any, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"Student {student.enrollment_no}", save, parent)
        # The whole student record, not only its second half: number, dates, then contact.
        # (Name, phone and e-mail are the person's account: People tab.)
        self.enrollment_no = QLineEdit(student.enrollment_no)
        self.admission = date_field(_qdate(student.admission_date))
        self.birth = date_field(_qdate(student.date_of_birth or NO_BIRTH_DATE))
        self.birth.setMinimumDate(_qdate(NO_BIRTH_DATE))
        self.birth.setSpecialValueText("not given")  # shown at the minimum date
        self.address = QLineEdit(student.address or "")
        self.emergency_name = QLineEdit(student.emergency_contact_name or "")
        self.emergency_phone = QLineEdit(student.emergency_contact_phone or "")
        self.counselor = QComboBox()
        self.counselor.addItem("—", None)
        for key, label in counselors:
            self.counselor.addItem(label, key)
        self.counselor.setCurrentIndex(max(0, index_of(self.counselor, student.counselor_id)))
        self.learning = _combo([v.value for v in LearningStyle])
        self.learning.setCurrentIndex(max(0, self.learning.findData(student.learning_style)))
        self.status = _combo([v.value for v in StudentStatus], blank=False)
        self.status.setCurrentIndex(max(0, self.status.findData(student.status)))
        self.preferred = PreferredScheduleEditor()
        self.preferred.set_value(student.preferred_schedule)
        for label, widget in (("Enrollment number", self.enrollment_no),
                              ("Admitted on", self.admission), ("Date of birth", self.birth),
                              ("Address", self.address),
                              ("Emergency contact", self.emergency_name),
                              ("Emergency phone", self.emergency_phone),
                              ("Counselor", self.counselor), ("Learning style", self.learning),
                              ("Preferred schedule", self.preferred),
                              ("Status", self.status)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        birth = self.birth.date().toPython()
        return {"enrollment_no": self.enrollment_no.text().strip(),
                "admission_date": self.admission.date().toPython(),
                "date_of_birth": None if birth == NO_BIRTH_DATE else birth,
                "address": self.address.text().strip() or None,
                "emergency_contact_name": self.emergency_name.text().strip() or None,
                "emergency_contact_phone": self.emergency_phone.text().strip() or None,
                "counselor_id": self.counselor.currentData(),
                "learning_style": self.learning.currentData(),
                "preferred_schedule": self.preferred.value(),
                "status": self.status.currentData()}
