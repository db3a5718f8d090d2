"""Setup → Branches: the centres of the institute, and moving a student to another one.

Admins only (Setup is). A transfer keeps the student's history (`student_branch_moves`),
shown under the form for the chosen student.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.setup.forms import reason, show_outcome
from desktop_app.widgets import index_of, styled_label, table_view
from institute_core.branches import service
from institute_core.branches.service import BranchMove, BranchRow
from institute_core.display import date_text, number
from institute_core.setup import batches

BRANCH_COLUMNS: list[Column[BranchRow]] = [
    Column("Branch", lambda b: b.name),
    Column("Code", lambda b: b.code),
    Column("Phone", lambda b: b.phone or ""),
    Column("GSTIN", lambda b: b.gstin or ""),
    Column("Time zone", lambda b: b.time_zone),
    Column("Students", lambda b: number(b.students), align_right=True),
    Column("Staff", lambda b: number(b.staff), align_right=True),
]


def _move_text(move: BranchMove) -> str:
    where = f"{move.from_branch} → {move.to_branch}" if move.from_branch else move.to_branch
    return f"{date_text(move.moved_on)} · {where}" + (f" ({move.reason})" if move.reason else "")


class BranchesTab(QWidget):
    """The branch list with a form to add or change one, and a student transfer."""

    sig_saved = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        layout = QVBoxLayout(self)
        split = QSplitter()
        self.model: RowsModel[BranchRow] = RowsModel(BRANCH_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Branches")
        split.addWidget(self.table)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        form_box = QGroupBox("Branch")
        form = QFormLayout(form_box)
        self.name, self.code, self.address = QLineEdit(), QLineEdit(), QLineEdit()
        self.phone, self.gstin, self.time_zone = QLineEdit(), QLineEdit(), QLineEdit()
        self.code.setMaxLength(16)
        self.gstin.setMaxLength(15)
        self.code.setPlaceholderText("short, on documents: NOR")
        self.gstin.setPlaceholderText("only once it collects fees")
        for label, edit in (("Name", self.name), ("Code", self.code), ("Address", self.address),
                            ("Phone", self.phone), ("GSTIN", self.gstin),
                            ("Time zone", self.time_zone)):
            edit.setAccessibleName(label)
            form.addRow(label, edit)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New branch")
        self.save_button = QPushButton("Save")
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        form.addRow(buttons)
        side_layout.addWidget(form_box)

        move_box = QGroupBox("Transfer a student")
        move = QFormLayout(move_box)
        self.student = QComboBox()
        self.student.setEditable(True)
        self.to_branch = QComboBox()
        self.why = QLineEdit()
        self.why.setPlaceholderText("reason, kept in the history")
        self.transfer_button = QPushButton("Transfer")
        self.history = QListWidget()
        self.history.setAccessibleName("Branch history")
        for label, widget in (("Student", self.student), ("To branch", self.to_branch),
                              ("Reason", self.why)):
            widget.setAccessibleName(label)
            move.addRow(label, widget)
        move.addRow(self.transfer_button)
        move.addRow("History", self.history)
        side_layout.addWidget(move_box, 1)
        split.addWidget(side)
        split.setSizes([620, 380])
        layout.addWidget(split, 1)
        self.message = styled_label("", "hint")
        layout.addWidget(self.message)

        self._editing: uuid.UUID | None = None
        self.table.selectionModel().currentRowChanged.connect(lambda c, _p: self._fill())
        self.new_button.clicked.connect(self._new)
        self.save_button.clicked.connect(self._save)
        self.transfer_button.clicked.connect(self._transfer)
        self.student.currentIndexChanged.connect(lambda _i: self._load_history())

    # --- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: (service.list_branches(replica),
                                        batches.student_choices(replica)), self._on_loaded)

    def _on_loaded(self, result: tuple[list[BranchRow], list[tuple[uuid.UUID, str]]]) -> None:
        rows, students = result
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.to_branch.clear()
        for row in rows:
            self.to_branch.addItem(f"{row.name} ({row.code})", row.id)
        chosen = self.student.currentData()
        self.student.blockSignals(True)
        self.student.clear()
        for student_id, label in students:
            self.student.addItem(label, student_id)
        self.student.blockSignals(False)
        if chosen is not None and index_of(self.student, chosen) >= 0:
            self.student.setCurrentIndex(index_of(self.student, chosen))
        index = next((i for i, r in enumerate(rows) if r.id == self._editing), 0)
        if rows:
            self.table.setCurrentIndex(self.model.index(index, 0))
        self._load_history()
        self.loaded.emit()

    def _load_history(self) -> None:
        student_id = self.student.currentData()
        if student_id is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: service.student_branch_history(replica, student_id),
                               self._on_history)

    def _on_history(self, moves: list[BranchMove]) -> None:
        self.history.clear()
        self.history.addItems([_move_text(m) for m in moves] or ["never moved"])

    # --- editing ----------------------------------------------------------------------------

    def _current(self) -> BranchRow | None:
        row = self.table.currentIndex().row()
        return self.model.row_at(row) if 0 <= row < self.model.rowCount() else None

    def _fill(self) -> None:
        branch = self._current()
        if branch is None:
            return
        self._editing = branch.id
        for edit, value in ((self.name, branch.name), (self.code, branch.code),
                            (self.address, branch.address), (self.phone, branch.phone),
                            (self.gstin, branch.gstin), (self.time_zone, branch.time_zone)):
            edit.setText(value or "")

    def _new(self) -> None:
        self._editing = None
        self.table.clearSelection()
        for edit in (self.name, self.code, self.address, self.phone, self.gstin):
            edit.clear()
        self.time_zone.setText("Asia/Kolkata")
        self.name.setFocus()

    def _save(self) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        branch_id, name, code = self._editing, self.name.text(), self.code.text()
        address = self.address.text().strip() or None
        phone = self.phone.text().strip() or None
        gstin = self.gstin.text().strip() or None
        time_zone = self.time_zone.text() or "Asia/Kolkata"

        def saved(new_id: uuid.UUID) -> None:
            self._editing = new_id
            self._done(f"Saved {name.strip()}.")

        self._ctx.tasks.run_db(
            lambda: service.save_branch(replica, actor, user, branch_id, name=name, code=code,
                                        address=address, phone=phone, gstin=gstin,
                                        time_zone=time_zone), saved,
            lambda e: show_outcome(self.message, reason(e), refused=True))

    def _transfer(self) -> None:
        student_id, to_branch = self.student.currentData(), self.to_branch.currentData()
        if student_id is None or to_branch is None:
            show_outcome(self.message, "Choose a student and the branch they move to.",
                         refused=True)
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        why = self.why.text().strip() or None
        label, target = self.student.currentText(), self.to_branch.currentText()
        self._ctx.tasks.run_db(
            lambda: service.transfer_student(replica, actor, user, student_id, to_branch,
                                             reason=why),
            lambda _r: self._done(f"{label} moved to {target}; the history keeps it."),
            lambda e: show_outcome(self.message, reason(e), refused=True))

    def _done(self, text: str) -> None:
        show_outcome(self.message, text)
        self.why.clear()
        self.sig_saved.emit()
        self.refresh()
