"""Follow-ups: the counselor's home – due today and overdue; complete one with its outcome and
the proposed next contact. Further tabs hold feedback to review, rewards and penalties, and
charts of the feedback."""

from __future__ import annotations

from datetime import date, datetime, time
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.crm.feedback_view import FeedbackView
from desktop_app.crm.points_view import PointsView
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import date_field, styled_label, table_view, title_label
from institute_core.crm.followups import (
    FollowUpBoard,
    FollowUpRow,
    complete_follow_up,
    follow_up_board,
    propose_next_date,
    roll_over_missed,
)
from institute_core.display import long_date, short_moment
from institute_core.enums import FollowUpType
from institute_core.validation import InvalidInput, not_saved

FOLLOW_UP_COLUMNS: list[Column[FollowUpRow]] = [
    Column("When", lambda r: short_moment(r.when)),
    Column("Name", lambda r: r.name),
    Column("Phone", lambda r: r.phone),
    Column("How", lambda r: r.kind),
    Column("Status", lambda r: r.status, lambda r: "#f9dcdc" if r.status == "missed" else None),
    Column("Contacts so far", lambda r: str(r.completed_contacts), align_right=True),
    Column("Notes", lambda r: r.notes),
]


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class FollowUpsView(QWidget):
    """Due today and overdue follow-ups, and completing them."""

    sig_saved = Signal()
    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.today = today or date.today()
        self.current: FollowUpRow | None = None
        layout = QVBoxLayout(self)
        self.heading = title_label(f"Follow-ups – {long_date(self.today)}")
        heading = QHBoxLayout()
        heading.addWidget(self.heading, 1)
        self.branch = BranchPicker(ctx)
        heading.addWidget(self.branch)
        layout.addLayout(heading)
        splitter = QSplitter()
        lists = QWidget()
        lists_layout = QVBoxLayout(lists)
        lists_layout.setContentsMargins(0, 0, 0, 0)
        self.due_title = styled_label("Due today", "counts")
        self.due_model: RowsModel[FollowUpRow] = RowsModel(FOLLOW_UP_COLUMNS, self)
        self.due_table = table_view()
        self.due_table.setModel(self.due_model)
        self.due_table.setAccessibleName("Due today")
        self.overdue_title = styled_label("Overdue", "counts")
        self.overdue_model: RowsModel[FollowUpRow] = RowsModel(FOLLOW_UP_COLUMNS, self)
        self.overdue_table = table_view()
        self.overdue_table.setModel(self.overdue_model)
        self.overdue_table.setAccessibleName("Overdue")
        for model in (self.due_model, self.overdue_model):
            self.branch.filter_rows(model, attrgetter("branch_id"), after=self._show_counts)
        for w in (self.due_title, self.due_table, self.overdue_title, self.overdue_table):
            lists_layout.addWidget(w)
        splitter.addWidget(lists)
        splitter.addWidget(self._complete_panel())
        splitter.setSizes([820, 380])
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Follow-ups")
        # Feedback review is part of the desk's day but not its first look: built when opened.
        self.feedback_tab = QWidget()
        self._feedback_layout = QVBoxLayout(self.feedback_tab)
        self._feedback_layout.setContentsMargins(0, 0, 0, 0)
        self.feedback: FeedbackView | None = None
        self.tabs.addTab(self.feedback_tab, "Feedback")
        self.points_tab = QWidget()
        self._points_layout = QVBoxLayout(self.points_tab)
        self._points_layout.setContentsMargins(0, 0, 0, 0)
        self.points: PointsView | None = None
        self.tabs.addTab(self.points_tab, "Rewards and penalties")
        # Charts (pyqtgraph) load when the tab is first opened, and re-read each time it is
        # shown: feedback recorded in the Feedback tab counts at once.
        self.insights_tab = QWidget()
        self._insights_layout = QVBoxLayout(self.insights_tab)
        self._insights_layout.setContentsMargins(0, 0, 0, 0)
        self.insights: Any = None
        self.tabs.addTab(self.insights_tab, "Feedback insights")
        self.tabs.currentChanged.connect(lambda _i: self._on_tab_changed())
        layout.addWidget(self.tabs, 1)
        for table, model in ((self.due_table, self.due_model),
                             (self.overdue_table, self.overdue_model)):
            table.selectionModel().currentRowChanged.connect(
                lambda current, _prev, m=model: self._on_pick(m, current))
        self.refresh()

    def _on_tab_changed(self) -> None:
        if self.tabs.currentWidget() is self.feedback_tab and self.feedback is None:
            self.feedback = FeedbackView(self._ctx)
            self.feedback.sig_saved.connect(self.sig_saved)
            self._feedback_layout.addWidget(self.feedback)
        if self.tabs.currentWidget() is self.points_tab and self.points is None:
            self.points = PointsView(self._ctx)
            self.points.sig_saved.connect(self.sig_saved)
            self._points_layout.addWidget(self.points)
        if self.tabs.currentWidget() is self.insights_tab:
            if self.insights is None:
                from desktop_app.crm.feedback_insights_view import FeedbackInsightsView

                self.insights = FeedbackInsightsView(self._ctx, self.today)
                self._insights_layout.addWidget(self.insights)
            self.insights.load()

    def _complete_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.picked = styled_label("Select a follow-up to complete it.", "subtitle")
        layout.addWidget(self.picked)
        form = QFormLayout()
        self.outcome = QPlainTextEdit()
        self.outcome.setPlaceholderText("What came of it? (required)")
        self.outcome.setMaximumHeight(90)
        self.schedule_next = QCheckBox("Schedule the next follow-up")
        self.schedule_next.setChecked(True)
        self.next_date = date_field(_qdate(self.today))
        self.next_date.setCalendarPopup(True)
        self.next_date.setDisplayFormat("ddd d MMM yyyy")
        self.next_type = QComboBox()
        for kind in FollowUpType:
            self.next_type.addItem(kind.value, kind.value)
        form.addRow("Outcome", self.outcome)
        form.addRow("", self.schedule_next)
        form.addRow("Next on", self.next_date)
        form.addRow("Next by", self.next_type)
        layout.addLayout(form)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.complete_button = QPushButton("Complete")
        self.complete_button.setObjectName("primary")
        self.complete_button.setEnabled(False)
        buttons.addStretch(1)
        buttons.addWidget(self.complete_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.schedule_next.toggled.connect(self.next_date.setEnabled)
        self.schedule_next.toggled.connect(self.next_type.setEnabled)
        self.complete_button.clicked.connect(self.complete)
        return panel

    def refresh(self) -> None:
        replica, actor, user_id, today = (self._ctx.replica, self._ctx.actor,
                                          self._ctx.user.user_id, self.today)

        def load() -> FollowUpBoard:
            roll_over_missed(replica, actor, today)
            return follow_up_board(replica, user_id, today)

        self._ctx.tasks.run_db(load, self._on_loaded, self._on_failed)

    def _on_loaded(self, board: FollowUpBoard) -> None:
        self.due_model.set_rows(board.due_today)
        self.overdue_model.set_rows(board.overdue)
        self._show_counts()
        self.current = None
        self.complete_button.setEnabled(False)
        shown = self.due_model.rowCount() + self.overdue_model.rowCount()
        self.picked.setText("Select a follow-up to complete it." if shown
                            else "Nothing due. Well done.")
        first = self.due_table if self.due_model.rowCount() else self.overdue_table
        model = first.model()
        if model.rowCount():
            first.setCurrentIndex(model.index(0, 0))
            first.setFocus()
        self.sig_loaded.emit()

    def _show_counts(self) -> None:
        """The lists' titles count what is shown (the picked branch's)."""
        self.due_title.setText(f"Due today ({self.due_model.rowCount()})")
        self.overdue_title.setText(f"Overdue ({self.overdue_model.rowCount()})")

    def _on_pick(self, model: RowsModel[FollowUpRow], current: QModelIndex) -> None:
        if not current.isValid():
            return
        other: QTableView = self.overdue_table if model is self.due_model else self.due_table
        other.clearSelection()
        row = model.row_at(current.row())
        self.current = row
        self.picked.setText(f"{row.name} · {row.phone} · {row.kind} · "
                            f"{short_moment(row.when)} ({row.status})")
        self.next_date.setDate(_qdate(propose_next_date(self.today, row.completed_contacts + 1)))
        self.next_type.setCurrentIndex(self.next_type.findData(row.kind))
        self.complete_button.setEnabled(True)
        self.message.setText("")

    def complete(self) -> None:
        row = self.current
        if row is None:
            return
        outcome = self.outcome.toPlainText()
        next_at = None
        if self.schedule_next.isChecked():
            d = self.next_date.date()
            next_at = datetime.combine(date(d.year(), d.month(), d.day()), time(11)).astimezone()
        kind = self.next_type.currentData()
        replica, actor = self._ctx.replica, self._ctx.actor
        self.complete_button.setEnabled(False)
        self._ctx.tasks.run_db(
            lambda: complete_follow_up(replica, actor, row.id, outcome, next_at, kind),
            self._on_completed, self._on_failed)

    def _on_completed(self, _result: object) -> None:
        self.outcome.clear()
        self.sig_saved.emit()
        self.refresh()

    def _on_failed(self, exc: BaseException) -> None:
        self.complete_button.setEnabled(self.current is not None)
        self.message.setText(not_saved(exc))
        if isinstance(exc, InvalidInput):
            self.outcome.setFocus()
