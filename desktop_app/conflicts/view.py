"""Conflicts: what sync overwrote (field, both values, who, when), and restoring a loser."""

from __future__ import annotations

import json
from operator import attrgetter
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view, title_label
from institute_core.audit.names import record_kind
from institute_core.display import short_moment
from institute_core.services import conflicts
from institute_core.services.conflicts import ConflictRow


def _show(value: Any) -> str:
    if value is None:
        return "(empty)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


CONFLICT_COLUMNS: list[Column[ConflictRow]] = [
    Column("When", lambda c: short_moment(c.when)),
    Column("Record", lambda c: f"{record_kind(c.table).capitalize()}: {c.row_label}"),
    Column("Field", lambda c: c.field.replace("_", " ")),
    Column("Kept value", lambda c: _show(c.kept_value), lambda _c: "#dff3e4"),
    Column("Kept from", lambda c: c.kept_by),
    Column("Overwritten value", lambda c: _show(c.lost_value), lambda _c: "#f9dcdc"),
    Column("Overwritten from", lambda c: c.lost_by),
    Column("Why", lambda c: c.note or c.kind.replace("_", " ")),
]


class ConflictsView(QWidget):
    """Open conflicts; restore the overwritten value (a new edit) or keep the current one."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        layout = QVBoxLayout(self)
        heading = QHBoxLayout()
        heading.addWidget(title_label("Conflicts"), 1)
        self.branch = BranchPicker(ctx)
        heading.addWidget(self.branch)
        layout.addLayout(heading)
        layout.addWidget(styled_label(
            "When two people changed the same field before syncing, the server kept one value. "
            "Restoring the overwritten value makes it a new change that syncs like any other.",
            "subtitle"))
        self.model: RowsModel[ConflictRow] = RowsModel(CONFLICT_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Conflicts")
        # A conflict over the syllabus or an account concerns every branch: shown under each.
        self.branch.filter_rows(self.model, attrgetter("branch_id"), everywhere=True)
        layout.addWidget(self.table, 1)
        self.message = styled_label("", "hint")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.keep_button = QPushButton("Keep the current value")
        self.restore_button = QPushButton("Restore the overwritten value")
        self.restore_button.setObjectName("primary")
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.restore_button)
        layout.addLayout(buttons)
        self.restore_button.clicked.connect(self.restore_selected)
        self.keep_button.clicked.connect(self.keep_selected)
        self.refresh()

    def refresh(self, done: str = "") -> None:
        """Reload the list; `done` (what was just done) stays said above what is left."""
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: conflicts.list_conflicts(replica),
                               lambda rows: self._on_loaded(rows, done))

    def _on_loaded(self, rows: tuple[ConflictRow, ...], done: str = "") -> None:
        self.model.set_rows(rows)
        left = "" if rows else "Nothing else needs your attention." if done \
            else "Nothing needs your attention."
        self.message.setText(" ".join(t for t in (done, left) if t))
        if rows:
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _selected(self) -> ConflictRow | None:
        row = self.table.currentIndex().row()
        return self.model.row_at(row) if 0 <= row < self.model.rowCount() else None

    def restore_selected(self) -> None:
        conflict = self._selected()
        if conflict is None:
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(
            lambda: conflicts.restore_lost_value(replica, actor, conflict.id),
            lambda _v: self._on_done(f"Restored {conflict.field} of {conflict.row_label}."),
            lambda e: self.message.setText(f"Could not restore: {e}"))

    def keep_selected(self) -> None:
        conflict = self._selected()
        if conflict is None:
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(lambda: conflicts.dismiss(replica, actor, conflict.id),
                               lambda _v: self._on_done("Kept the current value."))

    def _on_done(self, text: str) -> None:
        self.message.setText(text)
        self.refresh(text)
        self.sig_saved.emit()
