"""A week grid for weekly availability: days across, half hours down; drag to paint slots.

Press on a free cell and drag to mark time available; press on a marked cell and drag to clear
it. Keyboard: arrows move, Space toggles the current cell.
"""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from institute_core.services.schedule import WEEKDAYS
from institute_core.setup.week import Week

FIRST_HOUR, LAST_HOUR = 7, 21  # the grid shows 07:00–21:00
STEP_MIN = 30
ROWS = (LAST_HOUR - FIRST_HOUR) * 60 // STEP_MIN
HEADER_H, GUTTER_W = 24, 48
FREE, BUSY, LINE, CURSOR = "#ffffff", "#4c9a6a", "#d8dde3", "#1f5fbf"


def _time(row: int) -> time:
    minutes = FIRST_HOUR * 60 + row * STEP_MIN
    return time(minutes // 60, minutes % 60) if minutes < 24 * 60 else time(23, 59)


def _row(at: time) -> int:
    return (at.hour * 60 + at.minute - FIRST_HOUR * 60) // STEP_MIN


class WeekGrid(QWidget):
    """Edits a `Week`; emits `changed` after every stroke."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cells = [[False] * ROWS for _ in WEEKDAYS]
        self._paint_value: bool | None = None
        self._cursor = (0, 4)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Weekly availability")

    # --- value ----------------------------------------------------------------------------

    def set_week(self, week: Week) -> None:
        self._cells = [[False] * ROWS for _ in WEEKDAYS]
        for d, day in enumerate(WEEKDAYS):
            for start, end in week.slots(day):
                for r in range(max(0, _row(start)), min(ROWS, _row(end))):
                    self._cells[d][r] = True
        self.update()

    def week(self) -> Week:
        week = Week()
        for d, day in enumerate(WEEKDAYS):
            slots = []
            r = 0
            while r < ROWS:
                if self._cells[d][r]:
                    start = r
                    while r < ROWS and self._cells[d][r]:
                        r += 1
                    slots.append((_time(start), _time(r)))
                r += 1
            week.set_slots(day, slots)
        return week

    def is_marked(self, day: int, row: int) -> bool:
        return self._cells[day][row]

    # --- geometry -------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(GUTTER_W + 7 * 90, HEADER_H + ROWS * 14)

    def minimumSizeHint(self) -> QSize:
        return QSize(GUTTER_W + 7 * 40, HEADER_H + ROWS * 10)

    def _cell_w(self) -> float:
        return (self.width() - GUTTER_W) / len(WEEKDAYS)

    def _cell_h(self) -> float:
        return (self.height() - HEADER_H) / ROWS

    def cell_rect(self, day: int, row: int) -> QRect:
        w, h = self._cell_w(), self._cell_h()
        left, top = int(GUTTER_W + day * w), int(HEADER_H + row * h)
        right, bottom = int(GUTTER_W + (day + 1) * w), int(HEADER_H + (row + 1) * h)
        # Edges shared with the neighbours, the last ones inside the widget.
        return QRect(left, top, max(1, right - left - (day == len(WEEKDAYS) - 1)),
                     max(1, bottom - top - (row == ROWS - 1)))

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        if point.x() < GUTTER_W or point.y() < HEADER_H:
            return None
        day = int((point.x() - GUTTER_W) / self._cell_w())
        row = int((point.y() - HEADER_H) / self._cell_h())
        if 0 <= day < len(WEEKDAYS) and 0 <= row < ROWS:
            return day, row
        return None

    # --- painting -------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(FREE))
        painter.setPen(QColor("#333333"))
        for d, day in enumerate(WEEKDAYS):
            header = QRect(int(GUTTER_W + d * self._cell_w()), 0, int(self._cell_w()), HEADER_H)
            painter.drawText(header, Qt.AlignmentFlag.AlignCenter, day[:3].title())
        for r in range(0, ROWS, 60 // STEP_MIN):
            top = int(HEADER_H + r * self._cell_h())
            painter.drawText(QRect(0, top - 2, GUTTER_W - 6, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                             _time(r).strftime("%H:%M"))
        for d in range(len(WEEKDAYS)):
            for r in range(ROWS):
                rect = self.cell_rect(d, r)
                if self._cells[d][r]:
                    painter.fillRect(rect, QColor(BUSY))
                painter.setPen(QColor(LINE))
                painter.drawRect(rect)
        if self.hasFocus():
            painter.setPen(QColor(CURSOR))
            painter.drawRect(self.cell_rect(*self._cursor).adjusted(1, 1, -2, -2))
        painter.end()

    # --- editing --------------------------------------------------------------------------

    def _set(self, day: int, row: int, value: bool) -> None:
        if self._cells[day][row] != value:
            self._cells[day][row] = value
            self.update(self.cell_rect(day, row))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._cursor = cell
        self._paint_value = not self._cells[cell[0]][cell[1]]
        self._set(*cell, self._paint_value)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._paint_value is None:
            return
        cell = self.cell_at(event.position().toPoint())
        if cell is not None:
            self._set(*cell, self._paint_value)

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:
        if self._paint_value is not None:
            self._paint_value = None
            self.changed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        day, row = self._cursor
        moves = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0),
                 Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        key = Qt.Key(event.key())
        if key in moves:
            dd, dr = moves[key]
            self._cursor = (min(max(day + dd, 0), len(WEEKDAYS) - 1), min(max(row + dr, 0),
                                                                          ROWS - 1))
            self.update()
        elif key == Qt.Key.Key_Space:
            self._set(day, row, not self._cells[day][row])
            self.changed.emit()
        else:
            super().keyPressEvent(event)
