"""Dialogs of the fee desk: a fee plan for a student, and a payment with its receipt.

The dialogs only collect what is typed; saving runs on the database worker (the caller's
`TaskManager`) and the receipt PDF is drawn there too, so the window never freezes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.widgets import date_field, save_or_cancel, styled_label
from institute_core.display import date_text, money
from institute_core.enums import (
    FeeFrequency,
    FeeKind,
    FollowUpType,
    GstMode,
    PaymentMode,
    PlanKind,
)
from institute_core.fees.documents import MODE_NAMES
from institute_core.fees.ledger import InstalmentDue
from institute_core.fees.payments import PaymentRequest, check_request
from institute_core.fees.plans import HeadView, PlanRequest
from institute_core.validation import InvalidInput, person_message

# What the reference box asks for, by mode (None: no reference).
REFERENCE_LABELS = {PaymentMode.CASH.value: None, PaymentMode.UPI.value: "UTR / UPI ref.",
                    PaymentMode.CARD.value: "Approval code", PaymentMode.CHEQUE.value:
                    "Cheque number", PaymentMode.DD.value: "DD number",
                    PaymentMode.BANK_TRANSFER.value: "Transfer reference"}


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class PaymentDialog(QDialog):
    """Amount, mode and what the mode needs; the open dues it will pay, oldest first."""

    def __init__(self, student_id: uuid.UUID, student_name: str,
                 open_dues: tuple[InstalmentDue, ...], today: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Take a payment – {student_name}")
        self.setMinimumWidth(460)
        self.student_id = student_id
        self.request: PaymentRequest | None = None
        layout = QVBoxLayout(self)
        owed = sum((d.outstanding for d in open_dues), Decimal(0))
        lines = [f"{d.plan_name} #{d.number}: {money(d.outstanding)} due {date_text(d.due_on)}"
                 for d in open_dues[:4]]
        more = f" and {len(open_dues) - 4} more" if len(open_dues) > 4 else ""
        self.dues_label = styled_label(
            (f"Outstanding {money(owed)} – paid oldest first: " + "; ".join(lines) + more)
            if open_dues else "Nothing is due: the payment is kept as an advance.", "subtitle")
        layout.addWidget(self.dues_label)
        form = QFormLayout()
        self.amount = QLineEdit(str(open_dues[0].outstanding) if open_dues else "")
        self.amount.setAccessibleName("Amount")
        form.addRow("Amount (₹)", self.amount)
        self.mode = QComboBox()
        for mode in PaymentMode:
            self.mode.addItem(MODE_NAMES[mode.value], mode.value)
        form.addRow("Mode", self.mode)
        self.reference = QLineEdit()
        self.reference_label = QLabel("Reference")
        form.addRow(self.reference_label, self.reference)
        self.card_last4 = QLineEdit()
        self.card_last4.setMaxLength(4)
        form.addRow("Card last four digits", self.card_last4)
        self.bank = QLineEdit()
        form.addRow("Bank", self.bank)
        self.instrument_date = date_field(QDate(today.year, today.month, today.day))
        form.addRow("Cheque / DD date", self.instrument_date)
        self.note = QLineEdit()
        form.addRow("Note", self.note)
        self.form = form
        layout.addLayout(form)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("Take payment and print receipt",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.mode.currentIndexChanged.connect(self._on_mode)
        self._on_mode()

    def _on_mode(self, *_args: object) -> None:
        mode = str(self.mode.currentData())
        label = REFERENCE_LABELS.get(mode)
        self.form.setRowVisible(self.reference, label is not None)
        if label:
            self.reference_label.setText(label)
        self.form.setRowVisible(self.card_last4, mode == PaymentMode.CARD.value)
        instrument = mode in (PaymentMode.CHEQUE.value, PaymentMode.DD.value)
        self.form.setRowVisible(self.bank, instrument)
        self.form.setRowVisible(self.instrument_date, instrument)

    def build_request(self) -> PaymentRequest:
        mode = str(self.mode.currentData())
        instrument = mode in (PaymentMode.CHEQUE.value, PaymentMode.DD.value)
        return PaymentRequest(
            student_id=self.student_id, amount=self.amount.text(), mode=mode,
            reference=self.reference.text() if REFERENCE_LABELS.get(mode) else None,
            card_last4=self.card_last4.text() if mode == PaymentMode.CARD.value else None,
            bank=self.bank.text() if instrument else None,
            instrument_date=_pydate(self.instrument_date.date()) if instrument else None,
            note=self.note.text())

    def _on_save(self) -> None:
        request = self.build_request()
        try:
            check_request(request)  # the same check the service makes, before closing
        except InvalidInput as problem:
            self.message.setText(person_message(problem))
            return
        self.request = request
        self.accept()


class PlanDialog(QDialog):
    """A fee plan: what for, the price, GST, and how it is paid (once, monthly, N parts)."""

    def __init__(self, student_id: uuid.UUID, student_name: str, today: date,
                 parent: QWidget | None = None, *, name: str = "",
                 enrollment_id: uuid.UUID | None = None,
                 heads: tuple[HeadView, ...] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"New fee plan – {student_name}")
        self.setMinimumWidth(420)
        self.student_id, self.enrollment_id = student_id, enrollment_id
        self.request: PlanRequest | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.heads = heads
        self.head = QComboBox(self)  # parented: without heads it is never laid out
        self.head.addItem("(typed below)", None)
        for head in heads:
            where = head.batch or head.subject
            self.head.addItem(f"{head.name}{f' ({where})' if where else ''} – "
                              f"{money(head.amount)}", head.id)
        self.head.setVisible(bool(heads))
        if heads:
            form.addRow("From a fee head", self.head)
        self.name = QLineEdit(name)
        form.addRow("Fee for", self.name)
        self.price = QLineEdit()
        self.price.setPlaceholderText("e.g. 45000")
        form.addRow("Price (₹)", self.price)
        self.gst_mode = QComboBox()
        for label, mode in (("No GST", GstMode.NONE), ("GST included in the price",
                                                       GstMode.INCLUSIVE),
                            ("GST added to the price", GstMode.EXCLUSIVE)):
            self.gst_mode.addItem(label, mode.value)
        form.addRow("GST", self.gst_mode)
        self.gst_rate = QLineEdit("18")
        form.addRow("GST rate (%)", self.gst_rate)
        self.inter_state = QCheckBox("Student in another state (IGST)")
        form.addRow("", self.inter_state)
        self.kind = QComboBox()
        for label, kind in (("One payment", PlanKind.ONE_TIME), ("Instalments",
                                                                 PlanKind.INSTALMENTS),
                            ("Monthly", PlanKind.MONTHLY)):
            self.kind.addItem(label, kind.value)
        form.addRow("Paid as", self.kind)
        self.count = QSpinBox()
        self.count.setRange(1, 60)
        self.count.setValue(1)
        form.addRow("Number of instalments", self.count)
        self.first_due = date_field(QDate(today.year, today.month, today.day))
        form.addRow("First due on", self.first_due)
        layout.addLayout(form)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        save_or_cancel(self, layout, self._on_save, self.message)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.head.currentIndexChanged.connect(self._on_head)
        self._on_kind()

    def _on_head(self, *_args: object) -> None:
        """A fee head fills in its name, price and GST (the counselor may still change them)."""
        head = next((h for h in self.heads if h.id == self.head.currentData()), None)
        if head is None:
            return
        self.name.setText(head.name)
        self.price.setText(str(head.amount))
        self.gst_mode.setCurrentIndex(self.gst_mode.findData(head.gst_mode))
        self.gst_rate.setText(str(head.gst_rate))
        kind = {FeeFrequency.MONTHLY.value: PlanKind.MONTHLY,
                FeeFrequency.INSTALMENTS.value: PlanKind.INSTALMENTS}.get(head.frequency,
                                                                           PlanKind.ONE_TIME)
        self.kind.setCurrentIndex(self.kind.findData(kind.value))
        if kind is PlanKind.INSTALMENTS and head.instalments:
            self.count.setValue(head.instalments)

    def _on_kind(self, *_args: object) -> None:
        one = self.kind.currentData() == PlanKind.ONE_TIME.value
        self.count.setEnabled(not one)
        if one:
            self.count.setValue(1)
        elif self.count.value() == 1:
            self.count.setValue(3)

    def _on_save(self) -> None:
        try:
            price = Decimal(self.price.text().replace(",", "").strip())
            rate = Decimal(self.gst_rate.text().strip() or "0")
        except InvalidOperation:
            self.message.setText("Price and GST rate must be numbers")
            return
        if price <= 0 or not self.name.text().strip():
            self.message.setText("Say what the fee is for, and a price above zero")
            return
        self.request = PlanRequest(
            student_id=self.student_id, name=self.name.text(), price=price,
            kind=str(self.kind.currentData()), instalments=self.count.value(),
            first_due=_pydate(self.first_due.date()), gst_mode=str(self.gst_mode.currentData()),
            gst_rate=rate, inter_state=self.inter_state.isChecked(),
            enrollment_id=self.enrollment_id, fee_head_id=self.head.currentData())
        self.accept()


class FeeHeadDialog(QDialog):
    """An admin adds a fee head: what the institute charges, and how GST applies to it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New fee head")
        self.setMinimumWidth(400)
        self.values: dict[str, object] | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit()
        form.addRow("Name", self.name)
        self.kind = QComboBox()
        for kind in FeeKind:
            self.kind.addItem(kind.value.replace("_", " ").capitalize(), kind.value)
        form.addRow("Kind", self.kind)
        self.amount = QLineEdit()
        form.addRow("Amount (₹)", self.amount)
        self.frequency = QComboBox()
        self.frequency.addItem("One time", "one_time")
        self.frequency.addItem("Monthly", "monthly")
        form.addRow("Charged", self.frequency)
        self.gst_mode = QComboBox()
        for label, mode in (("No GST", GstMode.NONE), ("GST included", GstMode.INCLUSIVE),
                            ("GST added", GstMode.EXCLUSIVE)):
            self.gst_mode.addItem(label, mode.value)
        form.addRow("GST", self.gst_mode)
        self.gst_rate = QLineEdit("18")
        form.addRow("GST rate (%)", self.gst_rate)
        layout.addLayout(form)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        save_or_cancel(self, layout, self._on_save, self.message)

    def _on_save(self) -> None:
        try:
            amount = Decimal(self.amount.text().replace(",", "").strip())
            rate = Decimal(self.gst_rate.text().strip() or "0")
        except InvalidOperation:
            self.message.setText("Amount and GST rate must be numbers")
            return
        if amount <= 0 or not self.name.text().strip():
            self.message.setText("Give the fee a name and an amount above zero")
            return
        self.values = {"name": self.name.text().strip(), "amount": amount,
                       "kind": self.kind.currentData(), "frequency":
                       self.frequency.currentData(), "gst_mode": self.gst_mode.currentData(),
                       "gst_rate": rate}
        self.accept()


