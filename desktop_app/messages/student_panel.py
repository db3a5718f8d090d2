"""The student page's "Guardians and messages" tab: who receives the student's messages (add,
change, remove a guardian; their opt-outs, with who recorded them and when), and each message
with what the server did with it (synced back)."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from desktop_app.context import AppContext
from desktop_app.messages.guardian_dialog import GuardianDialog, consent_text
from desktop_app.messages.one_off_dialog import OneOffMessageDialog
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import ask, styled_label, table_view
from institute_core.display import short_moment
from institute_core.messaging.access import SEND
from institute_core.messaging.contacts import (
    GuardianLine,
    MessageLine,
    remove_guardian,
    student_contacts,
)
from institute_core.messaging.one_off_messages import send_to_guardian
from institute_core.validation import person_message

STATUS_COLOURS = {"sent": "#e3f3d8", "delivered": "#bfe8cb", "failed": "#f9dcdc",
                  "blocked": "#f9dcdc", "cancelled": "#eeeeee", "queued": "#fff1cc",
                  "waiting to sync": "#fff1cc"}
GUARDIAN_COLUMNS: list[Column[GuardianLine]] = [
    Column("Guardian", lambda g: g.name + (" (primary)" if g.is_primary else "")),
    Column("Relation", lambda g: g.relation),
    Column("Mobile", lambda g: g.phone),
    Column("Email", lambda g: g.email),
    Column("Prefers", lambda g: g.preferred_channel),
    Column("Language", lambda g: g.language),
    Column("Opted out of", lambda g: ", ".join(g.opted_out),
           lambda g: "#f9dcdc" if g.opted_out else None),
    Column("Recorded", consent_text, tooltip=consent_text),
]
MESSAGE_COLUMNS: list[Column[MessageLine]] = [
    Column("Queued", lambda m: short_moment(m.queued_at)),
    Column("Why", lambda m: m.event.replace("_", " ")),
    Column("By", lambda m: m.channel),
    Column("To", lambda m: m.recipient),
    Column("Text", lambda m: m.body, tooltip=lambda m: m.body),
    Column("Status", lambda m: m.status, lambda m: STATUS_COLOURS.get(m.status)),
    Column("Reason", lambda m: m.reason, tooltip=lambda m: m.reason),
]
# Who keeps a student's guardians (the server's policy decides; this only spares a refusal).
KEEPS_GUARDIANS = ("students.manage", "students.counsel")


class StudentMessagesPanel(QWidget):
    """Guardians above, messages below; read and written on the database worker."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._student_id: uuid.UUID | None = None
        layout = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add guardian…")
        self.edit_button = QPushButton("Change…")
        self.edit_button.setToolTip("Change the selected guardian, or record an opt-out")
        self.remove_button = QPushButton("Remove")
        self.send_button = QPushButton("Send message…")
        self.send_button.setToolTip("A message you type, to the selected guardian")
        self.send_button.setVisible(ctx.user.may(SEND))
        self.message = styled_label("", "message")
        buttons.addWidget(self.message, 1)
        for button in (self.add_button, self.edit_button, self.remove_button,
                       self.send_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        self.guardians: RowsModel[GuardianLine] = RowsModel(GUARDIAN_COLUMNS, self)
        self.messages: RowsModel[MessageLine] = RowsModel(MESSAGE_COLUMNS, self)
        self.guardian_view = table_view()
        self.guardian_view.setModel(self.guardians)
        self.guardian_view.setAccessibleName("Guardians")
        self.guardian_view.doubleClicked.connect(self.edit_selected)
        split.addWidget(self.guardian_view)
        view = table_view()
        view.setModel(self.messages)
        split.addWidget(view)
        split.setSizes([140, 300])
        layout.addWidget(split, 1)
        self._may = any(ctx.user.may(p) for p in KEEPS_GUARDIANS)
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.send_button.clicked.connect(self.message_selected)
        self.guardian_view.selectionModel().currentRowChanged.connect(self._update_buttons)
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        chosen = self.selected() is not None
        self.add_button.setEnabled(self._may and self._student_id is not None)
        self.edit_button.setEnabled(self._may and chosen)
        self.remove_button.setEnabled(self._may and chosen)
        self.send_button.setEnabled(chosen)

    def selected(self) -> GuardianLine | None:
        row = self.guardian_view.currentIndex().row()
        return self.guardians.row_at(row) if 0 <= row < self.guardians.rowCount() else None

    def load(self, student_id: uuid.UUID) -> None:
        self._student_id = student_id
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: student_contacts(replica, student_id), self._on_loaded,
                               lambda e: self.message.setText(person_message(e)))

    def _on_loaded(self, found: tuple[tuple[GuardianLine, ...], tuple[MessageLine, ...]]
                   ) -> None:
        guardians, messages = found
        self.guardians.set_rows(guardians)
        self.messages.set_rows(messages)
        self.message.setText("" if guardians else
                             "No guardian yet: absence alerts cannot reach anyone.")
        self._update_buttons()

    def _open(self, guardian: GuardianLine | None) -> GuardianDialog | None:
        if self._student_id is None:
            return None
        dialog = GuardianDialog(self._ctx, self._student_id, self, guardian)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_saved.connect(self._on_saved)
        dialog.show()
        return dialog

    def message_selected(self) -> OneOffMessageDialog | None:
        """A typed message to the selected guardian, on their preferred channel by default;
        once queued it is listed below with what the server does with it."""
        guardian = self.selected()
        if guardian is None:
            return None
        replica, actor = self._ctx.replica, self._ctx.actor
        dialog = OneOffMessageDialog(
            self._ctx, guardian.name, guardian.phone, guardian.email,
            lambda channel, text, subject: send_to_guardian(replica, actor, guardian.id,
                                                            channel, text, subject),
            channel=guardian.preferred_channel, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_sent.connect(self._on_saved)
        dialog.show()
        return dialog

    def add(self) -> GuardianDialog | None:
        """The form for a new guardian of this student."""
        return self._open(None)

    def edit_selected(self, *_args: object) -> GuardianDialog | None:
        """The form with the selected guardian (and their opt-outs)."""
        guardian = self.selected()
        return self._open(guardian) if guardian is not None and self._may else None

    def _on_saved(self, _guardian_id: uuid.UUID) -> None:
        if self._student_id is not None:
            self.load(self._student_id)

    def confirm(self, title: str, text: str, yes: str) -> bool:
        return ask(self, title, text, yes)

    def remove_selected(self) -> None:
        guardian = self.selected()
        if guardian is None or not self.confirm(
                "Remove guardian", f"Remove {guardian.name}? Messages already sent stay in the "
                "list.", "Remove the guardian"):
            return
        replica, actor, guardian_id = self._ctx.replica, self._ctx.actor, guardian.id
        self._ctx.tasks.run_db(lambda: remove_guardian(replica, actor, guardian_id),
                               lambda _r: self._on_saved(guardian_id),
                               lambda e: self.message.setText(person_message(e)))
