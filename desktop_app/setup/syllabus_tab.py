"""The syllabus tab: subjects, their topics in order (drag to reorder), and prerequisites."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.setup.forms import SubjectDialog, TopicDialog
from desktop_app.widgets import styled_label
from institute_core.schema import Topic
from institute_core.setup import syllabus


class SyllabusTab(QWidget):
    sig_saved = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._topics: list[Topic] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.subject = QComboBox()
        top.addWidget(QLabel("Subject"))
        top.addWidget(self.subject, 1)
        self.new_subject = QPushButton("New subject…")
        self.new_topic = QPushButton("New topic…")
        top.addWidget(self.new_subject)
        top.addWidget(self.new_topic)
        layout.addLayout(top)
        layout.addWidget(styled_label("Topics in teaching order – drag a topic to move it, "
                                      "double-click to edit it.", "hint"))
        self.topics = QListWidget()
        self.topics.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.topics.setAccessibleName("Topics")
        self.topics.setAlternatingRowColors(True)
        self.topics.setSpacing(2)
        layout.addWidget(self.topics, 1)
        prereq = QHBoxLayout()
        self.needs = QComboBox()
        self.add_prereq = QPushButton("Add as prerequisite of the selected topic")
        self.remove_prereq = QPushButton("Remove")
        prereq.addWidget(QLabel("Needs first"))
        prereq.addWidget(self.needs, 1)
        prereq.addWidget(self.add_prereq)
        prereq.addWidget(self.remove_prereq)
        layout.addLayout(prereq)
        self.message = styled_label("", "hint")
        layout.addWidget(self.message)
        self.subject.currentIndexChanged.connect(self._load_topics)
        self.topics.model().rowsMoved.connect(self._moved)
        self.add_prereq.clicked.connect(self._add_prerequisite)
        self.remove_prereq.clicked.connect(self._remove_prerequisite)
        self.new_subject.clicked.connect(lambda: self.subject_dialog().open())
        self.new_topic.clicked.connect(lambda: self.topic_dialog().open())
        self.topics.itemDoubleClicked.connect(self._edit_topic)

    def subject_dialog(self) -> SubjectDialog:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        dialog = SubjectDialog(self._ctx, lambda v: syllabus.save_subject(
            replica, actor, user, **v), self)
        dialog.accepted.connect(self._saved)
        return dialog

    def topic_dialog(self, topic: Topic | None = None) -> TopicDialog:
        """A form for a new topic, or for editing `topic` (double-click in the list)."""
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        subject = self.subject.currentData()
        topic_id = topic.id if topic is not None else None
        dialog = TopicDialog(self._ctx, lambda v: syllabus.save_topic(
            replica, actor, user, subject, topic_id, **v), self)
        if topic is not None:
            dialog.fill(topic)
        dialog.accepted.connect(self._saved)
        return dialog

    def _edit_topic(self, item: QListWidgetItem) -> None:
        topic_id = item.data(Qt.ItemDataRole.UserRole)
        topic = next((t for t in self._topics if t.id == topic_id), None)
        if topic is not None:
            self.topic_dialog(topic).open()

    def _saved(self) -> None:
        self.sig_saved.emit()
        self.refresh()

    def refresh(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: syllabus.subject_choices(replica), self._on_subjects)

    def _on_subjects(self, subjects: list[tuple[uuid.UUID, str]]) -> None:
        current = self.subject.currentData()
        self.subject.blockSignals(True)
        self.subject.clear()
        for subject_id, label in subjects:
            self.subject.addItem(label, subject_id)
        index = next((i for i, (sid, _l) in enumerate(subjects) if sid == current), 0)
        self.subject.setCurrentIndex(index)
        self.subject.blockSignals(False)
        self._load_topics()

    def _load_topics(self) -> None:
        subject_id = self.subject.currentData()
        if subject_id is None:
            return
        replica = self._ctx.replica

        def load() -> tuple[list[Topic], dict[uuid.UUID, list[uuid.UUID]]]:
            topics = syllabus.topics_of(replica, subject_id)
            return topics, {t.id: syllabus.prerequisites_of(replica, t.id) for t in topics}

        self._ctx.tasks.run_db(load, self._on_topics)

    def _on_topics(self, result: tuple[list[Topic], dict[uuid.UUID, list[uuid.UUID]]]) -> None:
        self._topics, needs = result
        names = {t.id: t.name for t in self._topics}
        self.topics.clear()
        self.needs.clear()
        for number, topic in enumerate(self._topics, start=1):
            first = ", ".join(names.get(p, "another subject's topic") for p in needs[topic.id])
            text = f"{number}. {topic.name}  ·  {topic.estimated_duration_minutes} min" + (
                f"  ·  needs {first}" if first else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, topic.id)
            self.topics.addItem(item)
            self.needs.addItem(topic.name, topic.id)
        self.loaded.emit()

    def _selected_topic(self) -> uuid.UUID | None:
        item = self.topics.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _run(self, fn: object, done: str) -> None:
        def ok(_value: object) -> None:
            self.message.setText(done)
            self.sig_saved.emit()
            self._load_topics()

        def failed(error: BaseException) -> None:
            self.message.setText(str(error).split(": ", 1)[-1])
            self._load_topics()

        self._ctx.tasks.run_db(fn, ok, failed)  # type: ignore[arg-type]

    def _moved(self, *_args: object) -> None:
        order = [self.topics.item(i).data(Qt.ItemDataRole.UserRole)
                 for i in range(self.topics.count())]
        replica, actor, user, subject = (self._ctx.replica, self._ctx.actor, self._ctx.user,
                                         self.subject.currentData())
        self._run(lambda: syllabus.reorder_topics(replica, actor, user, subject, order),
                  "New order saved.")

    def add_prerequisite_of(self, topic: uuid.UUID, needs: uuid.UUID) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: syllabus.add_topic_prerequisite(replica, actor, user, topic, needs),
                  "Prerequisite added.")

    def _add_prerequisite(self) -> None:
        topic, needs = self._selected_topic(), self.needs.currentData()
        if topic is not None and needs is not None:
            self.add_prerequisite_of(topic, needs)

    def _remove_prerequisite(self) -> None:
        topic, needs = self._selected_topic(), self.needs.currentData()
        if topic is None or needs is None:
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: syllabus.remove_topic_prerequisite(replica, actor, user, topic, needs),
                  "Prerequisite removed.")
