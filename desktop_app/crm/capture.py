"""The capture form: a walk-in or a call becomes an inquiry in under a minute.

Name and phone are enough. While the counselor types, the person is checked against every
inquiry and student (an in-memory index, microseconds a keystroke) and a match is offered with
"Open it"; "Save anyway" creates a new inquiry regardless.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.widgets import styled_label
from institute_core.crm.duplicates import (
    Contact,
    ContactKind,
    DuplicateIndex,
    DuplicateMatch,
)
from institute_core.crm.inquiries import (
    DuplicateFound,
    InquiryDraft,
    create_inquiry,
)
from institute_core.crm.listing import CrmChoices
from institute_core.crm.phones import PhoneProblem, normalize_phone, try_normalize
from institute_core.enums import InquirySource, InquiryStatus, Priority
from institute_core.validation import InvalidInput, not_saved, person_message


def describe_match(match: DuplicateMatch) -> str:
    c = match.contact
    what = "student" if c.kind == ContactKind.STUDENT else f"inquiry, {c.status.replace('_', ' ')}"
    contact = " · ".join(x for x in (c.phone, c.email or "") if x)
    return f"{', '.join(match.reasons).capitalize()}: {c.name} ({what}) {contact}"


class CaptureForm(QWidget):
    """New inquiry: fields, live duplicate check, save / save anyway."""

    sig_saved = Signal(object)  # the new inquiry's id
    sig_open_contact = Signal(object)  # a Contact the counselor chose to open instead

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.index = DuplicateIndex()
        self.matches: list[DuplicateMatch] = []
        layout = QVBoxLayout(self)
        layout.addWidget(styled_label("New inquiry", "counts"))
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("Full name (required)")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("e.g. 98765 43210 or +44 20 7946 0958")
        self.email = QLineEdit()
        self.email.setPlaceholderText("optional")
        self.source = QComboBox()
        self.source.addItem("—", "")
        for s in InquirySource:
            self.source.addItem(s.value.replace("_", " ").capitalize(), s.value)
        self.priority = QComboBox()
        for p in Priority:
            self.priority.addItem(p.value.capitalize(), p.value)
        self.priority.setCurrentIndex(list(Priority).index(Priority.MEDIUM))
        self.subjects = QListWidget()
        self.subjects.setMaximumHeight(90)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("comma separated, e.g. weekend, working")
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(60)
        # Tab moves on to the buttons; a tab character in a note helps nobody.
        self.notes.setTabChangesFocus(True)
        form.addRow("&Name", self.name)
        form.addRow("&Phone", self.phone)
        self.phone_hint = styled_label("", "hint")
        form.addRow("", self.phone_hint)
        form.addRow("E&mail", self.email)
        form.addRow("&Source", self.source)
        form.addRow("P&riority", self.priority)
        form.addRow("Subjects", self.subjects)
        form.addRow("&Tags", self.tags)
        form.addRow("N&otes", self.notes)
        layout.addLayout(form)
        self.known_title = styled_label("", "message")
        self.known = QListWidget()
        self.known.setMaximumHeight(80)
        self.known.setWordWrap(True)
        # Both are reachable while typing, by the keys their labels show.
        self.open_known = QPushButton("Open it (Alt+I)")
        self.open_known.setToolTip("Open the existing record instead (Alt+I or Ctrl+O)")
        known_row = QHBoxLayout()
        known_row.addWidget(self.known, 1)
        known_row.addWidget(self.open_known, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.known_title)
        layout.addLayout(known_row)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save inquiry")
        self.save_button.setObjectName("primary")
        self.save_anyway = QPushButton("Save anyway (Alt+A)")
        self.save_anyway.setToolTip("Save a new inquiry although the person looks known "
                                    "(Alt+A or Ctrl+Shift+Return)")
        self.clear_button = QPushButton("Clear")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.save_anyway)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        for edit in (self.name, self.phone, self.email):
            edit.textChanged.connect(self._on_contact_changed)
            edit.returnPressed.connect(self.save)
        self.save_button.clicked.connect(self.save)
        self.save_anyway.clicked.connect(lambda: self.save(anyway=True))
        self.clear_button.clicked.connect(self.clear)
        self.open_known.clicked.connect(self._on_open_known)
        self.known.itemActivated.connect(lambda _item: self._on_open_known())
        save_keys = QShortcut(QKeySequence("Ctrl+Return"), self)
        save_keys.activated.connect(self.save)
        for keys in ("Alt+A", "Ctrl+Shift+Return"):
            QShortcut(QKeySequence(keys), self).activated.connect(self._save_anyway_if_offered)
        for keys in ("Alt+I", "Ctrl+O"):
            QShortcut(QKeySequence(keys), self).activated.connect(self._open_known_if_offered)
        self._show_matches([])

    # --- data --------------------------------------------------------------------------------

    def set_index(self, index: DuplicateIndex) -> None:
        self.index = index
        self._on_contact_changed()

    def set_choices(self, choices: CrmChoices) -> None:
        self.subjects.clear()
        for subject_id, name in choices.subjects:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, subject_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.subjects.addItem(item)

    def draft(self) -> InquiryDraft:
        subject_ids = tuple(
            self.subjects.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.subjects.count())
            if self.subjects.item(i).checkState() == Qt.CheckState.Checked)
        return InquiryDraft(
            name=self.name.text(), phone=self.phone.text(), email=self.email.text(),
            source=self.source.currentData() or None, priority=self.priority.currentData(),
            notes=self.notes.toPlainText(), tags=tuple(self.tags.text().split(",")),
            subject_ids=subject_ids)

    # --- live checks -------------------------------------------------------------------------

    def _on_contact_changed(self) -> None:
        phone = self.phone.text().strip()
        hint = ""
        if phone:
            try:
                hint = f"compared as {normalize_phone(phone, self.index.country)}"
            except PhoneProblem as exc:
                hint = f"Phone {exc}"
        self.phone_hint.setText(hint)
        self._show_matches(self.index.check(self.name.text(), phone, self.email.text()))

    def _show_matches(self, matches: list[DuplicateMatch]) -> None:
        self.matches = matches
        self.known.clear()
        for match in matches[:5]:
            self.known.addItem(describe_match(match))
        if matches:
            self.known.setCurrentRow(0)
        shown = bool(matches)
        self.known_title.setText("Already known? Open the existing record instead of a new one."
                                 if shown else "")
        for w in (self.known, self.open_known, self.save_anyway, self.known_title):
            w.setVisible(shown)

    def _save_anyway_if_offered(self) -> None:
        if self.save_anyway.isVisible():
            self.save(anyway=True)

    def _open_known_if_offered(self) -> None:
        if self.open_known.isVisible():
            self._on_open_known()

    def _on_open_known(self) -> None:
        row = self.known.currentRow()
        if 0 <= row < len(self.matches):
            self.sig_open_contact.emit(self.matches[row].contact)

    # --- saving ------------------------------------------------------------------------------

    def save(self, anyway: bool = False) -> None:
        draft = self.draft()
        replica, actor = self._ctx.replica, self._ctx.actor
        self.message.setText("")
        self.save_button.setEnabled(False)
        self._ctx.tasks.run_db(
            lambda: create_inquiry(replica, actor, draft, allow_duplicate=anyway),
            lambda new_id: self._on_saved(new_id, draft), self._on_failed)

    def _on_saved(self, inquiry_id: uuid.UUID, draft: InquiryDraft) -> None:
        self.save_button.setEnabled(True)
        self.index.add(Contact(ContactKind.INQUIRY, inquiry_id, " ".join(draft.name.split()),
                               draft.phone or "", try_normalize(draft.phone, self.index.country),
                               draft.email or None, InquiryStatus.NEW.value))
        self.clear()
        self.message.setText("")
        self.sig_saved.emit(inquiry_id)

    def _on_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, DuplicateFound):
            self._show_matches(list(exc.matches))
            self.message.setText("This person looks known: open the existing record, "
                                 "or Save anyway.")
            return
        if isinstance(exc, InvalidInput):
            self.message.setText(person_message(exc))
            target = {"student_name": self.name, "phone": self.phone,
                      "email": self.email}.get(exc.field or "")
            if target is not None:
                target.setFocus()
            return
        self.message.setText(not_saved(exc))

    def clear(self) -> None:
        for edit in (self.name, self.phone, self.email, self.tags):
            edit.clear()
        self.notes.clear()
        self.source.setCurrentIndex(0)
        self.priority.setCurrentIndex(list(Priority).index(Priority.MEDIUM))
        for i in range(self.subjects.count()):
            self.subjects.item(i).setCheckState(Qt.CheckState.Unchecked)
        self.message.setText("")
        self.name.setFocus()
