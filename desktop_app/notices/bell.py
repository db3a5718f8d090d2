"""The bell in the main window: the user's unread notifications as a count; the list opens
below it, each item marked read and opened in its screen (the student, the follow-ups, the
conflicts) with one click.

The desk makes the notifications itself (institute_core/notices/notifications.py) when the
window opens and after each sync, on the database worker.
"""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.theme import icon
from desktop_app.widgets import styled_label, table_view
from institute_core.notices import notifications as core
from institute_core.notices.notifications import Notification
from institute_core.validation import person_message

KIND_WORDS = {"follow_up_due": "Follow-up", "conflict": "Conflict", "at_risk": "At risk",
              "cheque_bounced": "Cheque"}
COLUMNS: list[Column[Notification]] = [
    Column("", lambda n: KIND_WORDS.get(n.kind, n.kind)),
    Column("What", lambda n: n.title, lambda n: None if n.read else "#fff1cc",
           tooltip=lambda n: n.detail or ""),
    Column("Detail", lambda n: n.detail or ""),
]
# Where a notification leads: a section, and (for students) the record.
SECTION_OF = {"follow_up_due": "follow_ups", "conflict": "conflicts", "at_risk": "students",
              "cheque_bounced": "students"}


class Notifications(QObject):
    """Reads and writes the user's notifications on the database worker."""

    sig_changed = Signal(object)  # list[Notification]
    sig_failed = Signal(str)
    sig_written = Signal()  # something was written (sync soon)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.items: list[Notification] = []

    @property
    def unread(self) -> int:
        return sum(not n.read for n in self.items)

    def refresh(self, today: date | None = None) -> None:
        """Make what the desk's data calls for, then reload."""
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user

        def _do_refresh() -> tuple[int, list[Notification]]:
            added = core.refresh(replica, actor, str(user.role), today or date.today())
            return added, core.notifications(replica, user.user_id)
        self._ctx.tasks.run_db(_do_refresh, self._on_refreshed, self._on_failed)

    def mark_read(self, ids: list[uuid.UUID] | None) -> None:
        replica, actor, user_id = self._ctx.replica, self._ctx.actor, self._ctx.user.user_id

        def _do_mark() -> tuple[int, list[Notification]]:
            return core.mark_read(replica, actor, ids), core.notifications(replica, user_id)
        self._ctx.tasks.run_db(_do_mark, self._on_refreshed, self._on_failed)

    def target(self, item: Notification, on_found: object) -> None:
        """Find the record `item` leads to: calls on_found(section id, record id or None)."""
        replica = self._ctx.replica

        def _do_find() -> tuple[str, uuid.UUID | None]:
            with replica.read() as session:
                return (SECTION_OF.get(item.kind, "students"),
                        core.student_of(session, item.record_table, item.record_id))
        self._ctx.tasks.run_db(_do_find, on_found, self._on_failed)  # type: ignore[arg-type]

    def _on_refreshed(self, result: tuple[int, list[Notification]]) -> None:
        written, self.items = result
        if written:
            self.sig_written.emit()
        self.sig_changed.emit(self.items)

    def _on_failed(self, error: BaseException) -> None:
        self.sig_failed.emit(person_message(error))


class BellButton(QToolButton):
    """The toolbar's bell with the unread count."""

    def __init__(self, notifications: Notifications, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bell")
        self.setIcon(icon("bell"))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAccessibleName("Notifications")
        notifications.sig_changed.connect(self._on_changed)
        self._notifications = notifications
        self._on_changed([])

    def _on_changed(self, _items: object) -> None:
        unread = self._notifications.unread
        self.setText(f"Notifications ({unread})" if unread else "Notifications")
        self.setToolTip(f"{unread} unread notification{'s' if unread != 1 else ''}")


class NotificationsPanel(QDialog):
    """The list under the bell: open an item (it is marked read), or mark them all read."""

    sig_open = Signal(str, object)  # section id, record id (None: the section itself)

    def __init__(self, notifications: Notifications, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Notifications")
        self._notifications = notifications
        layout = QVBoxLayout(self)
        self.model: RowsModel[Notification] = RowsModel(COLUMNS, self)
        self.view = table_view()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Notifications")
        self.view.activated.connect(self._on_activated)
        self.view.doubleClicked.connect(self._on_activated)
        layout.addWidget(self.view, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(lambda: self._on_activated(self.view.currentIndex()))
        self.all_read = QPushButton("Mark all read")
        self.all_read.clicked.connect(lambda: notifications.mark_read(None))
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.all_read, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        notifications.sig_changed.connect(self._on_changed)
        notifications.sig_failed.connect(self.message.setText)
        self._on_changed(notifications.items)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(em * 48, em * 24)

    def _on_changed(self, items: list[Notification]) -> None:
        self.model.set_rows(items)
        self.message.setText("" if items else "Nothing needs your attention.")
        self.all_read.setEnabled(any(not n.read for n in items))

    def _on_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        item = self.model.row_at(index.row())
        if not item.read:
            self._notifications.mark_read([item.id])
        self._notifications.target(item, self._on_target)

    def _on_target(self, found: tuple[str, uuid.UUID | None]) -> None:
        section, record = found
        self.sig_open.emit(section, record)
