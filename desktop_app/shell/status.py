"""The status bar's sync panel: online/offline, waiting changes, last sync, conflicts, and in red
a sync the server keeps failing."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop_app.shell.sync_controller import SyncStatus
from desktop_app.theme import ALARM_STYLE, icon
from institute_core.display import short_moment


def _ago(when: datetime | None) -> str:
    if when is None:
        return "never"
    now = datetime.now(when.tzinfo)
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    return short_moment(when)


class SyncStatusPanel(QWidget):
    """Four labels fed by `SyncController.sig_status_changed`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._spacing = layout.spacing()
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
        self._failing: tuple[str, str] | None = None  # (whole line, short line)

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
        self.conflicts.setStyleSheet(ALARM_STYLE if status.conflicts else "")
        if status.failing:
            # Every later edit waits behind it: say it in red until a sync gets through.
            self._failing = (status.failing, status.failing_short or status.failing)
            self.message.setStyleSheet(ALARM_STYLE)
            self.message.setToolTip(f"{status.failing}. {_failing_hint(status.retry_in_ms)}")
            self._fit_failing()
        else:
            self._failing = None
            self.message.setText(status.message)
            self.message.setStyleSheet("")
            self.message.setToolTip("")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_failing()

    def _fit_failing(self) -> None:
        """The whole failing line where it fits, else the short one: a clipped line would
        lose the reference, the part the administrator needs."""
        if self._failing is None:
            return
        whole, short = self._failing
        self.message.ensurePolished()  # measured in the bold of its style sheet
        before = (self.light, self.online, self.pending, self.last, self.conflicts)
        # From the labels' own sizes: their places are laid out only later.
        room = self.width() - sum(label.sizeHint().width() + self._spacing for label in before)
        fits = self.message.fontMetrics().horizontalAdvance(whole) <= room
        self.message.setText(whole if fits else short)


def _failing_hint(retry_in_ms: int | None) -> str:
    when = "" if retry_in_ms is None else \
        f" The next try is in about {max(1, round(retry_in_ms / 1000))} s."
    return ("Your changes are kept on this desk and upload once the server takes them; it is "
            f"tried again by itself.{when} Give the reference to your administrator: it finds "
            "the failure in the server's log.")
