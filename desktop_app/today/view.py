"""Today: the faculty's sessions in time order, and what each student should learn next."""

from __future__ import annotations

from datetime import date
from operator import attrgetter

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.attendance.view import AttendanceView
from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.theme import icon
from desktop_app.today.reschedule_dialog import RescheduleDialog
from desktop_app.today.schedule_dialog import ScheduleDialog
from desktop_app.widgets import ask, styled_label, table_view, title_label
from institute_core.display import long_date, time_text, weekday_date
from institute_core.enums import SessionStatus
from institute_core.services import sessions
from institute_core.services.common import SessionKind
from institute_core.services.sessions import Scheduled
from institute_core.services.today import StudentDue, TodaySession, today_sessions
from institute_core.validation import person_message


def _when(s: TodaySession) -> str:
    if s.start is None:
        return "—"
    return f"{time_text(s.start)}–{time_text(s.end)}" if s.end else f"{time_text(s.start)}"


def _marked(s: TodaySession) -> str:
    return f"{s.marked}/{len(s.students)}"


SESSION_COLUMNS: list[Column[TodaySession]] = [
    Column("Time", _when),
    Column("Session", lambda s: s.title),
    Column("Kind", lambda s: "Batch" if s.is_batch else "Individual"),
    Column("Subject", lambda s: s.subject_name),
    Column("Where", lambda s: s.location or ""),
    Column("Marked", _marked, lambda s: "#dff3e4" if s.students and s.marked ==
           len(s.students) else None, align_right=True),
    Column("Status", lambda s: s.status.replace("_", " ")),
]

STUDENT_COLUMNS: list[Column[StudentDue]] = [
    Column("Enrollment", lambda d: d.enrollment_no),
    Column("Student", lambda d: d.name),
    Column("Next topics", lambda d: ", ".join(t.name for t in d.next_topics) or "—"),
    Column("Missed while absent", lambda d: ", ".join(t.name for t in d.missed_topics),
           lambda d: "#f9dcdc" if d.missed_topics else None),
]


