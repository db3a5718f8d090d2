"""Students: a searchable list that stays smooth with thousands, and the student page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.students.page import StudentPageView
from desktop_app.widgets import styled_label, table_view, title_label
from institute_core.display import count, date_text, number
from institute_core.services.students import StudentRow, list_students

STUDENT_COLUMNS: list[Column[StudentRow]] = [
    Column("Enrollment", lambda r: r.enrollment_no),
    Column("Name", lambda r: r.name),
    Column("Email", lambda r: r.email),
    Column("Phone", lambda r: r.phone),
    Column("Status", lambda r: r.status),
    Column("Admitted", lambda r: date_text(r.admission_date)),
]


def search_predicate(text: str) -> Callable[[StudentRow], bool] | None:
    """Rows whose search text holds every typed word (enrollment, name, email, phone)."""
    words = text.lower().split()
    if not words:
        return None
    if len(words) == 1:
        word = words[0]
        return lambda r: word in r.haystack
    return lambda r: all(w in r.haystack for w in words)


class StudentSortProxy(QSortFilterProxyModel):
    """Sorting by a column on demand; filtering happens in the source model (see RowsModel)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(False)


class StudentsView(QWidget):
    """The list, and the page of the student opened from it."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.stack.addWidget(self._list_page())
        self.page = StudentPageView(ctx)
        self.page.sig_back.connect(self._on_back)
        self.page.sig_saved.connect(self.sig_saved)
        self.stack.addWidget(self.page)
        self.refresh()

    def _list_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(title_label("Students"))
        search_row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, enrollment number, email or phone "
                                       "(Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        search_row.addWidget(self.search, 1)
        self.count = styled_label("", "subtitle")
        search_row.addWidget(self.count)
        self.open_button = QPushButton("Open")
        self.branch = BranchPicker(self._ctx)
        search_row.addWidget(self.branch)
        search_row.addWidget(self.open_button)
        layout.addLayout(search_row)
        self.model: RowsModel[StudentRow] = RowsModel(STUDENT_COLUMNS, self)
        self.proxy = StudentSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = table_view()
        # Sizing to contents would measure every row of thousands: fixed, user-resizable widths.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(150)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setModel(self.proxy)
        self.table.setColumnWidth(1, 220)
        self.table.setColumnWidth(2, 260)
        self.table.setAccessibleName("Students")
        self.branch.filter_rows(self.model, attrgetter("branch_id"), after=self._update_count)
        layout.addWidget(self.table, 1)
        self.search.textChanged.connect(self._on_search)
        self.search.returnPressed.connect(self.open_selected)
        self.table.doubleClicked.connect(self.open_selected)
        self.open_button.clicked.connect(self.open_selected)
        find = QShortcut(QKeySequence("Ctrl+F"), page)
        find.activated.connect(self.search.setFocus)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.open_selected)
        self.setTabOrder(self.search, self.table)
        return page

    def refresh(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: list_students(replica), self._on_loaded)

    def _on_loaded(self, rows: tuple[StudentRow, ...]) -> None:
        self.model.set_rows(rows)
        self._update_count()

    def _on_search(self, text: str) -> None:
        self.model.set_filter(search_predicate(text))
        self._update_count()
        if self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(0, 0))

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.total
        self.count.setText(f"{number(shown)} of {number(total)}" if shown != total
                           else count(total, "student"))

    def open_selected(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid() and self.proxy.rowCount():
            index = self.proxy.index(0, 0)
        if not index.isValid():
            return
        row = self.model.row_at(self.proxy.mapToSource(index).row())
        self.open_student(row.id)

    def open_student(self, student_id: uuid.UUID) -> None:
        self.stack.setCurrentWidget(self.page)
        self.page.load(student_id)

    def open_record(self, record_id: uuid.UUID) -> None:
        """Another section asked for this student (the shell's `open_record`)."""
        self.open_student(record_id)

    def _on_back(self) -> None:
        self.stack.setCurrentIndex(0)
        self.table.setFocus()
