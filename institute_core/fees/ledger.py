"""What a student owes, has paid and is owed: dues per instalment, ageing, overpayment.

Worked out from the facts every time (nothing is stored as a balance, so two desks' payments
add up after sync without any merge): an instalment is due its amount less its share of the
plan's approved discounts (taken off the latest instalments first), less what valid payments
allocated to it. A payment whose cheque bounced, or that an admin cancelled, is not valid: what
it paid is due again. Money allocated beyond an instalment's due (two desks offline took the
same instalment) and money allocated to nothing is the student's credit, for a refund or the
next due.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import DiscountStatus, PaymentEventKind
from institute_core.fees.money import ZERO
from institute_core.schema import (
    FeeDiscount,
    FeeInstalment,
    FeePlan,
    Payment,
    PaymentAllocation,
    PaymentEvent,
    Refund,
)

VOIDING = frozenset({PaymentEventKind.BOUNCED.value, PaymentEventKind.CANCELLED.value})
# Ageing buckets of what is due, by days past the due date.
BUCKETS = ("Not yet due", "0–30 days", "31–60 days", "61–90 days", "90+ days")


def bucket_of(days_overdue: int) -> str:
    if days_overdue < 0:
        return BUCKETS[0]
    for limit, name in ((30, BUCKETS[1]), (60, BUCKETS[2]), (90, BUCKETS[3])):
        if days_overdue <= limit:
            return name
    return BUCKETS[4]


@dataclass(frozen=True)
class InstalmentDue:
    instalment_id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    number: int
    due_on: date
    amount: Decimal  # after discounts
    paid: Decimal
    outstanding: Decimal
    overpaid: Decimal


@dataclass
class Ledger:
    """One student's money: dues, payments, refunds and the balance."""

    student_id: uuid.UUID
    dues: list[InstalmentDue] = field(default_factory=list)
    charged: Decimal = ZERO  # plans before discounts
    discounted: Decimal = ZERO
    paid: Decimal = ZERO  # valid payments
    voided: Decimal = ZERO  # bounced or cancelled payments
    refunded: Decimal = ZERO
    unallocated: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return sum((d.outstanding for d in self.dues), ZERO)

    @property
    def credit(self) -> Decimal:
        """Overpaid and unallocated money not yet refunded: to refund or adjust."""
        return max(ZERO, sum((d.overpaid for d in self.dues), ZERO) + self.unallocated
                   - self.refunded)

    @property
    def balance(self) -> Decimal:
        """Still to pay (negative: the institute owes the student)."""
        return self.charged - self.discounted - self.paid + self.refunded

    def next_due(self) -> InstalmentDue | None:
        open_dues = [d for d in self.dues if d.outstanding > 0]
        return min(open_dues, key=lambda d: (d.due_on, d.number)) if open_dues else None

    def open_dues(self) -> list[InstalmentDue]:
        """Dues still open, oldest first: the order a payment is allocated in."""
        return sorted((d for d in self.dues if d.outstanding > 0),
                      key=lambda d: (d.due_on, d.plan_name, d.number))


def _discounted_amounts(instalments: list[Any], off: Decimal) -> dict[uuid.UUID, Decimal]:
    """Each instalment's amount with `off` taken from the latest instalments first."""
    amounts = {}
    for inst in sorted(instalments, key=lambda i: i.number, reverse=True):
        take = min(off, inst.amount)
        amounts[inst.id] = inst.amount - take
        off -= take
    return amounts


def _rows(session: Session, columns: list[Any], ids: list[uuid.UUID] | None,
          *where: Any) -> list[Any]:
    """Live rows (plain tuples, not ORM objects: a dues list reads tens of thousands) of a
    money table, of `ids`' students (None: all)."""
    table = columns[0].class_
    query = select(*columns).where(table.deleted_at.is_(None), *where)
    if ids is not None:
        query = query.where(table.student_id.in_(ids))
    return list(session.execute(query).all())


def voided_payments(session: Session, student_ids: Iterable[uuid.UUID] | None = None
                    ) -> set[uuid.UUID]:
    query = select(PaymentEvent.payment_id).where(PaymentEvent.kind.in_(VOIDING),
                                                  PaymentEvent.deleted_at.is_(None))
    if student_ids is not None:
        query = query.where(PaymentEvent.student_id.in_(list(student_ids)))
    return set(session.execute(query).scalars())


def ledgers(session: Session, student_ids: Iterable[uuid.UUID] | None = None
            ) -> dict[uuid.UUID, Ledger]:
    """The ledgers of `student_ids` (None: every student with any money on this replica)."""
    ids = None if student_ids is None else list(student_ids)
    plans = {p.id: p for p in _rows(session, [FeePlan.id, FeePlan.student_id, FeePlan.name],
                                     ids)}
    instalments: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for inst in _rows(session, [FeeInstalment.id, FeeInstalment.plan_id, FeeInstalment.number,
                                FeeInstalment.due_on, FeeInstalment.amount], ids):
        if inst.plan_id in plans:
            instalments[inst.plan_id].append(inst)
    off: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for disc in _rows(session, [FeeDiscount.plan_id, FeeDiscount.amount], ids,
                      FeeDiscount.status == DiscountStatus.APPROVED.value):
        off[disc.plan_id] += disc.amount
    void = voided_payments(session, ids)
    allocated: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    per_payment: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for alloc in _rows(session, [PaymentAllocation.payment_id, PaymentAllocation.instalment_id,
                                 PaymentAllocation.amount], ids):
        if alloc.payment_id not in void:
            allocated[alloc.instalment_id] += alloc.amount
            per_payment[alloc.payment_id] += alloc.amount
    result: dict[uuid.UUID, Ledger] = {}

    def ledger(student_id: uuid.UUID) -> Ledger:
        return result.setdefault(student_id, Ledger(student_id))

    for plan in plans.values():
        book = ledger(plan.student_id)
        items = instalments.get(plan.id, [])
        gross = sum((i.amount for i in items), ZERO)
        plan_off = min(off[plan.id], gross)
        book.charged += gross
        book.discounted += plan_off
        amounts = _discounted_amounts(items, plan_off) if plan_off else {
            i.id: i.amount for i in items}
        for inst in items:
            due, paid = amounts[inst.id], allocated.get(inst.id, ZERO)
            book.dues.append(InstalmentDue(
                inst.id, plan.id, plan.name, inst.number, inst.due_on, due, paid,
                max(ZERO, due - paid), max(ZERO, paid - due)))
    for payment in _rows(session, [Payment.id, Payment.student_id, Payment.amount], ids):
        book = ledger(payment.student_id)
        if payment.id in void:
            book.voided += payment.amount
            continue
        book.paid += payment.amount
        book.unallocated += max(ZERO, payment.amount - per_payment.get(payment.id, ZERO))
    for refund in _rows(session, [Refund.student_id, Refund.amount], ids):
        ledger(refund.student_id).refunded += refund.amount
    for book in result.values():
        book.dues.sort(key=lambda d: (d.due_on, d.plan_name, d.number))
    return result


def ledger_of(session: Session, student_id: uuid.UUID) -> Ledger:
    return ledgers(session, [student_id]).get(student_id) or Ledger(student_id)
