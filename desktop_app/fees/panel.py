"""A student's money on the student page: dues, payments, and the desk's fee actions."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desktop_app.context import AppContext
from desktop_app.fees.dialogs import PaymentDialog, PlanDialog
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view
from institute_core.display import date_text, money
from institute_core.fees import desk
from institute_core.fees.ledger import InstalmentDue
from institute_core.fees.plans import make_plan
from institute_core.validation import person_message


def receipts_dir() -> Path:
    """Where receipts and statements are saved (the user's documents folder)."""
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / "Institute Desk receipts"


def open_pdf(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


DUE_COLUMNS: list[Column[InstalmentDue]] = [
    Column("Fee", lambda d: f"{d.plan_name} #{d.number}"),
    Column("Due on", lambda d: date_text(d.due_on)),
    Column("Amount", lambda d: money(d.amount), align_right=True),
    Column("Paid", lambda d: money(d.paid), align_right=True),
    Column("Outstanding", lambda d: money(d.outstanding),
           lambda d: "#f9dcdc" if d.outstanding and d.due_on < date.today() else None,
           align_right=True),
    Column("Overpaid", lambda d: money(d.overpaid) if d.overpaid else "",
           lambda d: "#fff1cc" if d.overpaid else None, align_right=True),
]
PAYMENT_COLUMNS: list[Column[desk.PaymentLine]] = [
    Column("Receipt", lambda p: p.receipt_no),
    Column("Date", lambda p: date_text(p.paid_on)),
    Column("Amount", lambda p: money(p.amount), align_right=True),
    Column("Mode", lambda p: p.mode),
    Column("Status", lambda p: "valid" if p.valid else "void (bounced or cancelled)",
           lambda p: None if p.valid else "#f9dcdc"),
]


class StudentFeesPanel(QWidget):
    """Dues and payments of one student; a plan, a payment, a reprint, a statement."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.student_id: uuid.UUID | None = None
        self.student_name = ""
        self.money: desk.StudentMoney | None = None
        self.last_pdf: Path | None = None
        layout = QVBoxLayout(self)
        self.summary = styled_label("", "subtitle")
        layout.addWidget(self.summary)
        self.dues: RowsModel[InstalmentDue] = RowsModel(DUE_COLUMNS, self)
        self.dues_view = table_view()
        self.dues_view.setModel(self.dues)
        self.dues_view.setAccessibleName("Dues")
        layout.addWidget(self.dues_view, 2)
        self.payments: RowsModel[desk.PaymentLine] = RowsModel(PAYMENT_COLUMNS, self)
        self.payments_view = table_view()
        self.payments_view.setModel(self.payments)
        self.payments_view.setAccessibleName("Payments")
        layout.addWidget(self.payments_view, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.plan_button = QPushButton("New fee plan…")
        self.pay_button = QPushButton("Take payment…")
        self.reprint_button = QPushButton("Reprint receipt")
        self.statement_button = QPushButton("Statement PDF")
        self.open_button = QPushButton("Open last PDF")
        for button in (self.plan_button, self.pay_button, self.reprint_button,
                       self.statement_button, self.open_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.plan_button.clicked.connect(self.new_plan)
        self.pay_button.clicked.connect(self.take_payment)
        self.reprint_button.clicked.connect(self.reprint)
        self.statement_button.clicked.connect(self.statement)
        self.open_button.clicked.connect(lambda: self.last_pdf and open_pdf(self.last_pdf))
        self.open_button.setEnabled(False)

    def load(self, student_id: uuid.UUID, name: str) -> None:
        self.student_id, self.student_name = student_id, name
        replica, actor = self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(lambda: desk.student_money(replica, actor, student_id),
                               self._on_loaded, self._on_failed)

    def _on_loaded(self, loaded: desk.StudentMoney) -> None:
        self.money = loaded
        book = loaded.ledger
        upcoming = book.next_due()
        parts = [f"Outstanding {money(book.outstanding)}",
                 f"paid {money(book.paid)}", f"discounts {money(book.discounted)}"]
        if upcoming is not None:
            parts.append(f"next due {money(upcoming.outstanding)} on "
                         f"{date_text(upcoming.due_on)}")
        if book.credit:
            parts.append(f"IN CREDIT {money(book.credit)}: refund or adjust")
        self.summary.setText(" · ".join(parts))
        self.dues.set_rows(loaded.dues)
        self.payments.set_rows(loaded.payments)

    def _on_failed(self, exc: BaseException) -> None:
        self.message.setText(person_message(exc))

    def _reload(self) -> None:
        if self.student_id is not None:
            self.load(self.student_id, self.student_name)
        self.sig_saved.emit()

    def new_plan(self) -> None:
        if self.student_id is None:
            return
        dialog = PlanDialog(self.student_id, self.student_name, date.today(), self)
        if not dialog.exec() or dialog.request is None:
            return
        request, replica, actor = dialog.request, self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(lambda: make_plan(replica, actor, request, date.today()),
                               lambda _id: self._on_done("Fee plan saved."), self._on_failed)

    def take_payment(self) -> None:
        if self.student_id is None:
            return
        open_dues = tuple(self.money.ledger.open_dues()) if self.money else ()
        dialog = PaymentDialog(self.student_id, self.student_name, open_dues, date.today(),
                               self)
        if not dialog.exec() or dialog.request is None:
            return
        self.pay(dialog.request)

    def pay(self, request: desk.PaymentRequest) -> None:
        """Take the payment and print its receipt, on the database worker."""
        replica, actor, out = self._ctx.replica, self._ctx.actor, receipts_dir()
        self._ctx.tasks.run_db(
            lambda: desk.pay_and_print(replica, actor, request, date.today(), out),
            self._on_paid, self._on_failed)

    def _on_paid(self, printed: desk.PrintedReceipt) -> None:
        self.last_pdf = printed.path
        self.open_button.setEnabled(True)
        extra = f" ({money(printed.advance)} kept as credit)" if printed.advance else ""
        self._on_done(f"Receipt {printed.receipt_no} saved{extra}: {printed.path}")

    def _on_done(self, text: str) -> None:
        self.message.setText(text)
        self._reload()

    def reprint(self) -> None:
        index = self.payments_view.currentIndex()
        if not index.isValid() and self.payments.rowCount():
            index = self.payments.index(0, 0)
        if not index.isValid():
            self.message.setText("No receipt to reprint yet.")
            return
        payment_id, replica = self.payments.row_at(index.row()).payment_id, self._ctx.replica
        out = receipts_dir()
        self._ctx.tasks.run_db(lambda: desk.print_receipt(replica, payment_id, out),
                               self._on_pdf, self._on_failed)

    def statement(self) -> None:
        if self.student_id is None:
            return
        student_id, replica, out = self.student_id, self._ctx.replica, receipts_dir()
        self._ctx.tasks.run_db(lambda: desk.print_statement(replica, student_id, out),
                               self._on_pdf, self._on_failed)

    def _on_pdf(self, path: Path) -> None:
        self.last_pdf = path
        self.open_button.setEnabled(True)
        self.message.setText(f"Saved {path}")
