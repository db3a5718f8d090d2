"""The roster as a Qt table model (no widgets, no database: fed RosterRow value objects)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop_app.models import STATUS_COLOURS
from institute_core.display import time_text
from institute_core.enums import AttendanceStatus
from institute_core.services.attendance import RosterRow

Index = QModelIndex | QPersistentModelIndex
STATUS_TEXT = {AttendanceStatus.PRESENT: "Present", AttendanceStatus.ABSENT: "Absent",
               AttendanceStatus.LATE: "Late", AttendanceStatus.EXCUSED: "Excused"}
# "Topics (level)": short enough to stay readable when topics and notes share a narrow roster.
HEADERS = ("#", "Enrollment", "Student", "Status", "Check-in", "Topics (level)", "Notes")
STATUS_COLUMN = 3
TOPICS_COLUMN = 5
NOTES_COLUMN = 6


class AttendanceModel(QAbstractTableModel):
    """One row per student of the session, showing what is saved (or being saved)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[RosterRow] = []
        self._index: dict[uuid.UUID, int] = {}

    # --- feeding -------------------------------------------------------------------------------

    def set_rows(self, rows: tuple[RosterRow, ...] | list[RosterRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._index = {r.student_id: i for i, r in enumerate(self._rows)}
        self.endResetModel()

    def update(self, student_id: uuid.UUID, **changes: Any) -> None:
        """Change some fields of one student's row (e.g. status and check_in)."""
        row = self._index.get(student_id)
        if row is None:
            return
        self._rows[row] = replace(self._rows[row], **changes)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    @property
    def rows(self) -> tuple[RosterRow, ...]:
        return tuple(self._rows)

    def row_at(self, row: int) -> RosterRow:
        return self._rows[row]

    def row_of(self, student_id: uuid.UUID) -> int | None:
        return self._index.get(student_id)

    def counts(self) -> dict[str, int]:
        """How many students have each status, and how many are unmarked."""
        counts = {s.value: 0 for s in AttendanceStatus} | {"unmarked": 0}
        for r in self._rows:
            counts[r.status.value if r.status else "unmarked"] += 1
        return counts

    # --- Qt ------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == STATUS_COLUMN and r.status:
            return QBrush(QColor(STATUS_COLOURS[r.status.value]))
        if role == Qt.ItemDataRole.ToolTipRole and column in (TOPICS_COLUMN, NOTES_COLUMN):
            return self._text(r, column) or None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{r.name}: {self._text(r, STATUS_COLUMN)}"
        return None

    @staticmethod
    def _text(r: RosterRow, column: int) -> str:
        if column == 0:
            return str(r.position)
        if column == 1:
            return r.enrollment_no
        if column == 2:
            return r.name
        if column == STATUS_COLUMN:
            return STATUS_TEXT[r.status] if r.status else "—"
        if column == 4:
            return time_text(r.check_in) if r.check_in else ""
        if column == 5:
            return ", ".join(f"{t.name} ({t.level})" if t.level else t.name for t in r.topics)
        return r.notes.replace("\n", " ")
