"""The Enroll dialog: confirm the person and a faculty member per subject, then one save makes
the user, the student and the enrollments (or nothing, with the reason)."""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.widgets import ask, date_field, styled_label
from institute_core.crm.conversion import (
    EnrollPlan,
    FacultySuggestion,
    enroll_inquiry,
    faculty_suggestions,
)
from institute_core.crm.inquiries import NeedsConfirmation
from institute_core.crm.listing import CrmChoices, InquiryRow
from institute_core.validation import InvalidInput


def split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return name.strip(), ""
    return " ".join(parts[:-1]), parts[-1]


class EnrollDialog(QDialog):
    """Turn an inquiry into an enrolled student."""

    sig_enrolled = Signal(object)  # the new student's id

    def __init__(self, ctx: AppContext, row: InquiryRow, choices: CrmChoices,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._row = row
        self.setWindowTitle(f"Enroll {row.name}")
        self.resize(760, 540)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        first, last = split_name(row.name)
        self.first_name = QLineEdit(first)
        self.last_name = QLineEdit(last)
        self.email = QLineEdit(row.email)
        self.email.setPlaceholderText("required: the student signs in with it")
        self.phone = QLineEdit(row.phone)
        self.admission = date_field(QDate.currentDate())
        self.admission.setCalendarPopup(True)
        form.addRow("First name", self.first_name)
        form.addRow("Last name", self.last_name)
        form.addRow("Email", self.email)
        form.addRow("Phone", self.phone)
        form.addRow("Admission date", self.admission)
        layout.addLayout(form)
        layout.addWidget(styled_label("Subjects and faculty (suggested: specialists first, "
                                      "then the least loaded)", "subtitle"))
        grid_host = QWidget()
        self.grid = QGridLayout(grid_host)
        self.grid.setColumnStretch(1, 1)
        self.picks: dict[uuid.UUID, tuple[QCheckBox, QComboBox]] = {}
        # The subjects the person asked about come first, already ticked.
        subjects = sorted(choices.subjects, key=lambda s: s[0] not in row.subject_ids)
        for n, (subject_id, name) in enumerate(subjects):
            check = QCheckBox(name)
            check.setChecked(subject_id in row.subject_ids)
            combo = QComboBox()
            combo.setMinimumWidth(320)
            # A suggestion says who, how specialised and how loaded: at 150 % it needs the room.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.addItem("loading suggestions…", None)
            self.grid.addWidget(check, n, 0)
            self.grid.addWidget(combo, n, 1)
            self.picks[subject_id] = (check, combo)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_host)
        layout.addWidget(scroll, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.enroll_button = QPushButton("Enroll")
        self.enroll_button.setObjectName("primary")
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.enroll_button)
        layout.addLayout(buttons)
        self.cancel_button.clicked.connect(self.reject)
        self.enroll_button.clicked.connect(lambda: self.enroll())
        self.enroll_button.setEnabled(False)
        replica, user_id, subject_ids = ctx.replica, ctx.user.user_id, list(self.picks)
        ctx.tasks.run_db(lambda: faculty_suggestions(replica, user_id, subject_ids),
                         self._on_suggestions, self._on_failed)

    def _on_suggestions(self, suggestions: dict[uuid.UUID, list[FacultySuggestion]]) -> None:
        for subject_id, (_check, combo) in self.picks.items():
            combo.clear()
            for s in suggestions.get(subject_id, []):
                combo.addItem(s.describe(), s.faculty_id)
            if combo.count() == 0:
                combo.addItem("no active faculty", None)
        self.enroll_button.setEnabled(True)

    def plan(self) -> EnrollPlan:
        chosen = {subject_id: combo.currentData()
                  for subject_id, (check, combo) in self.picks.items()
                  if check.isChecked() and combo.currentData() is not None}
        qd = self.admission.date()
        return EnrollPlan(self.first_name.text(), self.last_name.text(), self.email.text(),
                          self.phone.text() or None, chosen,
                          date(qd.year(), qd.month(), qd.day()))

    def enroll(self, confirmed: bool = False) -> None:
        plan = self.plan()
        replica, actor, inquiry_id = self._ctx.replica, self._ctx.actor, self._row.id
        self.message.setText("")
        self.enroll_button.setEnabled(False)
        self._ctx.tasks.run_db(
            lambda: enroll_inquiry(replica, actor, inquiry_id, plan, confirmed=confirmed),
            self._on_enrolled, self._on_failed)

    def _on_enrolled(self, student_id: uuid.UUID) -> None:
        self.sig_enrolled.emit(student_id)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.enroll_button.setEnabled(True)
        if isinstance(exc, NeedsConfirmation):
            if ask(self, "Enroll a lost inquiry?", str(exc), "Enroll anyway"):
                self.enroll(confirmed=True)
            return
        if isinstance(exc, InvalidInput):
            self.message.setText(f"Not enrolled – {exc.field or exc.table} {exc.message}. "
                                 "Nothing was saved.")
            return
        self.message.setText(f"Not enrolled: {exc}. Nothing was saved.")



