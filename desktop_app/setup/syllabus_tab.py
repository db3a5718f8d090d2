"""The syllabus tab: subjects (new or edited) and what each needs first; their topics in
teaching order (drag, or Move up/down and Ctrl+Up/Down), edited, and what each needs first.

A refused change (a prerequisite loop, a taken code, a bad order) shows the service's reason
and reloads what is stored, so the screen never shows what was not saved.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.setup.forms import SubjectDialog, TopicDialog, reason, show_outcome
from desktop_app.setup.topic_order import TopicListView, TopicOrderModel
from desktop_app.widgets import index_of, styled_label
from institute_core.setup import syllabus
from institute_core.setup.syllabus import SubjectInfo, TopicInfo


@dataclass(frozen=True)
class SubjectView:
    """What the tab shows of one subject, read in one go on the database thread."""

    subject_id: uuid.UUID
    topics: list[TopicInfo]
    topic_needs: dict[uuid.UUID, list[uuid.UUID]]
    subject_needs: list[uuid.UUID]
    # Topics of the other subjects, labelled "CODE · topic": a topic may need one of them.
    other_topics: list[tuple[uuid.UUID, str]] = field(default_factory=list)


class SyllabusTab(QWidget):
    sig_saved = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._subjects: list[tuple[uuid.UUID, str]] = []
        self._view: SubjectView | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._subject_box())
        layout.addWidget(self._topics_box(), 1)
        self.message = styled_label("", "hint")
        self.message.setAccessibleName("Syllabus message")
        layout.addWidget(self.message)

    # --- layout ---------------------------------------------------------------------------

    def _subject_box(self) -> QGroupBox:
        box = QGroupBox("Subject")
        grid = QGridLayout(box)
        self.subject = QComboBox()
        self.subject.setAccessibleName("Subject")
        self.edit_subject = QPushButton("Edit subject…")
        self.new_subject = QPushButton("New subject…")
        grid.addWidget(self.subject, 0, 0, 1, 2)
        grid.addWidget(self.edit_subject, 0, 2)
        grid.addWidget(self.new_subject, 0, 3)
        self.subject_needs_label = styled_label("", "hint")
        grid.addWidget(self.subject_needs_label, 1, 0, 1, 4)
        grid.addWidget(QLabel("Prerequisite"), 2, 0)
        self.subject_needs = QComboBox()
        self.subject_needs.setAccessibleName("Subject needed first")
        self.add_subject_prereq = QPushButton("Add prerequisite")
        self.remove_subject_prereq = QPushButton("Remove")
        grid.addWidget(self.subject_needs, 2, 1)
        grid.addWidget(self.add_subject_prereq, 2, 2)
        grid.addWidget(self.remove_subject_prereq, 2, 3)
        grid.setColumnStretch(1, 1)
        self.subject.currentIndexChanged.connect(self._load_subject)
        self.edit_subject.clicked.connect(self._open_subject)
        self.new_subject.clicked.connect(lambda: self.subject_dialog().open())
        self.add_subject_prereq.clicked.connect(self._add_subject_prerequisite)
        self.remove_subject_prereq.clicked.connect(self._remove_subject_prerequisite)
        return box

    def _topics_box(self) -> QGroupBox:
        box = QGroupBox("Topics in teaching order")
        layout = QVBoxLayout(box)
        layout.addWidget(styled_label(
            "Drag a topic to move it (or Move up / Move down, Ctrl+Up / Ctrl+Down); "
            "double-click to edit it.", "hint"))
        row = QHBoxLayout()
        self.topic_model = TopicOrderModel(self)
        self.topics = TopicListView()
        self.topics.setModel(self.topic_model)
        row.addWidget(self.topics, 1)
        buttons = QVBoxLayout()
        self.new_topic = QPushButton("New topic…")
        self.edit_topic = QPushButton("Edit topic…")
        self.move_up = QPushButton("Move up")
        self.move_down = QPushButton("Move down")
        for button in (self.new_topic, self.edit_topic, self.move_up, self.move_down):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        layout.addLayout(row, 1)
        prereq = QHBoxLayout()
        self.needs = QComboBox()
        self.needs.setAccessibleName("Topic needed first")
        self.add_prereq = QPushButton("Add as prerequisite of the selected topic")
        self.remove_prereq = QPushButton("Remove")
        prereq.addWidget(QLabel("Needs first"))
        prereq.addWidget(self.needs, 1)
        prereq.addWidget(self.add_prereq)
        prereq.addWidget(self.remove_prereq)
        layout.addLayout(prereq)
        self.topic_model.order_changed.connect(self._save_order)
        self.topics.sig_move.connect(self.move_selected)
        self.topics.doubleClicked.connect(self._edit_topic_at)
        self.move_up.clicked.connect(lambda: self.move_selected(-1))
        self.move_down.clicked.connect(lambda: self.move_selected(1))
        self.new_topic.clicked.connect(lambda: self.topic_dialog().open())
        self.edit_topic.clicked.connect(lambda: self._edit_topic_at(self.topics.currentIndex()))
        self.add_prereq.clicked.connect(self._add_prerequisite)
        self.remove_prereq.clicked.connect(self._remove_prerequisite)
        return box

    # --- forms ----------------------------------------------------------------------------

    def subject_dialog(self, subject: SubjectInfo | None = None) -> SubjectDialog:
        """A form for a new subject, or for editing `subject`."""
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        subject_id = subject.id if subject is not None else None
        dialog = SubjectDialog(self._ctx, lambda v: syllabus.save_subject(
            replica, actor, user, subject_id, **v), self)
        if subject is not None:
            dialog.fill(subject)
        dialog.accepted.connect(lambda: self._saved("Subject saved."))
        return dialog

    def _open_subject(self) -> None:
        subject_id = self.subject.currentData()
        if subject_id is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: syllabus.subject_info(replica, subject_id),
                               lambda s: self.subject_dialog(s).open(),
                               lambda e: show_outcome(self.message, reason(e), refused=True))

    def topic_dialog(self, topic: TopicInfo | None = None) -> TopicDialog:
        """A form for a new topic, or for editing `topic` (double-click in the list)."""
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        subject = self.subject.currentData()
        topic_id = topic.id if topic is not None else None
        dialog = TopicDialog(self._ctx, lambda v: syllabus.save_topic(
            replica, actor, user, subject, topic_id, **v), self)
        if topic is not None:
            dialog.fill(topic)
        dialog.accepted.connect(lambda: self._saved("Topic saved."))
        return dialog

    def _edit_topic_at(self, index: QModelIndex) -> None:
        if index.isValid():
            self.topic_dialog(self.topic_model.topic_at(index.row())).open()

    def _saved(self, done: str) -> None:
        show_outcome(self.message, done)
        self.sig_saved.emit()
        self.refresh()

    # --- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: syllabus.subject_choices(replica), self._on_subjects)

    def _on_subjects(self, subjects: list[tuple[uuid.UUID, str]]) -> None:
        current = self.subject.currentData()
        self._subjects = subjects
        self.subject.blockSignals(True)
        self.subject.clear()
        for subject_id, label in subjects:
            self.subject.addItem(label, subject_id)
        self.subject.setCurrentIndex(max(0, index_of(self.subject, current)))
        self.subject.blockSignals(False)
        self._load_subject()

    def select_subject(self, subject_id: uuid.UUID) -> None:
        self.subject.setCurrentIndex(index_of(self.subject, subject_id))

    def _load_subject(self) -> None:
        subject_id = self.subject.currentData()
        if subject_id is None:
            return
        replica = self._ctx.replica

        def load() -> SubjectView:
            topics = syllabus.topics_of(replica, subject_id)
            return SubjectView(subject_id, topics,
                               {t.id: syllabus.prerequisites_of(replica, t.id) for t in topics},
                               syllabus.subject_prerequisites_of(replica, subject_id),
                               syllabus.other_subjects_topics(replica, subject_id))

        self._ctx.tasks.run_db(load, self._on_subject)

    def _on_subject(self, view: SubjectView) -> None:
        if view.subject_id != self.subject.currentData():
            return  # another subject was chosen meanwhile; its own load follows
        self._view = view
        selected = self._selected_topic()
        names = {t.id: t.name for t in view.topics}
        names.update(view.other_topics)
        self.topic_model.set_topics(view.topics, {
            t: ", ".join(names.get(p, "a removed topic") for p in needs)
            for t, needs in view.topic_needs.items() if needs})
        self.needs.clear()
        for topic in view.topics:
            self.needs.addItem(topic.name, topic.id)
        if view.other_topics:
            self.needs.insertSeparator(self.needs.count())
        for topic_id, label in view.other_topics:
            self.needs.addItem(label, topic_id)
        if selected is not None and self.topic_model.row_of(selected) >= 0:
            self.topics.setCurrentIndex(self.topic_model.index(self.topic_model.row_of(selected)))
        labels = dict(self._subjects)
        needed = [labels.get(s, "a removed subject") for s in view.subject_needs]
        self.subject_needs_label.setText(
            "Needs first: " + "; ".join(needed) if needed else "Needs no other subject first.")
        self.subject_needs.clear()
        for subject_id, label in self._subjects:
            if subject_id != view.subject_id:
                self.subject_needs.addItem(label, subject_id)
        self.loaded.emit()

    # --- writing --------------------------------------------------------------------------

    def _run(self, fn: Callable[[], object], done: str) -> None:
        """Run a syllabus change; either way show the outcome and reload what is stored."""
        def ok(_value: object) -> None:
            show_outcome(self.message, done)
            self.sig_saved.emit()
            self._load_subject()

        def failed(error: BaseException) -> None:
            show_outcome(self.message, reason(error), refused=True)
            self._load_subject()

        self._ctx.tasks.run_db(fn, ok, failed)

    def _selected_topic(self) -> uuid.UUID | None:
        index = self.topics.currentIndex()
        return self.topic_model.topic_at(index.row()).id if index.isValid() else None

    def move_selected(self, by: int) -> None:
        """The keyboard path: move the current topic up (-1) or down (+1)."""
        index = self.topics.currentIndex()
        if not index.isValid():
            show_outcome(self.message, "Choose a topic to move first.", refused=True)
            return
        row = self.topic_model.move(index.row(), by)  # saves through order_changed
        if row is not None:
            self.topics.setCurrentIndex(self.topic_model.index(row))

    def _save_order(self, order: list[uuid.UUID]) -> None:
        replica, actor, user, subject = (self._ctx.replica, self._ctx.actor, self._ctx.user,
                                         self.subject.currentData())

        def ok(_value: object) -> None:
            show_outcome(self.message, "New order saved.")
            self.sig_saved.emit()  # the list already shows it: no reload, no flicker

        def failed(error: BaseException) -> None:
            show_outcome(self.message, reason(error), refused=True)
            self._load_subject()

        self._ctx.tasks.run_db(
            lambda: syllabus.reorder_topics(replica, actor, user, subject, order), ok, failed)

    def add_prerequisite_of(self, topic: uuid.UUID, needs: uuid.UUID) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: syllabus.add_topic_prerequisite(replica, actor, user, topic, needs),
                  "Prerequisite added.")

    def _add_prerequisite(self) -> None:
        topic, needs = self._selected_topic(), self.needs.currentData()
        if topic is None:
            show_outcome(self.message, "Choose the topic that needs another first.", refused=True)
        elif needs is not None:
            self.add_prerequisite_of(topic, needs)

    def _remove_prerequisite(self) -> None:
        topic, needs = self._selected_topic(), self.needs.currentData()
        if topic is None or needs is None:
            show_outcome(self.message, "Choose the topic that needs another first.", refused=True)
            return
        if self._view is not None and needs not in self._view.topic_needs.get(topic, []):
            show_outcome(self.message, f"{self.needs.currentText()} is not a prerequisite of the "
                  "selected topic; nothing to remove.", refused=True)
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: syllabus.remove_topic_prerequisite(replica, actor, user, topic, needs),
                  "Prerequisite removed.")

    def add_subject_prerequisite_of(self, subject: uuid.UUID, needs: uuid.UUID) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: syllabus.add_subject_prerequisite(replica, actor, user, subject,
                                                            needs),
                  "Subject prerequisite added.")

    def remove_subject_prerequisite_of(self, subject: uuid.UUID, needs: uuid.UUID) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: syllabus.remove_subject_prerequisite(replica, actor, user, subject,
                                                               needs),
                  "Subject prerequisite removed.")

    def _add_subject_prerequisite(self) -> None:
        subject, needs = self.subject.currentData(), self.subject_needs.currentData()
        if subject is not None and needs is not None:
            self.add_subject_prerequisite_of(subject, needs)

    def _remove_subject_prerequisite(self) -> None:
        subject, needs = self.subject.currentData(), self.subject_needs.currentData()
        if subject is None or needs is None:
            return
        if self._view is not None and needs not in self._view.subject_needs:
            show_outcome(self.message, f"{self.subject_needs.currentText()} is not a prerequisite "
                  f"of {self.subject.currentText()}; nothing to remove.", refused=True)
            return
        self.remove_subject_prerequisite_of(subject, needs)
