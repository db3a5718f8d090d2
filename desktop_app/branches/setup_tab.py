"""Setup → Branches: the centres of the institute, and moving a student, a batch or a faculty
member to another one.

Admins only (Setup is). A transfer keeps a history (`student_branch_moves`,
`batch_branch_moves`, `faculty_branch_moves`), shown under the form for the chosen record;
what goes along with a batch or a faculty member is said under the form (docs/branches.md).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
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
from institute_core.display import count, date_text, number

BRANCH_COLUMNS: list[Column[BranchRow]] = [
    Column("Branch", lambda b: b.name),
    Column("Code", lambda b: b.code),
    Column("Phone", lambda b: b.phone or ""),
    Column("GSTIN", lambda b: b.gstin or ""),
    Column("Time zone", lambda b: b.time_zone),
    Column("Students", lambda b: number(b.students), align_right=True),
    Column("Staff", lambda b: number(b.staff), align_right=True),
]


# What can move, as the form names it, and what goes along (said under the form).
TRANSFERS = {
    "student": ("A student", "Their whole history goes along; their sessions still scheduled "
                             "from today are held at the new branch."),
    "batch": ("A batch", "Its current students go along (each with their history and "
                         "scheduled sessions); its future class days follow the batch, days "
                         "already taught stay as recorded."),
    "faculty": ("A faculty member", "Their home branch changes; their sessions stay with "
                                    "their students' branches. Unless kept, they stop working "
                                    "in the old branch."),
}


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

        move_box = QGroupBox("Transfer to another branch")
        move = QFormLayout(move_box)
        self.what = QComboBox()
        for kind, (title, _hint) in TRANSFERS.items():
            self.what.addItem(title, kind)
        self.record = QComboBox()
        self.record.setEditable(True)
        self.to_branch = QComboBox()
        self.why = QLineEdit()
        self.why.setPlaceholderText("reason, kept in the history")
        self.keep_old = QCheckBox("Keeps teaching in the old branch too")
        self.goes_along = styled_label("", "hint")
        self.goes_along.setWordWrap(True)
        self.transfer_button = QPushButton("Transfer")
        self.history = QListWidget()
        self.history.setAccessibleName("Branch history")
        for label, widget in (("Move", self.what), ("Who", self.record),
                              ("To branch", self.to_branch), ("Reason", self.why)):
            widget.setAccessibleName(label)
            move.addRow(label, widget)
        move.addRow(self.keep_old)
        move.addRow(self.goes_along)
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
        self.record.currentIndexChanged.connect(lambda _i: self._load_history())
        self.what.currentIndexChanged.connect(lambda _i: self._show_records())
        self._choices: dict[str, list[tuple[uuid.UUID, str]]] = {k: [] for k in TRANSFERS}

    # --- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: (service.list_branches(replica),
                                        service.transfer_choices(replica)), self._on_loaded)

    def _on_loaded(self, result: tuple[list[BranchRow],
                                       dict[str, list[tuple[uuid.UUID, str]]]]) -> None:
        rows, self._choices = result
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        target = self.to_branch.currentData()
        self.to_branch.clear()
        for row in rows:
            self.to_branch.addItem(f"{row.name} ({row.code})", row.id)
        self.to_branch.setCurrentIndex(max(0, index_of(self.to_branch, target)))
        self._show_records()
        index = next((i for i, r in enumerate(rows) if r.id == self._editing), 0)
        if rows:
            self.table.setCurrentIndex(self.model.index(index, 0))
        self.loaded.emit()

    def _show_records(self) -> None:
        """The records of the chosen kind, keeping the one chosen if it is still there."""
        kind = str(self.what.currentData())
        chosen = self.record.currentData()
        self.record.blockSignals(True)
        self.record.clear()
        for record_id, label in self._choices.get(kind, []):
            self.record.addItem(label, record_id)
        self.record.blockSignals(False)
        if chosen is not None and index_of(self.record, chosen) >= 0:
            self.record.setCurrentIndex(index_of(self.record, chosen))
        self.keep_old.setVisible(kind == "faculty")
        self.goes_along.setText(TRANSFERS[kind][1])
        self._load_history()

    def _load_history(self) -> None:
        record_id, kind = self.record.currentData(), str(self.what.currentData())
        if record_id is None:
            self.history.clear()
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: service.branch_history(replica, kind, record_id),
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
        kind = str(self.what.currentData())
        record_id, to_branch = self.record.currentData(), self.to_branch.currentData()
        if record_id is None or to_branch is None:
            show_outcome(self.message, f"Choose {TRANSFERS[kind][0].lower()} and the branch "
                         "to move to.", refused=True)
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        why = self.why.text().strip() or None
        keep = self.keep_old.isChecked()
        label, target = self.record.currentText(), self.to_branch.currentText()

        def _do_transfer() -> str:
            if kind == "batch":
                went = service.transfer_batch(replica, actor, user, record_id, to_branch,
                                              reason=why)
                return f" with {count(went, 'student')}"
            if kind == "faculty":
                service.transfer_faculty(replica, actor, user, record_id, to_branch,
                                         keep_old=keep, reason=why)
                return ", teaching in both" if keep else ""
            service.transfer_student(replica, actor, user, record_id, to_branch, reason=why)
            return ""

        self._ctx.tasks.run_db(
            _do_transfer,
            lambda extra: self._done(f"{label} moved to {target}{extra}; the history keeps "
                                     "it."),
            lambda e: show_outcome(self.message, reason(e), refused=True))

    def _done(self, text: str) -> None:
        show_outcome(self.message, text)
        self.why.clear()
        self.sig_saved.emit()
        self.refresh()