class TodayView(QWidget):
    """The faculty's home: today's sessions; Enter opens quick attendance for one."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 on: date | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._on = on
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.stack.addWidget(self._list_page())
        self.attendance = AttendanceView(ctx)
        self.attendance.sig_back.connect(self._on_back)
        self.attendance.sig_saved.connect(self.sig_saved)
        self.stack.addWidget(self.attendance)
        self.refresh()

    @property
    def day(self) -> date:
        return self._on or date.today()

    def _list_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        head = QHBoxLayout()
        self.title = title_label("Today")
        head.addWidget(self.title, 1)
        self.branch = BranchPicker(self._ctx)
        head.addWidget(self.branch)
        self.schedule_button = QPushButton("Schedule…")
        self.schedule_button.setToolTip("Schedule an individual session or an extra batch "
                                         "meeting (Ctrl+N)")
        self.schedule_button.setShortcut(QKeySequence("Ctrl+N"))
        self.schedule_button.clicked.connect(self.open_schedule)
        self.reschedule_button = QPushButton("Reschedule…")
        self.reschedule_button.setToolTip("Move this individual session to another day or time")
        self.reschedule_button.clicked.connect(self.open_reschedule)
        self.cancel_button = QPushButton("Cancel session")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.no_show_button = QPushButton("No-show")
        self.no_show_button.setToolTip("The student of this individual session did not come")
        self.no_show_button.clicked.connect(self.no_show_selected)
        self.take_button = QPushButton(icon("attendance"), "Take attendance")
        self.take_button.setObjectName("primary")
        self.take_button.clicked.connect(self.open_selected)
        for button in (self.schedule_button, self.reschedule_button, self.cancel_button,
                       self.no_show_button, self.take_button):
            head.addWidget(button)
        layout.addLayout(head)
        self.message = styled_label("", "message")
        self.message.hide()
        layout.addWidget(self.message)
        self.subtitle = styled_label("", "subtitle")
        layout.addWidget(self.subtitle)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.sessions_model: RowsModel[TodaySession] = RowsModel(SESSION_COLUMNS, self)
        self.sessions = table_view()
        self.sessions.setModel(self.sessions_model)
        self.sessions.setAccessibleName("Today's sessions")
        self.branch.filter_rows(self.sessions_model, attrgetter("branch_id"),
                                after=self._on_branch_filtered)
        self.sessions.doubleClicked.connect(self.open_selected)
        self.sessions.selectionModel().currentRowChanged.connect(self._on_session_changed)
        # Return and the keypad's Enter are different keys to Qt; a faculty uses either.
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            enter = QShortcut(QKeySequence(key), self.sessions)
            enter.setContext(Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(self.open_selected)
        splitter.addWidget(self.sessions)
        self.students_model: RowsModel[StudentDue] = RowsModel(STUDENT_COLUMNS, self)
        self.students = table_view()
        self.students.setModel(self.students_model)
        self.students.setAccessibleName("Students of the selected session")
        # Topic lists are long ("… Control flow"): the two share the width and wrap onto more
        # lines instead of being cut to "Cont…" (a session has tens of students, so measuring
        # the rows is cheap).
        self.students.setWordWrap(True)
        header = self.students.horizontalHeader()
        for column in (2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.students.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        splitter.addWidget(self.students)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self.empty = styled_label("", "hint")
        layout.addWidget(self.empty)
        return page

    def focus_content(self) -> None:
        """The keyboard goes to what is on screen: the session list, or the roster."""
        if self.stack.currentWidget() is self.attendance:
            self.attendance.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.sessions.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def flush_pending(self) -> None:
        """Save notes still being typed (the window is closing)."""
        self.attendance.flush_notes()

    def refresh(self) -> None:
        """Read today's sessions on the database thread."""
        replica, faculty_id, day = self._ctx.replica, self._ctx.user.faculty_id, self.day

        def _do_load() -> tuple[TodaySession, ...]:
            return today_sessions(replica, faculty_id, day)

        self._ctx.tasks.run_db(_do_load, self._on_loaded)

    def _on_loaded(self, sessions: tuple[TodaySession, ...]) -> None:
        current = self.sessions.currentIndex().row()
        self.sessions_model.set_rows(sessions)
        self._show_counts()
        sessions = tuple(self.sessions_model.rows)  # those of the branch picked
        if sessions:
            self.sessions.setCurrentIndex(self.sessions_model.index(
                min(max(current, 0), len(sessions) - 1), 0))
        else:
            self.students_model.set_rows([])

    def _on_branch_filtered(self) -> None:
        self._show_counts()
        if self.sessions_model.rowCount():
            self.sessions.setCurrentIndex(self.sessions_model.index(0, 0))
        else:
            self.students_model.set_rows([])

    def _show_counts(self) -> None:
        sessions = self.sessions_model.rows
        students = sum(len(s.students) for s in sessions)
        self.subtitle.setText(f"{long_date(self.day)} · {len(sessions)} sessions · "
                              f"{students} students")
        self.empty.setText("" if sessions else "No sessions today.")

    def _on_session_changed(self, *_args: object) -> None:
        session = self.selected()
        if session is not None:
            self.students_model.set_rows(session.students)
        individual = session is not None and not session.is_batch
        open_ = session is not None and session.status == SessionStatus.SCHEDULED.value
        self.cancel_button.setEnabled(open_)
        self.no_show_button.setEnabled(individual and open_)
        # A batch's day is moved by cancelling it and scheduling an extra meeting.
        self.reschedule_button.setEnabled(individual and open_)

    def selected(self) -> TodaySession | None:
        row = self.sessions.currentIndex().row()
        if not 0 <= row < self.sessions_model.rowCount():
            return None
        return self.sessions_model.row_at(row)

    def open_selected(self) -> None:
        session = self.selected()
        if session is not None:
            self.open_attendance(session)

    # --- scheduling ------------------------------------------------------------------------

    def open_schedule(self) -> ScheduleDialog:
        """The scheduling form, with the selected session's student or batch picked."""
        session = self.selected()
        batch_id = session.key.id if session is not None and session.is_batch else None
        student_id = session.students[0].student_id if session is not None \
            and not session.is_batch and session.students else None
        dialog = ScheduleDialog(self._ctx, self.day, self, student_id=student_id,
                                batch_id=batch_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_scheduled.connect(self._on_scheduled)
        dialog.show()
        return dialog

    def _on_scheduled(self, scheduled: Scheduled) -> None:
        note = f" ({'; '.join(scheduled.warnings)})" if scheduled.warnings else ""
        self._say(f"Scheduled for {weekday_date(scheduled.key.on)}{note}")
        self._wrote()

    def open_reschedule(self) -> RescheduleDialog | None:
        """The form moving the selected individual session."""
        session = self.selected()
        if session is None or session.is_batch:
            return None
        dialog = RescheduleDialog(self._ctx, session, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_rescheduled.connect(self._on_rescheduled)
        dialog.show()
        return dialog

    def _on_rescheduled(self, on: date) -> None:
        self._say(f"Rescheduled to {weekday_date(on)}")
        self._wrote()

    def cancel_selected(self) -> None:
        """Cancel the selected session (an individual one, or today's meeting of a batch)."""
        session = self.selected()
        if session is None:
            return
        what = "today's meeting of " + session.title if session.is_batch \
            else "the session with " + session.title
        marked = f" {session.marked} attendance marks stay recorded." if session.marked else ""
        if not self.confirm("Cancel session", f"Cancel {what} ({_when(session)})?{marked}",
                            "Cancel the session"):
            return
        replica, actor, key = self._ctx.replica, self._ctx.actor, session.key
        self._ctx.tasks.run_db(lambda: sessions.cancel(replica, actor, key),
                               lambda _r: self._wrote(), lambda e: self._say(person_message(e)))

    def no_show_selected(self) -> None:
        """The student of the selected individual session did not come."""
        session = self.selected()
        if session is None or session.key.kind is not SessionKind.INDIVIDUAL:
            return
        replica, actor, session_id = self._ctx.replica, self._ctx.actor, session.key.id
        self._ctx.tasks.run_db(lambda: sessions.mark_no_show(replica, actor, session_id),
                               lambda _r: self._wrote(), lambda e: self._say(person_message(e)))

    def confirm(self, title: str, text: str, yes: str) -> bool:
        return ask(self, title, text, yes)

    def _wrote(self) -> None:
        self.sig_saved.emit()
        self.refresh()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def open_attendance(self, session: TodaySession) -> None:
        subtitle = f"{session.subject_name} · {long_date(session.key.on)} · {_when(session)}"
        if session.location:
            subtitle += f" · {session.location}"
        self.stack.setCurrentWidget(self.attendance)
        self.attendance.open_session(session.key, subtitle)

    def _on_back(self) -> None:
        self.stack.setCurrentIndex(0)
        self.sessions.setFocus()
        self.refresh()
