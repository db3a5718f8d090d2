"""The status bar's sync panel: online/offline, waiting changes, last sync, conflicts."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop_app.shell.sync_controller import SyncStatus
from desktop_app.theme import icon


def _ago(when: datetime | None) -> str:
    if when is None:
        return "never"
    now = datetime.now(when.tzinfo)
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    return when.astimezone().strftime("%d %b %H:%M")


class SyncStatusPanel(QWidget):
    """Four labels fed by `SyncController.sig_status_changed`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.light = QLabel()
        self.online = QLabel()
        self.pending = QLabel()
        self.last = QLabel()
        self.conflicts = QLabel()
        self.message = QLabel()
        for label in (self.light, self.online, self.pending, self.last, self.conflicts,
                      self.message):
            layout.addWidget(label)
        layout.addStretch(1)

    def show_status(self, status: SyncStatus) -> None:
        if not status.configured:
            state, lit = "Standalone (no sync server)", False
        elif status.running:
            state, lit = "Syncing…", True
        elif status.online is None:
            state, lit = "Connecting…", False
        else:
            state, lit = ("Online" if status.online else "Offline"), bool(status.online)
        self.light.setPixmap(icon("online" if lit else "offline").pixmap(12, 12))
        self.online.setText(state)
        self.pending.setText(f"{status.pending} change{'s' if status.pending != 1 else ''} "
                             "waiting to sync")
        self.last.setText(f"Last sync: {_ago(status.last_success)}")
        self.conflicts.setText(f"{status.conflicts} conflict"
                               f"{'s' if status.conflicts != 1 else ''} to review")
        self.conflicts.setStyleSheet("color: #a4282b; font-weight: 600;"
                                     if status.conflicts else "")
        self.message.setText(status.message)
