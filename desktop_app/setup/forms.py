"""Small forms of the setup tabs: new subject, new topic, new batch.

A form stays open with what was typed when the service refuses it, and shows the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.setup.week_grid import WeekGrid
from desktop_app.widgets import index_of, styled_label
from institute_core.enums import (
    BatchType,
    LearningStyle,
    StudentStatus,
    SubjectLevel,
    TopicDifficulty,
)
from institute_core.schema import Student, Topic


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
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def submit(self) -> None:
        values = self.values()
        self.buttons.setEnabled(False)

        def failed(error: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.error.setText(str(error))

        def done(_result: object) -> None:
            self.buttons.setEnabled(True)
            self.accept()

        self._ctx.tasks.run_db(lambda: self._save(values), done, failed)


class SubjectDialog(FormDialog):
    def __init__(self, ctx: AppContext, save: Callable[[dict[str, Any]], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New subject", save, parent)
        self.name, self.code, self.category = QLineEdit(), QLineEdit(), QLineEdit()
        self.hours = _spin(1, 2000, 40)
        self.level = _combo([v.value for v in SubjectLevel])
        for label, widget in (("Name", self.name), ("Code", self.code),
                              ("Duration (hours)", self.hours), ("Category", self.category),
                              ("Level", self.level)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        return {"name": self.name.text().strip(), "code": self.code.text().strip(),
                "duration_hours": self.hours.value(),
                "category": self.category.text().strip() or None,
                "difficulty_level": self.level.currentData()}


class TopicDialog(FormDialog):
    def __init__(self, ctx: AppContext, save: Callable[[dict[str, Any]], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New topic", save, parent)
        self.name = QLineEdit()
        self.minutes = _spin(5, 1440, 60)
        self.difficulty = _combo([v.value for v in TopicDifficulty])
        self.objectives = QPlainTextEdit()
        self.objectives.setPlaceholderText("one learning objective per line")
        self.links = QPlainTextEdit()
        self.links.setPlaceholderText("links or file paths, one per line")
        for label, widget in (("Name", self.name), ("Minutes", self.minutes),
                              ("Difficulty", self.difficulty), ("Objectives", self.objectives),
                              ("Resources", self.links)):
            self.form.addRow(label, widget)

    def fill(self, topic: Topic) -> None:
        """Show an existing topic for editing."""
        self.setWindowTitle(f"Topic: {topic.name}")
        self.name.setText(topic.name)
        self.minutes.setValue(topic.estimated_duration_minutes)
        self.difficulty.setCurrentIndex(max(0, self.difficulty.findData(topic.difficulty_level)))
        self.objectives.setPlainText("\n".join(topic.learning_objectives or []))
        resources = topic.resources or {}
        self.links.setPlainText("\n".join(x for kind in ("links", "videos", "documents", "files")
                                          for x in resources.get(kind, [])))

    def values(self) -> dict[str, Any]:
        lines = [x.strip() for x in self.links.toPlainText().splitlines() if x.strip()]
        return {"name": self.name.text().strip(),
                "estimated_duration_minutes": self.minutes.value(),
                "difficulty_level": self.difficulty.currentData(),
                "learning_objectives": [x.strip() for x in
                                        self.objectives.toPlainText().splitlines()
                                        if x.strip()] or None,
                "resources": {"links": [x for x in lines if "://" in x],
                              "files": [x for x in lines if "://" not in x]}}


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


class BatchDialog(FormDialog):
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
        self.start, self.end = QDateEdit(_qdate(date.today())), QDateEdit(_qdate(date.today()))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
        self.capacity = _spin(1, 500, 20)
        self.location = QLineEdit()
        self.week = WeekGrid()
        self.week.setMinimumHeight(260)
        for label, widget in (("Name", self.name), ("Subject", self.subject),
                              ("Faculty", self.faculty), ("Type", self.kind),
                              ("Starts", self.start), ("Ends", self.end),
                              ("Capacity", self.capacity), ("Location", self.location),
                              ("Meets", self.week)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        return {"name": self.name.text().strip(), "subject_id": self.subject.currentData(),
                "faculty_id": self.faculty.currentData(), "batch_type": self.kind.currentData(),
                "start_date": self.start.date().toPython(),
                "end_date": self.end.date().toPython(), "max_students": self.capacity.value(),
                "schedule": {"weekly": self.week.week().to_weekly(),
                             "location": self.location.text().strip() or None}}


class StudentDialog(FormDialog):
    """A student's profile: contact in an emergency, counselor, learning style, status."""

    def __init__(self, ctx: AppContext, save: Callable[[dict[str, Any]], object],
                 student: Student, counselors: list[tuple[Any, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"Student {student.enrollment_no}", save, parent)
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
        for label, widget in (("Address", self.address),
                              ("Emergency contact", self.emergency_name),
                              ("Emergency phone", self.emergency_phone),
                              ("Counselor", self.counselor), ("Learning style", self.learning),
                              ("Status", self.status)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        return {"address": self.address.text().strip() or None,
                "emergency_contact_name": self.emergency_name.text().strip() or None,
                "emergency_contact_phone": self.emergency_phone.text().strip() or None,
                "counselor_id": self.counselor.currentData(),
                "learning_style": self.learning.currentData(),
                "status": self.status.currentData()}
