"""The Fees section: who owes what and for how long, the total outstanding, and the actions.

A model/view list fed plain rows from the database worker (institute_core.fees.desk.dues):
filtered by ageing bucket and by typed words (name, enrollment, counselor, subject) in the
model, sorted by the proxy. Taking a payment prints its receipt at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QDate, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.documents import open_pdf
from desktop_app.fees.admin import FeeSetupView
from desktop_app.fees.dialogs import FeeHeadDialog, FollowUpDialog, PaymentDialog
from desktop_app.fees.panel import receipts_dir
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import date_field, styled_label, table_view, title_label
from institute_core.display import count, date_text, money
from institute_core.fees import admin as fa
from institute_core.fees import desk
from institute_core.fees.dues import DueRow, DuesSummary
from institute_core.fees.ledger import BUCKETS, ledger_of
from institute_core.fees.money_reports import REPORTS
from institute_core.fees.plans import add_fee_head
from institute_core.validation import person_message

BUCKET_COLOURS = {BUCKETS[0]: None, BUCKETS[1]: "#fff1cc", BUCKETS[2]: "#fbe7d4",
                  BUCKETS[3]: "#f9dcdc", BUCKETS[4]: "#f3c0c0", "In credit": "#e3f3d8"}
DUE_COLUMNS: list[Column[DueRow]] = [
    Column("Enrollment", lambda r: r.enrollment_no),
    Column("Student", lambda r: r.name),
    Column("Phone", lambda r: r.phone or ""),
    Column("Outstanding", lambda r: money(r.outstanding), align_right=True),
    Column("Overdue", lambda r: money(r.overdue) if r.overdue else "", align_right=True),
    Column("Ageing", lambda r: r.bucket, lambda r: BUCKET_COLOURS.get(r.bucket)),
    Column("Oldest due", lambda r: date_text(r.oldest_due_on) if r.oldest_due_on else ""),
    Column("Next due", lambda r: date_text(r.next_due_on) if r.next_due_on else ""),
    Column("In credit", lambda r: money(r.credit) if r.credit else "", align_right=True),
    Column("Follow-up", lambda r: _when(r.follow_up_at)),
    Column("Counselor", lambda r: r.counselor),
    Column("Subjects", lambda r: r.subjects),
]
ALL = "All dues"


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _when(moment: datetime | None) -> str:
    """A follow-up's time in the desk's local time ("7 Dec 2026, 10:30")."""
    if moment is None:
        return ""
    local = moment.astimezone()
    return f"{date_text(local.date())}, {local:%H:%M}"

OVERDUE = "Overdue (defaulters)"


def dues_filter(bucket: str, text: str) -> Callable[[DueRow], bool] | None:
    words = text.lower().split()
    if bucket == ALL and not words:
        return None

    def keep(row: DueRow) -> bool:
        if bucket == OVERDUE and row.overdue <= 0:
            return False
        if bucket not in (ALL, OVERDUE) and row.bucket != bucket:
            return False
        return all(w in row.haystack for w in words)
    return keep


class FeesView(QWidget):
    """Dues with ageing; take a payment or print a statement for the selected student."""

    sig_saved = Signal()
    sig_navigate = Signal(str, object)  # (section id, record id): open the student

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.summary: DuesSummary | None = None
        self.last_report: object = None
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Fees and dues"))
        self.totals = styled_label("", "subtitle")
        layout.addWidget(self.totals)
        filters = QHBoxLayout()
        # The window's one branch choice (shown to a user of several branches): the list and
        # the money reports cover the pick.
        self.branch = BranchPicker(ctx)
        filters.addWidget(self.branch)
        self.bucket = QComboBox()
        for name in (ALL, OVERDUE, *BUCKETS, "In credit"):
            self.bucket.addItem(name)
        self.bucket.setAccessibleName("Ageing")
        filters.addWidget(self.bucket)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by student, enrollment, counselor or subject")
        self.search.setClearButtonEnabled(True)
        filters.addWidget(self.search, 1)
        self.count = styled_label("", "subtitle")
        filters.addWidget(self.count)
        layout.addLayout(filters)
        self.model: RowsModel[DueRow] = RowsModel(DUE_COLUMNS, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = table_view()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        # Most overdue first, as the list comes; a click on a header sorts by that column.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setAccessibleName("Dues")
        layout.addWidget(self.table, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        actions = QHBoxLayout()
        self.pay_button = QPushButton("Take payment…")
        self.statement_button = QPushButton("Statement PDF")
        self.student_button = QPushButton("Open student")
        self.call_button = QPushButton("Log call…")
        self.follow_up_button = QPushButton("Schedule follow-up…")
        self.refresh_button = QPushButton("Refresh")
        for button in (self.pay_button, self.statement_button, self.student_button,
                       self.call_button, self.follow_up_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.refresh_button)
        layout.addLayout(actions)
        self.reports = self._reports_row() if ctx.user.may("reports.financial") else None
        if self.reports is not None:
            layout.addWidget(self.reports)
        self.bucket.currentIndexChanged.connect(self._on_filter)
        self.branch.selection_changed.connect(self._on_branch_selection)
        self.call_button.clicked.connect(lambda: self.follow_up(logging=True))
        self.follow_up_button.clicked.connect(lambda: self.follow_up(logging=False))
        self.search.textChanged.connect(self._on_filter)
        self.pay_button.clicked.connect(self.take_payment)
        self.statement_button.clicked.connect(self.statement)
        self.student_button.clicked.connect(self._on_open_student)
        self.table.doubleClicked.connect(lambda _i: self._on_open_student())
        self.refresh_button.clicked.connect(self.refresh)
        self.setup_window: FeeSetupView | None = None
        self.branches: tuple[fa.BranchChoice, ...] = ()
        self._branches_used: object = "not loaded"
        replica = ctx.replica
        ctx.tasks.run_db(lambda: fa.branch_choices(replica), self._on_branches, self._on_failed)
        self.refresh()

    def _on_branches(self, choices: tuple[fa.BranchChoice, ...]) -> None:
        self.branches = choices  # where the fee setup may record things

    def _on_branch_selection(self, selection: object) -> None:
        if selection != self._branches_used:
            self.refresh()

    def branch_filter(self) -> list[uuid.UUID] | None:
        """The branches the list and the reports show (None: every branch the desk holds)."""
        selection = self.branch.selection
        return None if selection is None else list(selection)

    def _reports_row(self) -> QWidget:
        """Money reports for admins: the kind, the period, PDF or CSV."""
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(styled_label("Money reports", "subtitle"))
        self.report_kind = QComboBox()
        for key, title in REPORTS.items():
            self.report_kind.addItem(title, key)
        line.addWidget(self.report_kind)
        today = QDate.currentDate()
        self.report_from = date_field(QDate(today.year(), today.month(), 1))
        self.report_to = date_field(today)
        for label, field in (("from", self.report_from), ("to", self.report_to)):
            line.addWidget(styled_label(label, "subtitle"))
            line.addWidget(field)
        self.head_button = QPushButton("Add fee head…")
        self.head_button.clicked.connect(self.add_head)
        self.setup_button = QPushButton("Fee setup…")
        self.setup_button.clicked.connect(self.open_setup)
        self.pdf_button = QPushButton("PDF")
        self.csv_button = QPushButton("CSV")
        line.addWidget(self.pdf_button)
        line.addWidget(self.csv_button)
        line.addStretch(1)
        line.addWidget(self.head_button)
        line.addWidget(self.setup_button)
        self.pdf_button.clicked.connect(lambda: self.make_report(as_csv=False))
        self.csv_button.clicked.connect(lambda: self.make_report(as_csv=True))
        return row

    def add_head(self) -> FeeHeadDialog:
        """An admin adds a fee head (offered when a plan is made)."""
        dialog = FeeHeadDialog(self)
        dialog.accepted.connect(lambda: self._save_head(dialog))
        self.head_dialog = dialog
        dialog.open()
        return dialog

    def _save_head(self, dialog: FeeHeadDialog) -> None:
        if dialog.values is None:
            return
        values, replica, actor = dialog.values, self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(lambda: add_fee_head(replica, actor, **values),  # type: ignore[arg-type]
                               lambda _id: self.message.setText(
                                   f"Fee head {values['name']} saved."), self._on_failed)

    def make_report(self, *, as_csv: bool) -> None:
        kind = str(self.report_kind.currentData())
        start, end = _pydate(self.report_from.date()), _pydate(self.report_to.date())
        if start > end:
            self.message.setText("The period starts after it ends.")
            return
        replica, actor, out = self._ctx.replica, self._ctx.actor, receipts_dir() / "reports"
        branches = self.branch_filter()
        self._ctx.tasks.run_db(
            lambda: desk.money_report(replica, actor, kind, start, end, out, as_csv, branches),
            self._on_report, self._on_failed)

    def _on_report(self, path: object) -> None:
        self.last_report = path
        self.message.setText(f"Saved {path}")

    def refresh(self) -> None:
        replica, actor, branches = self._ctx.replica, self._ctx.actor, self.branch_filter()
        self._branches_used = self.branch.selection
        self._ctx.tasks.run_db(lambda: desk.dues(replica, actor, date.today(), branches),
                               self._on_loaded, self._on_failed)

    def _on_loaded(self, summary: DuesSummary) -> None:
        self.summary = summary
        self.model.set_rows(summary.rows)
        buckets = " · ".join(f"{name} {money(value)}" for name, value in
                             summary.by_bucket.items() if value)
        self.totals.setText(f"Total outstanding {money(summary.total_outstanding)} · "
                            f"{count(summary.overdue_students, 'student')} overdue"
                            + (f" · {buckets}" if buckets else ""))
        self._on_filter()

    def _on_failed(self, exc: BaseException) -> None:
        self.message.setText(person_message(exc))

    def _on_filter(self, *_args: object) -> None:
        self.model.set_filter(dues_filter(self.bucket.currentText(), self.search.text()))
        self.count.setText(count(self.proxy.rowCount(), "student"))

    def selected(self) -> DueRow | None:
        index = self.table.currentIndex()
        if not index.isValid() and self.proxy.rowCount():
            index = self.proxy.index(0, 0)
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    def take_payment(self) -> None:
        row = self.selected()
        if row is None:
            return
        replica = self._ctx.replica

        def open_dues() -> tuple[object, ...]:
            with replica.read() as session:
                return tuple(ledger_of(session, row.student_id).open_dues())
        self._ctx.tasks.run_db(open_dues, lambda dues: self._ask_payment(row, dues),
                               self._on_failed)

    def _ask_payment(self, row: DueRow, open_dues: tuple) -> None:  # type: ignore[type-arg]
        dialog = PaymentDialog(row.student_id, row.name, open_dues, date.today(), self)
        if not dialog.exec() or dialog.request is None:
            return
        request, replica, actor = dialog.request, self._ctx.replica, self._ctx.actor
        out = receipts_dir()
        self._ctx.tasks.run_db(
            lambda: desk.pay_and_print(replica, actor, request, date.today(), out),
            self._on_paid, self._on_failed)

    def _on_paid(self, printed: desk.PrintedReceipt) -> None:
        self.message.setText(f"Receipt {printed.receipt_no} saved: {printed.path}")
        open_pdf(printed.path)
        self.sig_saved.emit()
        self.refresh()

    def statement(self) -> None:
        row = self.selected()
        if row is None:
            return
        student_id: uuid.UUID = row.student_id
        replica, out = self._ctx.replica, receipts_dir()
        self._ctx.tasks.run_db(lambda: desk.print_statement(replica, student_id, out),
                               self._on_statement, self._on_failed)

    def _on_statement(self, path: object) -> None:
        self.message.setText(f"Saved {path}")

    def open_setup(self) -> FeeSetupView:
        """The admin's fee setup (fee heads, discounts, expenses, salaries, settings)."""
        if self.setup_window is None:
            self.setup_window = FeeSetupView(self._ctx, self.branches)
            self.setup_window.resize(1000, 640)
            self.setup_window.discounts.sig_changed.connect(self.refresh)
        self.setup_window.show()
        self.setup_window.raise_()
        return self.setup_window

    def follow_up(self, *, logging: bool) -> FollowUpDialog | None:
        """A defaulter's follow-up: log a call made now, or schedule one."""
        row = self.selected()
        if row is None:
            return None
        dialog = FollowUpDialog(row.name, logging=logging, parent=self)
        dialog.accepted.connect(lambda: self._save_follow_up(row, dialog))
        self.follow_up_dialog = dialog
        dialog.open()
        return dialog

    def _save_follow_up(self, row: DueRow, dialog: FollowUpDialog) -> None:
        if dialog.values is None:
            return
        values, replica, actor = dict(dialog.values), self._ctx.replica, self._ctx.actor
        student_id = row.student_id
        if dialog.logging:
            work = lambda: fa.record_fee_call(replica, actor, student_id, **values)  # noqa: E731
            done = f"Call to {row.name} recorded."
        else:
            work = lambda: fa.schedule_fee_follow_up(replica, actor, student_id, **values)  # noqa: E731
            done = f"Follow-up with {row.name} scheduled."
        self._ctx.tasks.run_db(work, lambda _id: self._on_follow_up(done), self._on_failed)

    def _on_follow_up(self, text: str) -> None:
        self.message.setText(text)
        self.refresh()

    def _on_open_student(self) -> None:
        row = self.selected()
        if row is not None:
            self.sig_navigate.emit("students", row.student_id)
