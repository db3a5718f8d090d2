"""The quick attendance screen: a whole batch from the keyboard in seconds.

Keys on the roster: P/A/L/E mark and move down, arrows or J/K move, Delete clears, 1-5 rate
the selected topic for the student and move down, Ctrl+Z undoes, Ctrl+M marks every unmarked
student present, Ctrl+K jumps to the quick-entry box (absentees' numbers or first letters,
Enter), Ctrl+T to the topic search, where Enter tags the chosen topic for everyone present.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.attendance.controller import AttendanceController
from desktop_app.attendance.model import NOTES_COLUMN, TOPICS_COLUMN, AttendanceModel
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.theme import icon
from desktop_app.widgets import index_of, styled_label, table_view, title_label
from institute_core.display import long_date
from institute_core.enums import AttendanceStatus
from institute_core.services import attendance
from institute_core.services.common import SessionKey, SessionKind, TopicRef
from institute_core.services.suggestions import Syllabus, next_topics

NOTES_DEBOUNCE_MS = 800
_MOVE = {Qt.Key.Key_J: 1, Qt.Key.Key_Down: 1, Qt.Key.Key_K: -1, Qt.Key.Key_Up: -1}
_STATUS = {Qt.Key.Key_P: AttendanceStatus.PRESENT, Qt.Key.Key_A: AttendanceStatus.ABSENT,
           Qt.Key.Key_L: AttendanceStatus.LATE, Qt.Key.Key_E: AttendanceStatus.EXCUSED}
_LEVEL = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 6)}


class AttendanceView(QWidget):
    """Roster on the left; the selected student's topics and notes, and topic search, right."""

    sig_back = Signal()
    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.model = AttendanceModel(self)
        self.controller = AttendanceController(ctx, self.model, self)
        self._notes_student: uuid.UUID | None = None
        self._build()
        self._connect()

    # --- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        texts = QVBoxLayout()
        self.title = title_label("Attendance")
        self.subtitle = styled_label("", "subtitle")
        texts.addWidget(self.title)
        texts.addWidget(self.subtitle)
        head.addLayout(texts, 1)
        self.back_button = QPushButton("Back to Today")
        self.mark_all_button = QPushButton("Mark all unmarked present")
        self.mark_all_button.setObjectName("primary")
        self.undo_button = QPushButton(icon("undo"), "Undo")
        self.print_button = QPushButton(icon("print"), "Print roster sheet")
        for b in (self.mark_all_button, self.undo_button, self.print_button, self.back_button):
            head.addWidget(b)
        layout.addLayout(head)

        quick = QHBoxLayout()
        quick.addWidget(QLabel("Absentees:"))
        self.quick_entry = QLineEdit()
        self.quick_entry.setPlaceholderText("Type roll numbers or first letters of the absent "
                                            "students, then Enter – everyone else is present")
        self.quick_entry.setAccessibleName("Quick entry of absentees")
        quick.addWidget(self.quick_entry, 1)
        self.counts = styled_label("", "counts")
        self.counts.setWordWrap(False)  # one line: the counts change with every key
        quick.addWidget(self.counts)
        layout.addLayout(quick)
        self.message = styled_label("", "message")
        self.message.hide()
        layout.addWidget(self.message)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.table = table_view(stretch_last=True)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Roster")
        # A roster is short (tens of rows): sizing to contents is cheap and shows whole names.
        # Topics and notes share what is left and are cut with "…" (the whole text is the
        # tooltip): a long note must not push the roster into a horizontal scrollbar.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column in (TOPICS_COLUMN, NOTES_COLUMN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.setTabKeyNavigation(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self._side_panel())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        # The roster gets the larger share from the start (sizes are scaled to the real width).
        splitter.setSizes([3000, 2000])
        layout.addWidget(splitter, 1)
        hint = styled_label("Keys: P present · A absent · L late · E excused · ↓↑ or J/K move · "
                            "Delete clear · 1–5 understanding · Ctrl+Z undo · F1 all shortcuts",
                            "hint")
        layout.addWidget(hint)
        self.setTabOrder(self.quick_entry, self.table)
        self.setTabOrder(self.table, self.student_topics)
        self.setTabOrder(self.student_topics, self.notes)
        self.setTabOrder(self.notes, self.topic_search)

    def _side_panel(self) -> QWidget:
        panel = QWidget()
        side = QVBoxLayout(panel)
        student = QGroupBox("Selected student")
        form = QVBoxLayout(student)
        self.student_name = styled_label("Select a student", "subtitle")
        form.addWidget(self.student_name)
        row = QHBoxLayout()
        row.addWidget(QLabel("Topic:"))
        self.student_topics = QComboBox()
        self.student_topics.setAccessibleName("Topics covered by the student")
        row.addWidget(self.student_topics, 1)
        form.addLayout(row)
        levels = QHBoxLayout()
        levels.addWidget(QLabel("Understanding:"))
        self.level_buttons = []
        for n in range(1, 6):
            button = QPushButton(str(n))
            button.setToolTip(f"Understanding level {n} (key {n} on the roster)")
            button.clicked.connect(lambda _c=False, n=n: self._rate(n))
            self.level_buttons.append(button)
            levels.addWidget(button)
        self.untag_button = QPushButton("Remove topic")
        levels.addWidget(self.untag_button)
        form.addLayout(levels)
        form.addWidget(QLabel("Notes (saved as you type):"))
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Notes on the student")
        self.notes.setTabChangesFocus(True)
        form.addWidget(self.notes, 1)
        self.prep_label = styled_label("", "counts")
        self.prep_label.setAccessibleName("Next-session preparation")
        form.addWidget(self.prep_label)
        side.addWidget(student, 1)

        topics = QGroupBox("Topics covered today")
        box = QVBoxLayout(topics)
        self.topic_search = QLineEdit()
        self.topic_search.setPlaceholderText("Search (Ctrl+T); Enter tags it for all present")
        box.addWidget(self.topic_search)
        self.topic_model: RowsModel[tuple[TopicRef, bool]] = RowsModel([
            Column("Topic", lambda t: ("★ " if t[1] else "") + t[0].name),
        ], self)
        self.topic_list = table_view()
        self.topic_list.horizontalHeader().setVisible(False)
        self.topic_list.setModel(self.topic_model)
        box.addWidget(self.topic_list, 1)
        buttons = QHBoxLayout()
        self.tag_student_button = QPushButton("Tag for this student")
        self.tag_all_button = QPushButton("Tag for all present (Enter)")
        buttons.addWidget(self.tag_student_button)
        buttons.addWidget(self.tag_all_button)
        box.addLayout(buttons)
        # Next-session preparation exists for individual sessions only (the schema's choice).
        self.prep_row = QWidget()
        prep = QHBoxLayout(self.prep_row)
        prep.setContentsMargins(0, 0, 0, 0)
        prep.addWidget(QLabel("Next session:"))
        self.review_next_button = QPushButton("Review it")
        self.teach_next_button = QPushButton("Teach it")
        self.clear_plan_button = QPushButton("Clear plan")
        for button in (self.review_next_button, self.teach_next_button, self.clear_plan_button):
            prep.addWidget(button)
        box.addWidget(self.prep_row)
        box.addWidget(styled_label("★ next in the syllabus for the selected student", "hint"))
        side.addWidget(topics, 1)
        return panel

    def _connect(self) -> None:
        self.table.installEventFilter(self)
        self.controller.sig_loaded.connect(self._on_loaded)
        self.controller.sig_error.connect(self._show_error)
        self.controller.sig_saved.connect(self.sig_saved)
        self.controller.sig_syllabus_loaded.connect(self._on_syllabus)
        self.model.dataChanged.connect(self._update_counts)
        self.model.modelReset.connect(self._update_counts)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.mark_all_button.clicked.connect(self._on_mark_all)
        self.undo_button.clicked.connect(self._on_undo)
        self.print_button.clicked.connect(self._on_print)
        self.back_button.clicked.connect(self._on_back)
        self.quick_entry.returnPressed.connect(self._on_quick_entry)
        self.topic_search.textChanged.connect(self._refresh_topics)
        # Ctrl+T, (a few letters,) Enter: today's topic is tagged for the whole class and the
        # roster has the keyboard again for the ratings.
        self.topic_search.returnPressed.connect(self._tag_all_from_keyboard)
        self.topic_list.activated.connect(lambda _i: self._tag_all_from_keyboard())
        self.tag_student_button.clicked.connect(lambda: self._tag(whole=False))
        self.tag_all_button.clicked.connect(lambda: self._tag(whole=True))
        self.untag_button.clicked.connect(self._on_untag)
        self.review_next_button.clicked.connect(lambda: self._plan("review"))
        self.teach_next_button.clicked.connect(lambda: self._plan("new"))
        self.clear_plan_button.clicked.connect(lambda: self._plan(None))
        self._notes_timer = QTimer(self)
        self._notes_timer.setSingleShot(True)
        self._notes_timer.setInterval(NOTES_DEBOUNCE_MS)
        self._notes_timer.timeout.connect(self._save_notes)
        self.notes.textChanged.connect(self._notes_timer.start)
        self.notes.installEventFilter(self)
        for keys, slot in (("Ctrl+Z", self._on_undo), ("Ctrl+M", self._on_mark_all),
                           ("Ctrl+K", self.quick_entry.setFocus),
                           ("Ctrl+T", self.topic_search.setFocus),
                           ("Ctrl+P", self._on_print), ("Esc", self._on_back)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # --- opening -------------------------------------------------------------------------------

    def open_session(self, key: SessionKey, subtitle: str = "") -> None:
        """Load a session's roster; the table gets the keyboard once it is shown."""
        self._save_notes()
        self.subtitle.setText(subtitle or long_date(key.on))
        self.message.hide()
        individual = key.kind is SessionKind.INDIVIDUAL
        self.prep_row.setVisible(individual)
        self.prep_label.setVisible(individual)
        self.controller.load(key)

    def _on_loaded(self) -> None:
        self.title.setText(f"Attendance – {self.controller.title}")
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, 0))
        self.table.setFocus()
        self._on_current_changed()

    # --- keys ----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.notes and event.type() == QEvent.Type.FocusOut:
            self._save_notes()
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                return False
            return self._on_table_key(Qt.Key(event.key()))
        return super().eventFilter(watched, event)

    def _on_table_key(self, key: Qt.Key) -> bool:
        row = self.table.currentIndex().row()
        if key in _MOVE:
            self._move(row + _MOVE[key])
            return True
        if row < 0:
            return False
        if key in _STATUS:
            self.controller.mark(row, _STATUS[key])
            self._move(row + 1)
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.controller.mark(row, None)
            return True
        if key in _LEVEL:
            # Rating a class goes student by student, like marking it.
            if self._rate(_LEVEL[key]):
                self._move(row + 1)
            return True
        return False

    def _move(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            column = max(0, self.table.currentIndex().column())
            self.table.setCurrentIndex(self.model.index(row, column))

    # --- slots ---------------------------------------------------------------------------------

    def _current_student(self) -> attendance.RosterRow | None:
        row = self.table.currentIndex().row()
        return self.model.row_at(row) if 0 <= row < self.model.rowCount() else None

    def _on_current_changed(self, *_args: object) -> None:
        self._save_notes()
        student = self._current_student()
        self._notes_student = student.student_id if student else None
        self.student_name.setText(f"{student.position}. {student.name} ({student.enrollment_no})"
                                  if student else "Select a student")
        self.notes.blockSignals(True)
        self.notes.setPlainText(student.notes if student else "")
        self.notes.blockSignals(False)
        self._enable_notes(student)
        self._fill_student_topics(student)
        self._show_prep(student)
        self._refresh_topics()

    def _enable_notes(self, student: attendance.RosterRow | None) -> None:
        """Notes belong to a mark: typing is offered once the student is marked."""
        marked = bool(student and student.marked)
        self.notes.setEnabled(marked)
        self.notes.setPlaceholderText("Type notes on the student…" if marked
                                      else "Mark the student first")

    def _fill_student_topics(self, student: attendance.RosterRow | None) -> None:
        current = self.student_topics.currentData()
        self.student_topics.clear()
        for t in student.topics if student else ():
            label = f"{t.name} – level {t.level}" if t.level else f"{t.name} – not rated"
            self.student_topics.addItem(label, t.topic_id)
        index = index_of(self.student_topics, current)
        if index >= 0:
            self.student_topics.setCurrentIndex(index)

    def _update_counts(self, *_args: object) -> None:
        c = self.model.counts()
        self.counts.setText(f"{c['present']} present · {c['absent']} absent · {c['late']} late"
                            f" · {c['excused']} excused · {c['unmarked']} unmarked")
        student = self._current_student()
        if student is not None and student.student_id == self._notes_student:
            self._enable_notes(student)
            self._fill_student_topics(student)
            self._show_prep(student)

    def _on_mark_all(self) -> None:
        count = self.controller.mark_all()
        self._flash(f"{count} students marked present" if count else "Everyone is marked")

    def _on_undo(self) -> None:
        if not self.controller.undo():
            self._flash("Nothing to undo")

    def _on_quick_entry(self) -> None:
        problems = self.controller.quick_entry(self.quick_entry.text())
        if problems:
            self._show_error("; ".join(problems))
            return
        self.quick_entry.clear()
        self.message.hide()
        self.table.setFocus()

    def _on_back(self) -> None:
        self._save_notes()
        self.sig_back.emit()

    def flush_notes(self) -> None:
        """Save notes typed but not saved yet (the debounce has not fired)."""
        self._save_notes()

    def _save_notes(self) -> None:
        self._notes_timer.stop()
        student_id = self._notes_student
        if student_id is None or not self.notes.isEnabled():
            return
        self.controller.save_notes(student_id, self.notes.toPlainText())

    def _rate(self, level: int) -> bool:
        student = self._current_student()
        topic_id = self.student_topics.currentData()
        if student is None or topic_id is None:
            self._flash("Tag a topic for the student first, then rate it")
            return False
        self.controller.set_level(student.student_id, topic_id, level)
        return True

    def _on_untag(self) -> None:
        student = self._current_student()
        topic_id = self.student_topics.currentData()
        if student is not None and topic_id is not None:
            self.controller.untag(topic_id, student.student_id)

    @staticmethod
    def _prep_ids(student: attendance.RosterRow, field: str) -> list[uuid.UUID]:
        return [uuid.UUID(str(t)) for t in (student.prep or {}).get(field) or []]

    def _show_prep(self, student: attendance.RosterRow | None) -> None:
        syllabus = self.controller.syllabus
        names = {t.id: t.name for t in syllabus.topics} if syllabus else {}
        if student is None:
            self.prep_label.setText("")
            return
        parts = []
        for field, title in (("topics_to_review", "review"), ("new_topics", "new")):
            ids = self._prep_ids(student, field)
            if ids:
                parts.append(f"{title}: " + ", ".join(names.get(i, "?") for i in ids))
        self.prep_label.setText("Next session – " + " · ".join(parts) if parts
                                else "Next session: nothing planned yet")

    def _plan(self, which: str | None) -> None:
        """Add the topic chosen in the syllabus list to the next session's plan (or clear it)."""
        student = self._current_student()
        if student is None:
            return
        if not student.marked:
            self._flash("Mark the student first, then plan their next session")
            return
        review = self._prep_ids(student, "topics_to_review")
        new = self._prep_ids(student, "new_topics")
        if which is None:
            review, new = [], []
        else:
            index = self.topic_list.currentIndex()
            if not index.isValid():
                self._flash("Choose a topic in the list first")
                return
            topic_id = self.topic_model.row_at(index.row())[0].id
            review = [t for t in review if t != topic_id]
            new = [t for t in new if t != topic_id]
            (review if which == "review" else new).append(topic_id)
        self.controller.set_prep(student.student_id, tuple(review), tuple(new))

    def _on_syllabus(self, _syllabus: Syllabus) -> None:
        self._show_prep(self._current_student())  # topic names are known now
        self._refresh_topics()

    def _refresh_topics(self, *_args: object) -> None:
        syllabus = self.controller.syllabus
        if syllabus is None:
            return
        student = self._current_student()
        statuses = self.controller.statuses.get(student.student_id, {}) if student else {}
        suggested = {t.id for t in next_topics(syllabus, statuses, limit=3)}
        text = self.topic_search.text()
        topics = syllabus.search(text, limit=50) if text.strip() else syllabus.topics
        ordered = sorted(topics, key=lambda t: (t.id not in suggested, t.order_index))
        self.topic_model.set_rows([(t, t.id in suggested) for t in ordered])
        if self.topic_model.rowCount():
            self.topic_list.setCurrentIndex(self.topic_model.index(0, 0))

    def _tag(self, *, whole: bool) -> None:
        index = self.topic_list.currentIndex()
        if not index.isValid():
            self._flash("Choose a topic in the list first")
            return
        topic = self.topic_model.row_at(index.row())[0]
        student = self._current_student()
        if not whole and student is None:
            return
        self.controller.tag(topic.id, None if whole else student.student_id)  # type: ignore[union-attr]

    def _tag_all_from_keyboard(self) -> None:
        self._tag(whole=True)
        self.table.setFocus()

    def _on_print(self) -> None:
        key = self.controller.key
        if key is None:
            return
        replica = self._ctx.replica
        folder = replica.path.parent / "roster-sheets"
        subtitle = self.subtitle.text()

        def _do_print() -> Path:
            # reportlab is imported on first print: start-up does not pay for it.
            from institute_core.services.roster_sheet import write_roster_sheet

            roster = attendance.load_roster(replica, key)
            name = "".join(c if c.isalnum() else "-" for c in roster.title)
            return write_roster_sheet(roster, folder / f"{name}-{key.on}.pdf", start=subtitle)

        self._ctx.tasks.run_db(_do_print, lambda p: self._flash(f"Roster sheet saved: {p}"),
                               lambda e: self._show_error(f"Could not print: {e}"))

    def _show_error(self, text: str) -> None:
        self.message.setObjectName("message")
        self.message.setStyleSheet("")
        self.message.setText(text)
        self.message.show()

    def _flash(self, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #14324a; font-weight: normal;")
        self.message.show()
