"""A student's preferred schedule: the days of the week and the parts of the day they prefer.

Seed 000 keeps it as `{preferred_days: [], preferred_times: []}` – days and times of day, not
time slots – so it gets tick boxes rather than the week grid. A time stored by other means
("after 6 pm") is shown as its own, ticked box, so saving the form never drops it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QWidget

from institute_core.services.schedule import WEEKDAYS
from institute_core.setup.people import PREFERRED_TIMES


class PreferredScheduleEditor(QWidget):
    """Tick boxes for days and times of day; `value()` is the stored form (None if empty)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Preferred schedule")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.addWidget(QLabel("Days"), 0, 0)
        self.days: dict[str, QCheckBox] = {}
        for column, day in enumerate(WEEKDAYS, start=1):
            box = QCheckBox(day[:3].title())
            box.setToolTip(day.title())
            box.setAccessibleName(day.title())
            box.toggled.connect(self.changed)
            self._grid.addWidget(box, 0, column)
            self.days[day] = box
        self._grid.addWidget(QLabel("Times"), 1, 0)
        self.times: dict[str, QCheckBox] = {}
        for value in PREFERRED_TIMES:
            self._add_time(value)
        self._other: dict[str, Any] = {}

    def _add_time(self, value: str) -> QCheckBox:
        box = QCheckBox(value)
        box.toggled.connect(self.changed)
        column = len(self.times)
        self._grid.addWidget(box, 1 + column // 3, 1 + (column % 3) * 2, 1, 2)
        self.times[value] = box
        return box

    def set_value(self, doc: dict[str, Any] | None) -> None:
        doc = doc or {}
        days = {str(d).lower() for d in doc.get("preferred_days") or []}
        for day, box in self.days.items():
            box.setChecked(day in days)
        times = [str(t) for t in doc.get("preferred_times") or []]
        for value in times:
            if value not in self.times:
                self._add_time(value)
        for value, box in self.times.items():
            box.setChecked(value in times)
        # Anything else in the document goes back as it came.
        self._other = {k: v for k, v in doc.items()
                       if k not in ("preferred_days", "preferred_times")}

    def value(self) -> dict[str, Any] | None:
        doc = dict(self._other)
        days = [d for d, box in self.days.items() if box.isChecked()]
        times = [t for t, box in self.times.items() if box.isChecked()]
        if days:
            doc["preferred_days"] = days
        if times:
            doc["preferred_times"] = times
        return doc or None
