"""Moving an individual session to another day or time, from Today.

The move is saved through `sessions.reschedule`, which (in the same unit of work) queues the
"session rescheduled" message to the student's guardian when that trigger is on. A refusal
names the field and keeps what was typed.
"""

from __future__ import annotations

from datetime import date, time

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.today.schedule_dialog import _date, _time
from desktop_app.widgets import close_and_act, date_field, styled_label, title_label
from institute_core.display import weekday_date
from institute_core.services import sessions
from institute_core.services.today import TodaySession
from institute_core.validation import person_message


class RescheduleDialog(QDialog):
    """Emits `sig_rescheduled(new day)` and closes once the session is moved."""

    sig_rescheduled = Signal(object)

    def __init__(self, ctx: AppContext, session: TodaySession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._session = ctx, session
        self.setWindowTitle("Reschedule the session")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 30)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Reschedule the session"))
        layout.addWidget(styled_label(
            f"{session.title} · {session.subject_name} · {weekday_date(session.key.on)}",
            "subtitle"))
        form = QFormLayout()
        on = session.key.on
        self.on = date_field(QDate(on.year, on.month, on.day))
        self.on.setCalendarPopup(True)
        self.on.setDisplayFormat("ddd dd MMM yyyy")
        start, end = session.start or time(10), session.end or time(11)
        self.start = QTimeEdit(QTime(start.hour, start.minute))
        self.end = QTimeEdit(QTime(end.hour, end.minute))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        for label, widget in (("New date", self.on), ("Starts", self.start),
                              ("Ends", self.end)):
            form.addRow(label, widget)
        layout.addLayout(form)
        layout.addWidget(styled_label("The guardian is told of the new time when the "
                                      "“session rescheduled” message is switched on.", "hint"))
        self.message = styled_label("", "message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons, self.save_button = close_and_act(self, "Reschedule")
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save)

    def save(self) -> None:
        """Move the session on the database thread."""
        replica, actor = self._ctx.replica, self._ctx.actor
        session_id = self._session.key.id
        on, start, end = _date(self.on), _time(self.start), _time(self.end)
        self.save_button.setEnabled(False)

        def _do_move() -> date:
            sessions.reschedule(replica, actor, session_id, on=on, start=start, end=end)
            return on

        self._ctx.tasks.run_db(_do_move, self._on_moved, self._on_refused)

    def _on_moved(self, on: date) -> None:
        self.sig_rescheduled.emit(on)
        self.accept()

    def _on_refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.setText(person_message(error))
        self.adjustSize()
