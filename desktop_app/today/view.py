"""Today: the faculty's sessions in time order, and what each student should learn next."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.attendance.view import AttendanceView
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.theme import icon
from desktop_app.widgets import styled_label, table_view, title_label
from institute_core.services.today import StudentDue, TodaySession, today_sessions


def _when(s: TodaySession) -> str:
    if s.start is None:
        return "—"
    return f"{s.start:%H:%M}–{s.end:%H:%M}" if s.end else f"{s.start:%H:%M}"


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
        self.take_button = QPushButton(icon("attendance"), "Take attendance")
        self.take_button.setObjectName("primary")
        self.take_button.clicked.connect(self.open_selected)
        head.addWidget(self.take_button)
        layout.addLayout(head)
        self.subtitle = styled_label("", "subtitle")
        layout.addWidget(self.subtitle)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.sessions_model: RowsModel[TodaySession] = RowsModel(SESSION_COLUMNS, self)
        self.sessions = table_view()
        self.sessions.setModel(self.sessions_model)
        self.sessions.setAccessibleName("Today's sessions")
        self.sessions.doubleClicked.connect(self.open_selected)
        self.sessions.selectionModel().currentRowChanged.connect(self._on_session_changed)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.sessions)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.open_selected)
        splitter.addWidget(self.sessions)
        self.students_model: RowsModel[StudentDue] = RowsModel(STUDENT_COLUMNS, self)
        self.students = table_view()
        self.students.setModel(self.students_model)
        self.students.setAccessibleName("Students of the selected session")
        splitter.addWidget(self.students)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self.empty = styled_label("", "hint")
        layout.addWidget(self.empty)
        return page

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
        students = sum(len(s.students) for s in sessions)
        self.subtitle.setText(f"{self.day:%A %d %B %Y} · {len(sessions)} sessions · "
                              f"{students} students")
        self.empty.setText("" if sessions else "No sessions today.")
        if sessions:
            self.sessions.setCurrentIndex(self.sessions_model.index(
                min(max(current, 0), len(sessions) - 1), 0))
        else:
            self.students_model.set_rows([])

    def _on_session_changed(self, *_args: object) -> None:
        row = self.sessions.currentIndex().row()
        if 0 <= row < self.sessions_model.rowCount():
            self.students_model.set_rows(self.sessions_model.row_at(row).students)

    def open_selected(self) -> None:
        row = self.sessions.currentIndex().row()
        if not 0 <= row < self.sessions_model.rowCount():
            return
        session = self.sessions_model.row_at(row)
        self.open_attendance(session)

    def open_attendance(self, session: TodaySession) -> None:
        subtitle = f"{session.subject_name} · {session.key.on:%A %d %B} · {_when(session)}"
        if session.location:
            subtitle += f" · {session.location}"
        self.stack.setCurrentWidget(self.attendance)
        self.attendance.open_session(session.key, subtitle)

    def _on_back(self) -> None:
        self.stack.setCurrentIndex(0)
        self.sessions.setFocus()
        self.refresh()
