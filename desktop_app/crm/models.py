"""Qt models of the inquiry list: rows sorted in Python (fast for 10,000) behind a proxy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt

from desktop_app.models import Column, RowsModel
from institute_core.crm.listing import InquiryRow
from institute_core.display import short_moment

STAGE_TITLES = {"new": "New", "contacted": "Contacted",
                "follow_up_scheduled": "Follow-up scheduled", "enrolled": "Enrolled",
                "lost": "Lost"}
STAGE_COLOURS = {"new": "#e4e8f7", "contacted": "#fff1cc", "follow_up_scheduled": "#fde7d2",
                 "enrolled": "#dff3e4", "lost": "#f1f3f5"}


OPEN_STAGES = frozenset({"new", "contacted", "follow_up_scheduled"})


def score_colour(value: int) -> str:
    return "#bfe8cb" if value >= 70 else "#fff1cc" if value >= 40 else "#f9dcdc"


def score_text(row: InquiryRow) -> str:
    """The score of an open lead; closed ones (enrolled, lost) are past scoring."""
    return str(row.score_value) if row.status in OPEN_STAGES else "–"


def score_key(row: InquiryRow) -> int:
    """Open leads by score, then closed ones (so "best first" means leads to work on)."""
    return row.rank


def when_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return short_moment(moment)


def due_colour(row: InquiryRow, today: str) -> str | None:
    """Overdue red, due today yellow (`today` as "YYYY-MM-DD", like `row.next_day`)."""
    day = row.next_day
    if day is None:
        return None
    return "#f9dcdc" if day < today else "#fff1cc" if day == today else None


def inquiry_columns(today: date) -> list[tuple[Column[InquiryRow], Callable[[InquiryRow], Any]]]:
    """Each column with the key it sorts by."""
    day = today.isoformat()
    return [
        (Column("Score", score_text, lambda r: score_colour(r.score_value)
                if r.status in OPEN_STAGES else None, align_right=True,
                tooltip=lambda r: r.score.explain()), score_key),
        (Column("Name", lambda r: r.name), lambda r: r.name.lower()),
        (Column("Phone", lambda r: r.phone), lambda r: r.phone),
        (Column("Stage", lambda r: STAGE_TITLES.get(r.status, r.status),
                lambda r: STAGE_COLOURS.get(r.status)), lambda r: r.status),
        (Column("Source", lambda r: r.source.replace("_", " ")), lambda r: r.source),
        (Column("Priority", lambda r: r.priority), lambda r: r.priority),
        (Column("Next follow-up", lambda r: when_text(r.next_follow_up),
                lambda r: due_colour(r, day)),
         lambda r: r.next_at or "~"),  # stored text sorts by time; none last
        (Column("Counselor", lambda r: r.counselor), lambda r: r.counselor),
        (Column("Tags", lambda r: ", ".join(r.tags)), lambda r: ",".join(r.tags)),
        (Column("Why this score", lambda r: r.score.explain()), score_key),
    ]


class InquiryModel(RowsModel[InquiryRow]):
    """The inquiry rows; `sort()` orders the Python list itself (a proxy sort of 10,000 rows
    calls back into Python a hundred thousand times)."""

    def __init__(self, today: date, parent: Any = None) -> None:
        columns = inquiry_columns(today)
        super().__init__([c for c, _ in columns], parent)
        self._keys = [k for _, k in columns]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._keys):
            return
        self.layoutAboutToBeChanged.emit()
        key = self._keys[column]
        reverse = order == Qt.SortOrder.DescendingOrder
        self._all.sort(key=key, reverse=reverse)
        self._rows.sort(key=key, reverse=reverse)
        self.layoutChanged.emit()


class InquiryProxy(QSortFilterProxyModel):
    """The view's proxy: header clicks sort the source model's list (see `InquiryModel`)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if isinstance(source, InquiryModel):
            source.sort(column, order)
