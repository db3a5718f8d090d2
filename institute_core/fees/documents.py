"""What a receipt and a statement print, gathered from the replica as plain values.

Kept apart from the drawing (`printing.py`) so the desk gathers on its database worker and
the PDF is drawn from values, and so tests compare the values with the rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.fees.ledger import Ledger, ledger_of
from institute_core.fees.money import ZERO
from institute_core.fees.words import amount_in_words
from institute_core.reports.common import full_name
from institute_core.schema import (
    FeeInstalment,
    FeePlan,
    Payment,
    PaymentAllocation,
    PaymentEvent,
    Refund,
    Student,
    User,
)

MODE_NAMES = {"cash": "Cash", "upi": "UPI", "card": "Card", "cheque": "Cheque", "dd": "DD",
              "bank_transfer": "Bank transfer"}


@dataclass(frozen=True)
class ReceiptLine:
    what: str
    due_on: date | None
    amount: Decimal


@dataclass(frozen=True)
class ReceiptData:
    receipt_no: str
    paid_on: date
    student_name: str
    enrollment_no: str
    lines: tuple[ReceiptLine, ...]
    amount: Decimal
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    mode: str
    reference: str
    words: str
    balance: Decimal
    next_due_on: date | None
    next_due_amount: Decimal | None
    credit: Decimal
    received_by: str
    status: str | None  # "CANCELLED", "CHEQUE BOUNCED" or None


def _person(session: Session, user_id: uuid.UUID | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return full_name(user.first_name, user.last_name) or user.email if user else "—"


def _student(session: Session, student_id: uuid.UUID) -> tuple[str, str]:
    student = session.get(Student, student_id)
    if student is None:
        return "—", "—"
    user = session.get(User, student.user_id)
    return (full_name(user.first_name, user.last_name) if user else "—"), student.enrollment_no


def mode_text(payment: Payment) -> str:
    """"UPI · UTR 41235…", "Cheque 004512 · SBI · 05 Dec 2026" as a receipt shows it."""
    from institute_core.display import date_text

    parts = [MODE_NAMES.get(payment.mode, payment.mode)]
    if payment.mode == "card" and payment.card_last4:
        parts.append(f"card ending {payment.card_last4}")
    if payment.reference:
        label = {"upi": "UTR", "card": "approval", "bank_transfer": "ref."}.get(payment.mode, "no.")
        parts.append(f"{label} {payment.reference}")
    if payment.bank:
        parts.append(payment.bank)
    if payment.instrument_date:
        parts.append(date_text(payment.instrument_date))
    return " · ".join(parts)


def receipt_data(session: Session, payment_id: uuid.UUID) -> ReceiptData:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(f"no payment with id {payment_id}")
    name, enrollment_no = _student(session, payment.student_id)
    rows = session.execute(
        select(PaymentAllocation.amount, FeeInstalment.number, FeeInstalment.due_on,
               FeePlan.name, FeePlan.id)
        .join(FeeInstalment, FeeInstalment.id == PaymentAllocation.instalment_id)
        .join(FeePlan, FeePlan.id == FeeInstalment.plan_id)
        .where(PaymentAllocation.payment_id == payment_id,
               PaymentAllocation.deleted_at.is_(None))
        .order_by(FeeInstalment.due_on, FeeInstalment.number)).all()
    counts: dict[uuid.UUID, int] = {plan_id: int(n) for plan_id, n in session.execute(
        select(FeeInstalment.plan_id, func.max(FeeInstalment.number))
        .where(FeeInstalment.plan_id.in_([r[4] for r in rows]))
        .group_by(FeeInstalment.plan_id))}
    lines = [ReceiptLine(f"{plan} – instalment {number} of {counts.get(plan_id, number)}"
                         if counts.get(plan_id, 1) > 1 else plan, due_on, amount)
             for amount, number, due_on, plan, plan_id in rows]
    advance = payment.amount - sum((line.amount for line in lines), ZERO)
    if advance > 0:
        lines.append(ReceiptLine("Advance (credited to the student's account)", None, advance))
    events = set(session.execute(select(PaymentEvent.kind).where(
        PaymentEvent.payment_id == payment_id)).scalars())
    status = "CANCELLED" if "cancelled" in events else \
        "CHEQUE BOUNCED" if "bounced" in events else None
    book = ledger_of(session, payment.student_id)
    upcoming = book.next_due()
    return ReceiptData(
        receipt_no=payment.receipt_no, paid_on=payment.paid_on, student_name=name,
        enrollment_no=enrollment_no, lines=tuple(lines), amount=payment.amount,
        taxable=payment.taxable, cgst=payment.cgst, sgst=payment.sgst, igst=payment.igst,
        mode=payment.mode, reference=mode_text(payment), words=amount_in_words(payment.amount),
        balance=book.outstanding, next_due_on=upcoming.due_on if upcoming else None,
        next_due_amount=upcoming.outstanding if upcoming else None, credit=book.credit,
        received_by=_person(session, payment.received_by), status=status)


@dataclass(frozen=True)
class StatementLine:
    on: date
    what: str
    charged: Decimal = ZERO
    received: Decimal = ZERO


@dataclass
class StatementData:
    student_name: str
    enrollment_no: str
    ledger: Ledger
    lines: list[StatementLine] = field(default_factory=list)


def statement_data(session: Session, student_id: uuid.UUID) -> StatementData:
    """Every due, discount, payment, void and refund of a student, by date."""
    name, enrollment_no = _student(session, student_id)
    book = ledger_of(session, student_id)
    lines = [StatementLine(d.due_on, f"{d.plan_name} – instalment {d.number} due", d.amount)
             for d in book.dues]
    void = {e.payment_id: e for e in session.execute(select(PaymentEvent).where(
        PaymentEvent.student_id == student_id,
        PaymentEvent.kind.in_(("bounced", "cancelled")))).scalars()}
    for payment in session.execute(select(Payment).where(
            Payment.student_id == student_id)).scalars():
        lines.append(StatementLine(payment.paid_on, f"Receipt {payment.receipt_no} · "
                                   f"{MODE_NAMES.get(payment.mode, payment.mode)}",
                                   received=payment.amount))
        if payment.id in void:
            event = void[payment.id]
            lines.append(StatementLine(event.happened_on, f"Receipt {payment.receipt_no} "
                                       f"{event.kind}" + (f": {event.reason}" if event.reason
                                                          else ""), charged=payment.amount))
    for refund in session.execute(select(Refund).where(Refund.student_id == student_id)
                                  ).scalars():
        lines.append(StatementLine(refund.refunded_on, f"Refund {refund.credit_note_no}: "
                                   f"{refund.reason}", charged=refund.amount))
    lines.sort(key=lambda line: line.on)
    return StatementData(name, enrollment_no, book, lines)
