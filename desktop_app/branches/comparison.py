"""Branches side by side: one line per branch and a combined line, for the dashboard."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view
from institute_core.analytics.branches import BranchFigures
from institute_core.display import money, number, percent


def _bold_total(row: BranchFigures) -> str | None:
    return "#eef2f7" if row.branch_id is None else None


BRANCH_COLUMNS: list[Column[BranchFigures]] = [
    Column("Branch", lambda r: r.name, _bold_total),
    Column("Active students", lambda r: number(r.students), _bold_total, align_right=True),
    Column("Attendance", lambda r: percent(r.attendance.rate), _bold_total, align_right=True,
           tooltip=lambda r: f"{number(r.attendance.attended)} of "
                             f"{number(r.attendance.counted)} marks attended"),
    Column("Hours taught", lambda r: number(r.hours_taught, 1), _bold_total, align_right=True),
    Column("Utilisation", lambda r: percent(r.utilization), _bold_total, align_right=True,
           tooltip=lambda r: "share of the hours its faculty are available"),
    Column("Inquiries", lambda r: number(r.crm.total), _bold_total, align_right=True),
    Column("Enrolled", lambda r: number(r.crm.enrolled), _bold_total, align_right=True),
    Column("Conversion", lambda r: percent(r.crm.conversion), _bold_total, align_right=True),
    Column("Fees collected", lambda r: "" if r.collected is None else money(r.collected),
           _bold_total, align_right=True,
           tooltip=lambda r: "payments received in the period that still count"),
]
COLLECTED = len(BRANCH_COLUMNS) - 1


class BranchComparison(QFrame):
    """A card with the branches' figures for the dashboard's period."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.addWidget(styled_label("Branches side by side", "subtitle"))
        self.model: RowsModel[BranchFigures] = RowsModel(BRANCH_COLUMNS, self)
        self.table = table_view(stretch_last=False)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Branches side by side")
        layout.addWidget(self.table)
        layout.addStretch(1)  # title and table together, whatever height the grid gives

    def set_rows(self, rows: list[BranchFigures]) -> None:
        self.model.set_rows(rows)
        # Money only for whoever may see it (the figures then carry it).
        self.table.setColumnHidden(COLLECTED, all(r.collected is None for r in rows))
        self.table.resizeColumnsToContents()
        # Every line visible without a scroll bar: a handful of branches and the total.
        header = self.table.horizontalHeader().height()
        self.table.setFixedHeight(header + 4 + sum(self.table.rowHeight(i)
                                                   for i in range(len(rows))))
