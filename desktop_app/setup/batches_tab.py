"""The batches tab: flexible batches with members and capacity; add and remove students."""

from __future__ import annotations

import uuid
from operator import attrgetter

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.setup.forms import BatchDialog, reason, show_outcome
from desktop_app.widgets import styled_label, table_view
from institute_core.display import date_text
from institute_core.setup import batches, people, syllabus
from institute_core.setup.batches import BatchDetail, BatchRow


def _fill(row: BatchRow) -> str | None:
    if row.capacity is None:
        return None
    return "#f9dcdc" if row.members >= row.capacity else None


BATCH_COLUMNS: list[Column[BatchRow]] = [
    Column("Batch", lambda b: b.name),
    Column("Branch", lambda b: b.branch),
    Column("Subject", lambda b: b.subject),
    Column("Type", lambda b: b.batch_type.replace("_", " ")),
    Column("From", lambda b: date_text(b.start_date)),
    Column("To", lambda b: date_text(b.end_date) if b.end_date else "open"),
    Column("Students", lambda b: f"{b.members} of {b.capacity}" if b.capacity else
           str(b.members), _fill, align_right=True),
]


class BatchesTab(QWidget):
    sig_saved = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        layout = QVBoxLayout(self)
        self.branch = BranchPicker(ctx)
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.branch)
        layout.addLayout(top)
        split = QSplitter()
        self.model: RowsModel[BatchRow] = RowsModel(BATCH_COLUMNS, self)
        self.branch.filter_rows(self.model, attrgetter("branch_id"))
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Batches")
        split.addWidget(self.table)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel("Members"))
        self.members = QListWidget()
        side_layout.addWidget(self.members, 1)
        add_row = QHBoxLayout()
        self.student = QComboBox()
        self.student.setEditable(True)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove selected")
        add_row.addWidget(self.student, 1)
        add_row.addWidget(self.add_button)
        side_layout.addLayout(add_row)
        side_layout.addWidget(self.remove_button)
        buttons = QHBoxLayout()
        self.edit_button = QPushButton("Edit batch…")
        self.new_button = QPushButton("New batch…")
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.new_button)
        side_layout.addLayout(buttons)
        split.addWidget(side)
        split.setSizes([600, 360])
        layout.addWidget(split, 1)
        self.message = styled_label("", "hint")
        layout.addWidget(self.message)
        self.table.selectionModel().currentRowChanged.connect(lambda c, _p: self._load_members())
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.new_button.clicked.connect(self._new_batch)
        self.edit_button.clicked.connect(self._edit_batch)
        self.table.doubleClicked.connect(lambda _i: self._edit_batch())

    def _new_batch(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: (syllabus.subject_choices(replica),
                                        people.faculty_choices(replica)),
                               lambda r: self.batch_dialog(*r).open())

    def _edit_batch(self) -> None:
        batch = self._batch()
        if batch is None:
            show_outcome(self.message, "Choose a batch to edit first.", refused=True)
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: (syllabus.subject_choices(replica),
                                        people.faculty_choices(replica),
                                        batches.batch_detail(replica, batch.id)),
                               lambda r: self.batch_dialog(*r).open(),
                               lambda e: show_outcome(self.message, reason(e), refused=True))

    def batch_dialog(self, subjects: list[tuple[uuid.UUID, str]],
                     faculty: list[tuple[uuid.UUID, str]],
                     batch: BatchDetail | None = None) -> BatchDialog:
        """The form for a new batch, or for changing `batch`."""
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        batch_id = batch.id if batch is not None else None
        dialog = BatchDialog(self._ctx, lambda v: batches.save_batch(
            replica, actor, user, batch_id, **v), subjects, faculty, self)
        if batch is not None:
            dialog.fill(batch)
        done = f"Saved {batch.name}." if batch is not None else "Batch created."
        dialog.accepted.connect(lambda: self._saved(done))
        return dialog

    def _saved(self, done: str) -> None:
        show_outcome(self.message, done)
        self.sig_saved.emit()
        self.refresh()

    def select_batch(self, batch_id: uuid.UUID) -> None:
        for i, row in enumerate(self.model.rows):
            if row.id == batch_id:
                self.table.setCurrentIndex(self.model.index(i, 0))

    def _batch(self) -> BatchRow | None:
        row = self.table.currentIndex().row()
        return self.model.row_at(row) if 0 <= row < self.model.rowCount() else None

    def refresh(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: (batches.list_batches(replica),
                                        batches.student_choices(replica)), self._on_loaded)

    def _on_loaded(self, result: tuple[list[BatchRow], list[tuple[uuid.UUID, str]]]) -> None:
        current = self._batch()
        rows, students = result
        self.model.set_rows(rows)
        self.student.clear()
        for student_id, label in students:
            self.student.addItem(label, student_id)
        index = next((i for i, r in enumerate(rows) if current and r.id == current.id), 0)
        if rows:
            self.table.setCurrentIndex(self.model.index(index, 0))
        self.loaded.emit()

    def _load_members(self) -> None:
        batch = self._batch()
        if batch is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: batches.members_of(replica, batch.id), self._on_members)

    def _on_members(self, members: list[tuple[uuid.UUID, str, str]]) -> None:
        self.members.clear()
        for student_id, number, name in members:
            item = QListWidgetItem(f"{number} · {name}")
            item.setData(Qt.ItemDataRole.UserRole, student_id)
            self.members.addItem(item)

    def _run(self, fn: object, done: str) -> None:
        def ok(_value: object) -> None:
            show_outcome(self.message, done)
            self.sig_saved.emit()
            self.refresh()

        self._ctx.tasks.run_db(fn, ok, lambda e: show_outcome(  # type: ignore[arg-type]
            self.message, reason(e), refused=True))

    def add_student(self, student_id: uuid.UUID) -> None:
        batch = self._batch()
        if batch is None:
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: batches.add_member(replica, actor, user, batch.id, student_id),
                  f"Added to {batch.name}.")

    def _add(self) -> None:
        student_id = self.student.currentData()
        if student_id is not None:
            self.add_student(student_id)

    def _remove(self) -> None:
        batch, item = self._batch(), self.members.currentItem()
        if batch is None or item is None:
            return
        student_id = item.data(Qt.ItemDataRole.UserRole)
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: batches.remove_member(replica, actor, user, batch.id, student_id),
                  f"Removed from {batch.name} (kept in the batch's history).")
