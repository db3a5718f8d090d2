"""The dialog that issues a certificate by hand: which template, to which student (typed to
find among thousands), on which date. It only collects the choice; the view issues it on the
database worker through the certificates service (so the number comes from the desk's series,
with the student's branch code)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop_app.widgets import styled_label
from institute_core.certificates.service import TemplateRow


@dataclass(frozen=True)
class HandIssue:
    template_id: uuid.UUID
    student_id: uuid.UUID
    issued_on: date


class IssueDialog(QDialog):
    """Pick a template, a student and a date; `choice()` says what was picked (None: nothing)."""

    def __init__(self, templates: Sequence[TemplateRow],
                 students: list[tuple[uuid.UUID, str]], chosen: uuid.UUID | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Issue a certificate")
        layout = QVBoxLayout(self)
        layout.addWidget(styled_label(
            "A certificate issued by hand is a fact like any other: it gets the next number of "
            "this desk's series and can afterwards only be revoked.", "hint"))
        form = QFormLayout()
        layout.addLayout(form)
        self.template = QComboBox()
        self.template.setAccessibleName("Template")
        for row in templates:
            if row.draft.is_active:
                self.template.addItem(f"{row.draft.name} – {row.course}", row.id)
                if row.id == chosen:
                    self.template.setCurrentIndex(self.template.count() - 1)
        self.student = QComboBox()
        self.student.setEditable(True)
        self.student.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.student.setAccessibleName("Student")
        for student_id, label in students:
            self.student.addItem(label, student_id)
        completer = QCompleter([label for _id, label in students], self.student)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.student.setCompleter(completer)
        self.student.setCurrentIndex(-1)
        line = self.student.lineEdit()
        if line is not None:
            line.setPlaceholderText("Type a name or enrollment number")
        self.issued_on = QDateEdit(QDate.currentDate())
        self.issued_on.setCalendarPopup(True)
        self.issued_on.setDisplayFormat("dd MMM yyyy")
        form.addRow("Template", self.template)
        form.addRow("Student", self.student)
        form.addRow("Issued on", self.issued_on)
        self.problem = QLabel("")
        self.problem.setObjectName("error")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Issue")
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def _student_id(self) -> uuid.UUID | None:
        """The student whose label was picked or typed exactly (a half-typed name is none)."""
        typed = self.student.currentText().strip()
        for index in range(self.student.count()):
            if self.student.itemText(index) == typed:
                found = self.student.itemData(index)
                return found if isinstance(found, uuid.UUID) else None
        return None

    def choice(self) -> HandIssue | None:
        template, student = self.template.currentData(), self._student_id()
        if not isinstance(template, uuid.UUID) or student is None:
            return None
        picked = self.issued_on.date()
        return HandIssue(template, student, date(picked.year(), picked.month(), picked.day()))

    def _on_accept(self) -> None:
        if self.template.count() == 0:
            self.problem.setText("There is no active template: save one first.")
        elif self.choice() is None:
            self.problem.setText("Choose a student from the list (type to find them).")
        else:
            self.accept()