class FollowUpDialog(QDialog):
    """A defaulter's follow-up: schedule a call (when, how, a note), or log one made now with
    what came of it (`logging`)."""

    def __init__(self, student_name: str, *, logging: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.logging = logging
        self.setWindowTitle(("Log a call – " if logging else "Schedule a follow-up – ")
                            + student_name)
        self.setMinimumWidth(420)
        self.values: dict[str, Any] | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.kind = QComboBox()
        for kind in FollowUpType:
            self.kind.addItem(kind.value.capitalize() if kind.value != "sms" else "SMS",
                              kind.value)
        form.addRow("How", self.kind)
        tomorrow = QDateTime(QDate.currentDate().addDays(1), QTime(10, 0))
        self.when = QDateTimeEdit(tomorrow)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("d MMM yyyy, HH:mm")
        self.note = QLineEdit()
        self.note.setPlaceholderText("e.g. ask about the second instalment")
        self.outcome = QLineEdit()
        self.outcome.setPlaceholderText("e.g. promised to pay on the 10th")
        if logging:
            form.addRow("What came of it", self.outcome)
        else:
            form.addRow("When", self.when)
            form.addRow("Note", self.note)
        for unused in ((self.when, self.note) if logging else (self.outcome,)):
            unused.setParent(self)  # owned by the dialog, never shown
            unused.hide()
        layout.addLayout(form)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        save_or_cancel(self, layout, self._on_save, self.message)

    def _on_save(self) -> None:
        if self.logging:
            if not self.outcome.text().strip():
                self.message.setText("Say what came of the call.")
                return
            self.values = {"kind": self.kind.currentData(), "outcome": self.outcome.text()}
        else:
            typed: datetime = self.when.dateTime().toPython()  # type: ignore[assignment]
            moment = typed.astimezone(UTC)  # typed in local time
            self.values = {"kind": self.kind.currentData(), "due_at": moment,
                           "note": self.note.text()}
        self.accept()
