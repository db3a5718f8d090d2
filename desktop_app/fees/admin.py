"""The admin's fee setup: fee heads, discounts to approve, expenses, salary payments and fee
settings, one tab each. Every list is a model/view table fed plain rows from the database
worker (institute_core.fees.admin); every save runs there too and a refusal is shown under the
form, naming what was wrong (nothing is saved then).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import date_field, index_of, styled_label, table_view, title_label
from institute_core.display import date_text, money, month_text
from institute_core.enums import (
    DiscountStatus,
    ExpenseCategory,
    FeeFrequency,
    FeeKind,
    GstMode,
    SalaryBasis,
)
from institute_core.fees import admin as fa
from institute_core.fees.plans import (
    HeadTargets,
    HeadView,
    add_fee_head,
    all_heads,
    decide_discount,
    head_targets,
)
from institute_core.validation import person_message

GST_MODES = {GstMode.NONE.value: "No GST", GstMode.INCLUSIVE.value: "Included in the price",
             GstMode.EXCLUSIVE.value: "Added to the price"}
ALL_BRANCHES = "All branches"


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize()


def branch_combo(choices: Sequence[fa.BranchChoice], *, with_all: bool) -> QComboBox:
    """A branch picker: the desk's branches, with "All branches" (data None) first when asked."""
    combo = QComboBox()
    combo.setAccessibleName("Branch")
    if with_all:
        combo.addItem(ALL_BRANCHES, None)
    for choice in choices:
        combo.addItem(choice.name, choice.id)
    return combo


def chosen_branches(combo: QComboBox) -> list[uuid.UUID] | None:
    """The branches a filter combo stands for (None: all of them)."""
    value = combo.currentData()
    return None if value is None else [value]


