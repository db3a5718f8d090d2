"""A table model over plain value objects, used by every list of the app.

Rows are frozen dataclasses handed over with `set_rows()`; columns say how to show a row. The
model never reads the database (Vorta's archive table model, Anki's browser).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its header, the text of a row, and optionally a background colour."""

    title: str
    text: Callable[[R], str]
    background: Callable[[R], str | None] | None = None
    align_right: bool = False
    tooltip: Callable[[R], str] | None = None


class RowsModel(QAbstractTableModel, Generic[R]):
    """Read-only rows of value objects."""

    def __init__(self, columns: Sequence[Column[R]], parent: Any = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._all: list[R] = []
        self._rows: list[R] = []
        # Filters by slot ("text" for a search box, "branch" for the branch picker): a row
        # is shown when every slot's filter keeps it.
        self._keeps: dict[str, Callable[[R], bool]] = {}

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._rows = self._filtered()
        self.endResetModel()

    def set_filter(self, keep: Callable[[R], bool] | None, *, slot: str = "text") -> None:
        """Show only rows for which `keep` is true (None shows all), together with the
        filters of the other slots.

        Filtering here, in one list comprehension, costs a few milliseconds for thousands of
        rows; a proxy's per-row filterAcceptsRow call into Python costs ten times more.
        """
        self.beginResetModel()
        if keep is None:
            self._keeps.pop(slot, None)
        else:
            self._keeps[slot] = keep
        self._rows = self._filtered()
        self.endResetModel()

    def _filtered(self) -> list[R]:
        keeps = list(self._keeps.values())
        if not keeps:
            return list(self._all)
        if len(keeps) == 1:
            keep = keeps[0]
            return [r for r in self._all if keep(r)]
        if len(keeps) == 2:  # search and branch: no generator per row on a keystroke
            first, second = keeps
            return [r for r in self._all if first(r) and second(r)]
        return [r for r in self._all if all(k(r) for k in keeps)]

    def replace_row(self, row: int, value: R) -> None:
        self._rows[row] = value
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self._columns) - 1))

    def row_at(self, row: int) -> R:
        return self._rows[row]

    @property
    def rows(self) -> list[R]:
        """The rows shown (after the filter)."""
        return self._rows

    @property
    def total(self) -> int:
        """All rows, shown or filtered out."""
        return len(self._all)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._rows[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(value)
        if role == Qt.ItemDataRole.BackgroundRole and column.background is not None:
            colour = column.background(value)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


# Status colours shared by attendance and progress (light backgrounds, readable text).
STATUS_COLOURS: dict[str, str] = {
    "present": "#dff3e4", "late": "#fff1cc", "absent": "#f9dcdc", "excused": "#e4e8f7",
    "not_started": "#f1f3f5", "in_progress": "#fff1cc", "completed": "#dff3e4",
    "mastered": "#bfe8cb", "needs_review": "#f9dcdc",
}
