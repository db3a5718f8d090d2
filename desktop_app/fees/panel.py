"""A student's money on the student page: dues, payments, and the desk's fee actions."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.documents import documents_folder, open_pdf
from desktop_app.fees.dialogs import PaymentDialog, PlanDialog
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view
from institute_core.display import date_text, money
from institute_core.fees import desk
from institute_core.fees.ledger import InstalmentDue
from institute_core.fees.payments import cancel_payment, record_cheque_step, refund
from institute_core.fees.plans import HeadView, heads_for_student, make_plan
from institute_core.fees.sending import ReceiptSent, send_receipt
from institute_core.messaging.access import SEND
from institute_core.validation import person_message


def receipts_dir() -> Path:
    """Where receipts and statements are saved (the user's documents folder)."""
    return documents_folder("Institute Desk receipts")


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
        self.plan_dialog: PlanDialog | None = None
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
        self.send_button = QPushButton("Send receipt")
        self.send_button.setToolTip("To the primary guardian on their preferred channel (an "
                                    "email carries the PDF), else to the student's email")
        self.send_button.setVisible(ctx.user.may(SEND))
        self.statement_button = QPushButton("Statement PDF")
        self.open_button = QPushButton("Open last PDF")
        for button in (self.plan_button, self.pay_button, self.reprint_button,
                       self.send_button, self.statement_button, self.open_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        # What happens to a payment afterwards: a cheque's steps at the desk; cancelling and
        # refunding are an admin's.
        after = QHBoxLayout()
        self.deposited_button = QPushButton("Cheque deposited")
        self.cleared_button = QPushButton("Cheque cleared")
        self.bounced_button = QPushButton("Cheque bounced…")
        self.cancel_button = QPushButton("Cancel receipt…")
        self.refund_button = QPushButton("Refund credit…")
        for button in (self.deposited_button, self.cleared_button, self.bounced_button,
                       self.cancel_button, self.refund_button):
            after.addWidget(button)
        after.addStretch(1)
        layout.addLayout(after)
        refunds = ctx.user.may("fees.refund")
        self.cancel_button.setVisible(refunds)
        self.refund_button.setVisible(refunds)
        self.deposited_button.clicked.connect(lambda: self.cheque_step("deposited"))
        self.cleared_button.clicked.connect(lambda: self.cheque_step("cleared"))
        self.bounced_button.clicked.connect(lambda: self.cheque_step("bounced"))
        self.cancel_button.clicked.connect(self.cancel_receipt)
        self.refund_button.clicked.connect(self.refund_credit)
        self.plan_button.clicked.connect(self.new_plan)
        self.pay_button.clicked.connect(self.take_payment)
        self.reprint_button.clicked.connect(self.reprint)
        self.send_button.clicked.connect(self.send_receipt)
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
        """Ask for a fee plan, offering the fee heads that apply to the student (their batch's
        override, else their subject's default, and their branch's general fees; read on the
        database worker; the dialog is a window, not a nested event loop)."""
        if self.student_id is None:
            return
        replica, student = self._ctx.replica, self.student_id
        self._ctx.tasks.run_db(lambda: heads_for_student(replica, student), self._open_plan,
                               self._on_failed)

    def _open_plan(self, heads: tuple[HeadView, ...]) -> None:
        if self.student_id is None:
            return
        dialog = PlanDialog(self.student_id, self.student_name, date.today(), self,
                            heads=heads)
        dialog.accepted.connect(lambda: self._save_plan(dialog))
        self.plan_dialog = dialog
        dialog.open()

    def _save_plan(self, dialog: PlanDialog) -> None:
        if dialog.request is None:
            return
        request, replica, actor = dialog.request, self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(lambda: make_plan(replica, actor, request, date.today()),
                               lambda _id: self._on_done("Fee plan saved: take the first "
                                                         "payment with Take payment…."),
                               self._on_failed)

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

    def send_receipt(self) -> None:
        """Queue the selected receipt (on the database worker) to the student's guardian; the
        server sends it, outside quiet hours, unless they opted out."""
        line = self._selected_payment()
        if line is None:
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(lambda: send_receipt(replica, actor, line.payment_id),
                               self._on_sent, self._on_failed)

    def _on_sent(self, sent: ReceiptSent) -> None:
        self.message.setText(f"Receipt queued for {sent.to} by {sent.channel} "
                             f"({sent.recipient}); it goes out when this desk syncs.")

    def _selected_payment(self) -> desk.PaymentLine | None:
        index = self.payments_view.currentIndex()
        if not index.isValid():
            self.message.setText("Select a receipt in the list of payments first.")
            return None
        return self.payments.row_at(index.row())

    def _reason(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label)
        return text.strip() if ok and text.strip() else None

    def cheque_step(self, kind: str) -> None:
        line = self._selected_payment()
        if line is None:
            return
        reason = self._reason("Cheque bounced", "Why did the bank return it?") \
            if kind == "bounced" else None
        if kind == "bounced" and reason is None:
            return
        replica, actor, payment_id = self._ctx.replica, self._ctx.actor, line.payment_id
        self._ctx.tasks.run_db(
            lambda: record_cheque_step(replica, actor, payment_id, kind, date.today(), reason),
            lambda _id: self._on_done(f"Receipt {line.receipt_no}: cheque {kind}."),
            self._on_failed)

    def cancel_receipt(self) -> None:
        line = self._selected_payment()
        if line is None:
            return
        reason = self._reason("Cancel receipt", f"Why is receipt {line.receipt_no} cancelled?")
        if reason is None:
            return
        replica, actor, payment_id = self._ctx.replica, self._ctx.actor, line.payment_id
        self._ctx.tasks.run_db(
            lambda: cancel_payment(replica, actor, payment_id, reason, date.today()),
            lambda _id: self._on_done(f"Receipt {line.receipt_no} cancelled."),
            self._on_failed)

    def refund_credit(self) -> None:
        if self.student_id is None or self.money is None or not self.money.ledger.credit:
            self.message.setText("The student has no credit to refund.")
            return
        credit = self.money.ledger.credit
        reason = self._reason("Refund", f"Refund {money(credit)} in cash: the reason?")
        if reason is None:
            return
        replica, actor, student_id = self._ctx.replica, self._ctx.actor, self.student_id
        self._ctx.tasks.run_db(
            lambda: refund(replica, actor, student_id, credit, "cash", reason, date.today()),
            lambda made: self._on_done(f"Credit note {made[1]} for {money(credit)}."),
            self._on_failed)

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


class FeesAfterEnrollDialog(QDialog):
    """Right after Enroll: the new student's fees, with the plan dialog opened at once, so an
    inquiry becomes a student with a fee plan and a first receipt in one sitting."""

    def __init__(self, ctx: AppContext, student_id: uuid.UUID, name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Fees – {name}")
        self.resize(900, 560)
        layout = QVBoxLayout(self)
        self.panel = StudentFeesPanel(ctx, self)
        layout.addWidget(self.panel)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.panel.load(student_id, name)

    def start(self) -> None:
        """Show the fees and ask for the plan (then "Take payment…" prints the receipt)."""
        self.open()
        self.panel.new_plan()
