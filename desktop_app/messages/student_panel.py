"""The student page's "Guardians and messages" tab: who receives the student's messages, who
opted out, and each message with what the server did with it (synced back)."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view
from institute_core.display import short_moment
from institute_core.messaging.contacts import GuardianLine, MessageLine, student_contacts
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


class StudentMessagesPanel(QWidget):
    """Guardians above, messages below; read on the database worker."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        layout = QVBoxLayout(self)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Vertical)
        self.guardians: RowsModel[GuardianLine] = RowsModel(GUARDIAN_COLUMNS, self)
        self.messages: RowsModel[MessageLine] = RowsModel(MESSAGE_COLUMNS, self)
        for model in (self.guardians, self.messages):
            view = table_view()
            view.setModel(model)
            split.addWidget(view)
        split.setSizes([120, 300])
        layout.addWidget(split, 1)

    def load(self, student_id: uuid.UUID) -> None:
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