class _ListTab(QWidget):
    """A list (model/view, plain rows) with a form above it and a message line below."""

    sig_changed = Signal()

    def __init__(self, ctx: AppContext, columns: Sequence[Column[Any]], name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.buttons = QHBoxLayout()
        self.layout_.addLayout(self.buttons)
        self.model: RowsModel[Any] = RowsModel(columns, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName(name)
        self.layout_.addWidget(self.table, 1)
        self.message = styled_label("", "message")
        self.layout_.addWidget(self.message)

    def button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        self.buttons.addWidget(button)
        return button

    def run(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._ctx.tasks.run_db(work, done, self._on_failed)

    def _on_failed(self, exc: BaseException) -> None:
        self.message.setText(person_message(exc))

    def _on_rows(self, rows: Sequence[Any]) -> None:
        self.model.set_rows(rows)

    def saved(self, text: str) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            self.message.setText(text)
            self.sig_changed.emit()
            self.refresh()
        return done

    def refresh(self) -> None:  # pragma: no cover - every tab has its own
        raise NotImplementedError

    def selected(self) -> Any:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None


class _EditableTab(_ListTab):
    """A list of money out whose rows an admin corrects (the form loads the chosen row and its
    button saves the changes) or deletes with a reason. Subclasses fill the form (`load`),
    clear it (`clear_form`) and say how to save, correct and delete a row."""

    noun = "row"

    def edit_controls(self, add_button: QPushButton) -> None:
        self.editing: Any = None
        self._add_button, self._add_text = add_button, add_button.text()
        self.edit_button = self.button("Edit selected", self._on_edit)
        self.cancel_button = self.button("Cancel edit", self.end_edit)
        self.cancel_button.setVisible(False)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for deleting")
        self.reason.setPlaceholderText(f"Why delete the selected {self.noun}?")
        self.buttons.addWidget(self.reason, 1)
        self.delete_button = self.button("Delete selected", self._on_delete)

    def load(self, line: Any) -> None:  # pragma: no cover - every tab has its own
        raise NotImplementedError

    def clear_form(self) -> None:  # pragma: no cover - every tab has its own
        raise NotImplementedError

    def delete_work(self, line: Any, reason: str) -> Callable[[], Any]:  # pragma: no cover
        raise NotImplementedError

    def _on_edit(self) -> None:
        line = self.selected()
        if line is None:
            self.message.setText(f"Choose the {self.noun} to correct in the list first.")
            return
        self.editing = line
        self.load(line)
        self._add_button.setText("Save changes")
        self.cancel_button.setVisible(True)
        self.message.setText(f"Correcting the {self.noun} of {date_text(self.day_of(line))}: "
                             "change the form and save.")

    def end_edit(self) -> None:
        self.editing = None
        self._add_button.setText(self._add_text)
        self.cancel_button.setVisible(False)
        self.clear_form()

    def day_of(self, line: Any) -> date:  # pragma: no cover - every tab has its own
        raise NotImplementedError

    def _on_delete(self) -> None:
        line = self.selected()
        if line is None:
            self.message.setText(f"Choose the {self.noun} to delete in the list first.")
            return
        reason = self.reason.text()

        def done(_result: Any) -> None:
            self.reason.clear()
            if self.editing is not None and self.editing.id == line.id:
                self.end_edit()
            self.saved(f"The {self.noun} of {date_text(self.day_of(line))} was deleted "
                       "(the reason is kept in the audit log).")(_result)
        self.run(self.delete_work(line, reason), done)


def frequency_text(head: HeadView) -> str:
    if head.frequency == FeeFrequency.INSTALMENTS.value and head.instalments:
        return f"{head.instalments} instalments"
    return _words(head.frequency)


HEAD_COLUMNS: list[Column[HeadView]] = [
    Column("Fee head", lambda h: h.name),
    Column("Subject", lambda h: h.subject or "Every subject"),
    Column("Batch", lambda h: f"{h.batch} (overrides)" if h.batch else "Subject's default"
           if h.subject else ""),
    Column("Kind", lambda h: _words(h.kind)),
    Column("Amount", lambda h: money(h.amount), align_right=True),
    Column("Frequency", frequency_text),
    Column("GST", lambda h: GST_MODES.get(h.gst_mode, h.gst_mode)
           + (f" {h.gst_rate}%" if h.gst_mode != GstMode.NONE.value else "")),
]


class HeadsTab(_ListTab):
    """A branch's fee heads (its price list) and a form to add one: branch-wide, a subject's
    default, or a batch's override of it (a student's plan is offered the most particular)."""

    def __init__(self, ctx: AppContext, branches: Sequence[fa.BranchChoice],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, HEAD_COLUMNS, "Fee heads", parent)
        self.targets = HeadTargets((), ())
        self.branch = branch_combo(branches, with_all=False)
        self.form.addRow("Branch", self.branch)
        self.subject = QComboBox()
        self.subject.setAccessibleName("Subject")
        self.batch = QComboBox()
        self.batch.setAccessibleName("Batch")
        target = QHBoxLayout()
        target.addWidget(self.subject, 1)
        target.addWidget(styled_label("batch", "subtitle"))
        target.addWidget(self.batch, 1)
        self.form.addRow("For subject", target)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Course fee, Registration, Exam fee")
        self.form.addRow("Name", self.name)
        self.kind = QComboBox()
        for kind in FeeKind:
            self.kind.addItem(_words(kind.value), kind.value)
        self.frequency = QComboBox()
        for frequency in FeeFrequency:
            self.frequency.addItem(_words(frequency.value), frequency.value)
        self.instalments = QSpinBox()
        self.instalments.setAccessibleName("Number of instalments")
        self.instalments.setRange(2, 60)
        self.instalments.setValue(3)
        self.instalments.setSuffix(" instalments")
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addWidget(self.frequency)
        row.addWidget(self.instalments)
        self.form.addRow("Kind, frequency", row)
        self.amount = QLineEdit()
        self.amount.setAccessibleName("Amount")
        self.form.addRow("Amount (₹)", self.amount)
        self.gst_mode = QComboBox()
        for key, text in GST_MODES.items():
            self.gst_mode.addItem(text, key)
        self.gst_rate = QLineEdit("18")
        gst = QHBoxLayout()
        gst.addWidget(self.gst_mode, 1)
        gst.addWidget(styled_label("rate %", "subtitle"))
        gst.addWidget(self.gst_rate)
        self.form.addRow("GST", gst)
        self.button("Add fee head", self.add)
        self.buttons.addStretch(1)
        self.gst_mode.currentIndexChanged.connect(lambda _i: self._on_gst_mode())
        self.branch.currentIndexChanged.connect(lambda _i: self._on_branch())
        self.subject.currentIndexChanged.connect(lambda _i: self._fill_batches())
        self.frequency.currentIndexChanged.connect(lambda _i: self._on_frequency())
        self._on_frequency()
        replica = ctx.replica
        self.run(lambda: head_targets(replica), self._on_targets)
        self.refresh()

    def _on_targets(self, targets: HeadTargets) -> None:
        self.targets = targets
        self.subject.blockSignals(True)
        self.subject.clear()
        self.subject.addItem("Every subject (branch-wide)", None)
        for subject_id, name in targets.subjects:
            self.subject.addItem(name, subject_id)
        self.subject.blockSignals(False)
        self._fill_batches()

    def _fill_batches(self) -> None:
        """The chosen branch's batches of the chosen subject: a head for one overrides the
        subject's default for its students."""
        subject, branch = self.subject.currentData(), self.branch.currentData()
        self.batch.clear()
        self.batch.addItem("All its batches (the subject's default)", None)
        for batch_id, name, batch_subject, batch_branch in self.targets.batches:
            if batch_subject == subject and batch_branch == branch:
                self.batch.addItem(name, batch_id)
        self.batch.setEnabled(subject is not None)

    def _on_branch(self) -> None:
        self._fill_batches()
        self.refresh()

    def _on_frequency(self) -> None:
        self.instalments.setEnabled(
            self.frequency.currentData() == FeeFrequency.INSTALMENTS.value)

    def refresh(self) -> None:
        replica, branch = self._ctx.replica, self.branch.currentData()
        self.run(lambda: all_heads(replica, branch), self._on_rows)
        if branch is not None:  # a new head starts with the branch's GST settings
            self.run(lambda: fa.branch_fee_settings(replica, branch), self._on_settings)

    def _on_settings(self, values: fa.FeeSettingsValues) -> None:
        self.gst_mode.setCurrentIndex(max(0, self.gst_mode.findData(values.gst_mode)))
        self.gst_rate.setText(str(values.gst_rate.normalize()))
        self._on_gst_mode()

    def _on_gst_mode(self) -> None:
        self.gst_rate.setEnabled(self.gst_mode.currentData() != GstMode.NONE.value)

    def add(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        values = {"name": self.name.text(), "amount": self.amount.text().strip(),
                  "kind": self.kind.currentData(), "frequency": self.frequency.currentData(),
                  "gst_mode": self.gst_mode.currentData(),
                  "gst_rate": self.gst_rate.text().strip() or "0",
                  "branch_id": self.branch.currentData(),
                  "subject_id": self.subject.currentData(),
                  "batch_id": self.batch.currentData(),
                  "instalments": self.instalments.value()
                  if self.instalments.isEnabled() else None}
        self.run(lambda: add_fee_head(replica, actor, **values), self._on_added)

    def _on_added(self, _id: object) -> None:
        name = self.name.text().strip()
        self.name.clear()
        self.amount.clear()
        self.saved(f"Fee head {name} saved.")(_id)


DISCOUNT_COLUMNS: list[Column[fa.DiscountLine]] = [
    Column("Student", lambda d: f"{d.student} ({d.enrollment_no})"),
    Column("Fee plan", lambda d: d.plan),
    Column("Discount", lambda d: f"{d.value}%" if d.kind == "percentage" else money(d.value)),
    Column("Amount off", lambda d: money(d.amount), align_right=True),
    Column("Reason", lambda d: _words(d.reason)),
    Column("Status", lambda d: _words(d.status),
           lambda d: "#fff1cc" if d.status == DiscountStatus.PENDING.value else None),
    Column("Asked by", lambda d: d.requested_by),
    Column("Decided by", lambda d: d.decided_by),
    Column("Decided", lambda d: date_text(d.decided_at.date()) if d.decided_at else ""),
]


class DiscountsTab(_ListTab):
    """Discounts, the ones waiting for an admin first; approve or reject the selected one."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, DISCOUNT_COLUMNS, "Discounts", parent)
        self.waiting = QCheckBox("Only discounts waiting for approval")
        self.waiting.setChecked(True)
        self.form.addRow(self.waiting)
        self.approve_button = self.button("Approve", lambda: self.decide(True))
        self.reject_button = self.button("Reject", lambda: self.decide(False))
        self.buttons.addStretch(1)
        self.waiting.toggled.connect(lambda _on: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        replica, actor, waiting = self._ctx.replica, self._ctx.actor, self.waiting.isChecked()
        self.run(lambda: fa.discount_lines(replica, actor, pending_only=waiting), self._on_rows)

    def decide(self, approve: bool) -> None:
        line = self.selected()
        if line is None:
            self.message.setText("Choose a discount in the list first.")
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        verb = "approved" if approve else "rejected"
        self.run(lambda: decide_discount(replica, actor, line.id, approve),
                 self.saved(f"Discount for {line.student} {verb}."))


EXPENSE_COLUMNS: list[Column[fa.ExpenseLine]] = [
    Column("Date", lambda e: date_text(e.spent_on)),
    Column("Category", lambda e: _words(e.category)),
    Column("Amount", lambda e: money(e.amount), align_right=True),
    Column("Branch", lambda e: e.branch),
    Column("Entered by", lambda e: e.entered_by),
    Column("Note", lambda e: e.note),
]


class ExpensesTab(_EditableTab):
    """Money spent, per branch, and a form to record an expense or correct the chosen one."""

    noun = "expense"

    def __init__(self, ctx: AppContext, branches: Sequence[fa.BranchChoice],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, EXPENSE_COLUMNS, "Expenses", parent)
        self.spent_on = date_field(QDate.currentDate())
        self.form.addRow("Date", self.spent_on)
        self.category = QComboBox()
        for category in ExpenseCategory:
            self.category.addItem(_words(category.value), category.value)
        self.form.addRow("Category", self.category)
        self.amount = QLineEdit()
        self.amount.setAccessibleName("Amount")
        self.form.addRow("Amount (₹)", self.amount)
        self.branch = branch_combo(branches, with_all=False)
        self.form.addRow("Branch", self.branch)
        self.note = QLineEdit()
        self.form.addRow("Note", self.note)
        self.edit_controls(self.button("Add expense", self.add))
        self.buttons.addWidget(styled_label("Show", "subtitle"))
        self.show_branch = branch_combo(branches, with_all=True)
        self.buttons.addWidget(self.show_branch)
        self.total = styled_label("", "subtitle")
        self.buttons.addWidget(self.total)
        self.show_branch.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        branches = chosen_branches(self.show_branch)
        self.run(lambda: fa.expense_lines(replica, actor, branches), self._on_rows)

    def _on_rows(self, rows: Sequence[Any]) -> None:
        super()._on_rows(rows)
        self.total.setText(f"Total {money(sum(r.amount for r in rows))}")

    def add(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        values = {"category": self.category.currentData(), "amount": self.amount.text(),
                  "spent_on": _pydate(self.spent_on.date()), "note": self.note.text(),
                  "branch_id": self.branch.currentData()}
        if self.editing is not None:
            row_id = self.editing.id
            self.run(lambda: fa.update_expense(replica, actor, row_id, **values),
                     self._on_added)
            return
        self.run(lambda: fa.add_expense(replica, actor, **values), self._on_added)

    def _on_added(self, _id: object) -> None:
        # Cleared once saved, so a second click cannot enter the same expense twice.
        amount = self.amount.text().strip().replace(",", "")
        verb = "saved" if self.editing is None else "corrected"
        self.end_edit()
        self.saved(f"Expense of {money(Decimal(amount))} {verb}.")(_id)

    def load(self, line: fa.ExpenseLine) -> None:
        self.spent_on.setDate(QDate(line.spent_on.year, line.spent_on.month, line.spent_on.day))
        self.category.setCurrentIndex(max(0, self.category.findData(line.category)))
        self.amount.setText(str(line.amount))
        self.branch.setCurrentIndex(max(0, index_of(self.branch, line.branch_id)))
        self.note.setText(line.note)

    def clear_form(self) -> None:
        self.amount.clear()
        self.note.clear()

    def day_of(self, line: fa.ExpenseLine) -> date:
        return line.spent_on

    def delete_work(self, line: fa.ExpenseLine, reason: str) -> Callable[[], None]:
        replica, actor = self._ctx.replica, self._ctx.actor
        return lambda: fa.delete_expense(replica, actor, line.id, reason)


SALARY_COLUMNS: list[Column[fa.SalaryLine]] = [
    Column("Paid on", lambda s: date_text(s.paid_on)),
    Column("Staff member", lambda s: s.person),
    Column("For", lambda s: month_text(s.month)),
    Column("Basis", lambda s: _words(s.basis)
           + (f" ({s.hours} h × {money(s.rate)})" if s.hours and s.rate else "")),
    Column("Amount", lambda s: money(s.amount), align_right=True),
    Column("Branch", lambda s: s.branch),
]


class SalariesTab(_EditableTab):
    """Salary payments; a faculty member's hourly pay is offered from the sessions they
    completed in the month at their hourly rate. The chosen payment can be corrected or
    deleted with a reason."""

    noun = "salary payment"

    def __init__(self, ctx: AppContext, branches: Sequence[fa.BranchChoice],
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, SALARY_COLUMNS, "Salary payments", parent)
        self.staff: dict[uuid.UUID, fa.StaffPay] = {}
        today = QDate.currentDate()
        self.month = date_field(QDate(today.year(), today.month(), 1).addMonths(-1))
        self.form.addRow("For the month of", self.month)
        self.person = QComboBox()
        self.person.setAccessibleName("Staff member")
        self.form.addRow("Staff member", self.person)
        self.basis = QComboBox()
        for basis in SalaryBasis:
            self.basis.addItem(_words(basis.value), basis.value)
        self.form.addRow("Basis", self.basis)
        self.hours, self.rate, self.amount = QLineEdit(), QLineEdit(), QLineEdit()
        hourly = QHBoxLayout()
        hourly.addWidget(self.hours)
        hourly.addWidget(styled_label("hours ×  ₹", "subtitle"))
        hourly.addWidget(self.rate)
        self.form.addRow("Hours taught × rate", hourly)
        self.form.addRow("Fixed amount (₹)", self.amount)
        self.paid_on = date_field(today)
        self.form.addRow("Paid on", self.paid_on)
        self.branch = branch_combo(branches, with_all=False)
        self.form.addRow("Branch", self.branch)
        self.edit_controls(self.button("Record salary payment", self.add))
        self.month.dateChanged.connect(lambda _d: self._load_staff())
        self.person.currentIndexChanged.connect(lambda _i: self._on_person())
        self.basis.currentIndexChanged.connect(lambda _i: self._on_basis())
        self._on_basis()
        self._load_staff()
        self.refresh()

    def _load_staff(self) -> None:
        replica, actor, month = self._ctx.replica, self._ctx.actor, _pydate(self.month.date())
        self.run(lambda: fa.staff_to_pay(replica, actor, month), self._on_staff)

    def _on_staff(self, staff: Sequence[fa.StaffPay]) -> None:
        chosen = self.person.currentData()
        self.staff = {s.user_id: s for s in staff}
        self.person.blockSignals(True)
        self.person.clear()
        for s in staff:
            self.person.addItem(f"{s.name} ({s.role})", s.user_id)
        self.person.setCurrentIndex(max(0, index_of(self.person, chosen)))
        self.person.blockSignals(False)
        if self.editing is None:  # a payment being corrected keeps its own hours and rate
            self._on_person()

    def _on_person(self) -> None:
        pay = self.staff.get(self.person.currentData())
        if pay is None:
            return
        hourly = pay.hourly_rate is not None
        self.basis.setCurrentIndex(self.basis.findData(
            SalaryBasis.HOURLY.value if hourly else SalaryBasis.FIXED.value))
        self.hours.setText(str(pay.hours_taught) if hourly else "")
        self.rate.setText(str(pay.hourly_rate) if hourly else "")

    def _on_basis(self) -> None:
        hourly = self.basis.currentData() == SalaryBasis.HOURLY.value
        self.hours.setEnabled(hourly)
        self.rate.setEnabled(hourly)
        self.amount.setEnabled(not hourly)

    def refresh(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        self.run(lambda: fa.salary_lines(replica, actor), self._on_rows)

    def add(self) -> None:
        user_id = self.person.currentData()
        if user_id is None:
            self.message.setText("Choose the staff member to pay.")
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        values = {"user_id": user_id, "month": _pydate(self.month.date()),
                  "basis": self.basis.currentData(), "paid_on": _pydate(self.paid_on.date()),
                  "branch_id": self.branch.currentData(), "amount": self.amount.text(),
                  "hours": self.hours.text(), "rate": self.rate.text()}
        name = self.person.currentText()
        if self.editing is not None:
            row_id = self.editing.id
            self.run(lambda: fa.update_salary(replica, actor, row_id, **values),
                     lambda paid: self._on_paid(f"Corrected: {money(paid)} to {name}."))
            return
        self.run(lambda: fa.pay_salary(replica, actor, **values),
                 lambda result: self._on_paid(f"Paid {money(result[1])} to {name}."))

    def _on_paid(self, text: str) -> None:
        self.end_edit()
        self.saved(text)(None)

    def load(self, line: fa.SalaryLine) -> None:
        # The month first: it reloads the staff list, which then keeps the chosen person.
        self.month.setDate(QDate(line.month.year, line.month.month, 1))
        self.person.setCurrentIndex(max(0, index_of(self.person, line.user_id)))
        self.basis.setCurrentIndex(max(0, self.basis.findData(line.basis)))
        self.hours.setText("" if line.hours is None else str(line.hours))
        self.rate.setText("" if line.rate is None else str(line.rate))
        self.amount.setText(str(line.amount) if line.hours is None else "")
        self.paid_on.setDate(QDate(line.paid_on.year, line.paid_on.month, line.paid_on.day))
        self.branch.setCurrentIndex(max(0, index_of(self.branch, line.branch_id)))

    def clear_form(self) -> None:
        self.amount.clear()

    def day_of(self, line: fa.SalaryLine) -> date:
        return line.paid_on

    def delete_work(self, line: fa.SalaryLine, reason: str) -> Callable[[], None]:
        replica, actor = self._ctx.replica, self._ctx.actor
        return lambda: fa.delete_salary(replica, actor, line.id, reason)


class SettingsTab(QWidget):
    """A branch's fee settings: GSTIN, state, GST mode and rate, the discount limits."""

    sig_changed = Signal()

    def __init__(self, ctx: AppContext, branches: Sequence[fa.BranchChoice],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.branch = branch_combo(branches, with_all=False)
        form.addRow("Branch", self.branch)
        self.gstin = QLineEdit()
        self.gstin.setMaxLength(15)
        self.gstin.setPlaceholderText("e.g. 29ABCDE1234F1Z5 (empty: not registered)")
        form.addRow("GSTIN", self.gstin)
        self.state = QLineEdit()
        self.state.setPlaceholderText("e.g. Karnataka: a student of another state pays IGST")
        form.addRow("State", self.state)
        self.gst_mode = QComboBox()
        for key, text in GST_MODES.items():
            self.gst_mode.addItem(text, key)
        form.addRow("GST on new fee heads", self.gst_mode)
        self.gst_rate = QLineEdit()
        form.addRow("GST rate (%)", self.gst_rate)
        self.limit_percent = QLineEdit()
        self.limit_percent.setPlaceholderText("e.g. 10 (empty: no percentage limit)")
        form.addRow("Discounts above (% of the fee)", self.limit_percent)
        self.limit_amount = QLineEdit()
        self.limit_amount.setPlaceholderText("e.g. 2000 (empty: no amount limit)")
        form.addRow("or above (₹)", self.limit_amount)
        layout.addLayout(form)
        layout.addWidget(styled_label(
            "A counselor's discount above either limit waits for an admin's approval (who "
            "and when are recorded); with no limit set, every counselor's discount waits.",
            "subtitle"))
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save fee settings")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.branch.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        branch = self.branch.currentData()
        if branch is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: fa.branch_fee_settings(replica, branch),
                               self._on_loaded, self._on_failed)

    def _on_loaded(self, values: fa.FeeSettingsValues) -> None:
        self.gstin.setText(values.gstin or "")
        self.state.setText(values.state or "")
        self.gst_mode.setCurrentIndex(max(0, self.gst_mode.findData(values.gst_mode)))
        self.gst_rate.setText(str(values.gst_rate))
        self.limit_percent.setText("" if values.limit_percent is None
                                   else str(values.limit_percent))
        self.limit_amount.setText("" if values.limit_amount is None
                                  else str(values.limit_amount))

    def _on_failed(self, exc: BaseException) -> None:
        self.message.setText(person_message(exc))

    def save(self) -> None:
        branch = self.branch.currentData()
        replica, actor = self._ctx.replica, self._ctx.actor
        values = {"gstin": self.gstin.text(), "state": self.state.text(),
                  "gst_mode": self.gst_mode.currentData(), "gst_rate": self.gst_rate.text(),
                  "limit_percent": self.limit_percent.text(),
                  "limit_amount": self.limit_amount.text()}
        name = self.branch.currentText()
        self._ctx.tasks.run_db(lambda: fa.save_fee_settings(replica, actor, branch, **values),
                               lambda _r: self._on_saved(name), self._on_failed)

    def _on_saved(self, name: str) -> None:
        self.message.setText(f"Fee settings of {name} saved.")
        self.sig_changed.emit()


class FeeSetupView(QWidget):
    """The admin's fee setup, one tab per screen."""

    def __init__(self, ctx: AppContext, branches: Sequence[fa.BranchChoice],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fee setup")
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Fee setup"))
        self.tabs = QTabWidget()
        self.heads = HeadsTab(ctx, branches)
        self.discounts = DiscountsTab(ctx)
        self.expenses = ExpensesTab(ctx, branches)
        self.salaries = SalariesTab(ctx, branches)
        self.settings = SettingsTab(ctx, branches)
        for tab, name in ((self.heads, "Fee heads"), (self.discounts, "Discounts"),
                          (self.expenses, "Expenses"), (self.salaries, "Salary payments"),
                          (self.settings, "Fee settings")):
            self.tabs.addTab(tab, name)
        layout.addWidget(self.tabs)
