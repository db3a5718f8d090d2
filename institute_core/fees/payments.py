"""Taking money at the desk, and what may happen to it afterwards.

A payment is numbered from this desk's series (institute_core/numbering.py), allocated to the
student's oldest open dues unless the counselor chose instalments, and carries the GST inside
each allocation (at its plan's rate; money allocated to nothing is an advance, without GST).
Nothing here edits a payment: a cheque's deposit, clearing or bounce and an admin's
cancellation are new `payment_events` rows, a refund is a new `refunds` row with a credit-note
number of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import GstMode, PaymentEventKind, PaymentMode
from institute_core.fees import gst
from institute_core.fees.access import REFUND, require_admin, require_money_access
from institute_core.fees.ledger import ledger_of
from institute_core.fees.money import ZERO, entered
from institute_core.numbering import SERIES_STATE_KEY, next_number, number_branch
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    Branch,
    FeeInstalment,
    FeePlan,
    Payment,
    PaymentAllocation,
    PaymentEvent,
    Refund,
    Student,
)
from institute_core.schema.fees import NUMBER_LENGTH
from institute_core.validation import InvalidInput

INSTRUMENTS = frozenset({PaymentMode.CHEQUE.value, PaymentMode.DD.value})


@dataclass(frozen=True)
class PaymentRequest:
    """What the counselor typed: the amount, the mode and what the mode needs."""

    student_id: uuid.UUID
    amount: Decimal | str
    mode: str = PaymentMode.CASH.value
    paid_on: date | None = None
    reference: str | None = None  # UTR, approval code, cheque/DD number, transfer reference
    card_last4: str | None = None
    bank: str | None = None
    instrument_date: date | None = None
    note: str | None = None
    # Instalments to pay first, in this order (the rest goes oldest first).
    instalment_ids: tuple[uuid.UUID, ...] = field(default_factory=tuple)


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def check_request(request: PaymentRequest) -> Decimal:
    """The amount, or `InvalidInput` naming what the mode is missing."""
    try:
        amount = entered(request.amount)
    except ValueError as exc:
        raise InvalidInput("payments", "amount", str(exc)) from None
    mode = request.mode
    if mode not in {m.value for m in PaymentMode}:
        raise InvalidInput("payments", "mode", "choose cash, UPI, card, cheque, DD or transfer")
    reference = _text(request.reference)
    needs = {PaymentMode.UPI.value: "the UTR / UPI reference",
             PaymentMode.CARD.value: "the approval code",
             PaymentMode.CHEQUE.value: "the cheque number",
             PaymentMode.DD.value: "the DD number",
             PaymentMode.BANK_TRANSFER.value: "the transfer reference"}
    if mode in needs and not reference:
        raise InvalidInput("payments", "reference", f"is required for {mode}: {needs[mode]}")
    if mode == PaymentMode.CARD.value:
        last4 = _text(request.card_last4) or ""
        if not (len(last4) == 4 and last4.isdigit()):
            raise InvalidInput("payments", "card_last4", "the card's last four digits")
    if mode in INSTRUMENTS and (not _text(request.bank) or request.instrument_date is None):
        raise InvalidInput("payments", "bank", f"a {mode} needs its bank and date")
    return amount


@dataclass(frozen=True)
class Taken:
    payment_id: uuid.UUID
    receipt_no: str
    allocated: Decimal
    advance: Decimal  # not allocated to any due: the student's credit


def branch_code(session: Session, branch_id: uuid.UUID | None) -> str | None:
    """The code a receipt or credit note of `branch_id` starts with (`MAIN/2026-27/D07/000123`:
    each branch's receipts read as its own series), or None when its code would not fit the
    number's column (the number is then plain; its series alone keeps it unique)."""
    if branch_id is None:
        return None
    return number_branch(session.execute(select(Branch.code).where(
        Branch.id == branch_id)).scalar(), NUMBER_LENGTH)


def take_payment(replica: Replica, actor: Actor, request: PaymentRequest,
                 today: date) -> Taken:
    """Record money received and number its receipt, in one unit of work."""
    amount = check_request(request)
    series = replica.get_state(SERIES_STATE_KEY)
    with replica.write(actor) as session:
        require_money_access(session, actor.user_id)
        student = session.get(Student, request.student_id)
        if student is None:
            raise LookupError(f"no student with id {request.student_id}")
        paid_on = request.paid_on or today
        book = ledger_of(session, request.student_id)
        open_dues = book.open_dues()
        chosen = [d for i in request.instalment_ids for d in open_dues if d.instalment_id == i]
        order = chosen + [d for d in open_dues if d not in chosen]
        # Worked out before anything is written: a payment is a fact, inserted whole in one
        # flush (a second flush would send an update, which no desk may push).
        left, taxes = amount, gst.Tax(ZERO)
        parts: list[tuple[uuid.UUID, Decimal]] = []
        plans: dict[uuid.UUID, FeePlan | None] = {}
        for due in order:
            if left <= 0:
                break
            part = min(left, due.outstanding)
            left -= part
            parts.append((due.instalment_id, part))
            plan = plans.setdefault(due.plan_id, session.get(FeePlan, due.plan_id))
            taxed = plan is not None and plan.gst_mode != GstMode.NONE.value
            inside = gst.apply(part, GstMode.INCLUSIVE if taxed else GstMode.NONE,
                               plan.gst_rate if plan is not None else 0,
                               inter_state=bool(plan is not None and plan.inter_state))
            taxes = gst.Tax(taxes.taxable + inside.taxable, taxes.cgst + inside.cgst,
                            taxes.sgst + inside.sgst, taxes.igst + inside.igst)
        payment = Payment(
            id=uuid.uuid4(), student_id=request.student_id,
            receipt_no=next_number(session, "payments", "receipt_no", series, paid_on,
                                   branch_code(session, student.branch_id)),
            paid_on=paid_on, amount=amount, mode=request.mode,
            reference=_text(request.reference), card_last4=_text(request.card_last4),
            bank=_text(request.bank), instrument_date=request.instrument_date,
            note=_text(request.note), received_by=actor.user_id,
            # Taken in the student's branch: its reports count it even if they move later.
            branch_id=student.branch_id,
            # An advance (allocated to nothing) is taxable value without GST until it pays a due.
            taxable=taxes.taxable + left, cgst=taxes.cgst, sgst=taxes.sgst, igst=taxes.igst)
        session.add(payment)
        session.flush()
        session.add_all(PaymentAllocation(payment_id=payment.id, instalment_id=instalment_id,
                                          student_id=request.student_id, amount=part)
                        for instalment_id, part in parts)
        session.flush()
        return Taken(payment.id, payment.receipt_no, amount - left, left)


def _payment(session: Session, payment_id: uuid.UUID) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.deleted_at is not None:
        raise LookupError(f"no payment with id {payment_id}")
    return payment


def _events(session: Session, payment_id: uuid.UUID) -> list[str]:
    """What happened to a payment, in the order it was recorded."""
    return list(session.execute(select(PaymentEvent.kind).where(
        PaymentEvent.payment_id == payment_id, PaymentEvent.deleted_at.is_(None))
        .order_by(PaymentEvent.happened_on, PaymentEvent.created_at)).scalars())


# A cheque's way through the bank: what may follow what.
_NEXT_STEP = {None: {"deposited", "cleared", "bounced"}, "deposited": {"cleared", "bounced"},
              "cleared": set(), "bounced": set()}


def record_cheque_step(replica: Replica, actor: Actor, payment_id: uuid.UUID, kind: str,
                       on: date, reason: str | None = None) -> uuid.UUID:
    """A cheque or DD deposited, cleared or bounced (a bounce reopens what it paid)."""
    with replica.write(actor) as session:
        require_money_access(session, actor.user_id)
        payment = _payment(session, payment_id)
        if payment.mode not in INSTRUMENTS:
            raise InvalidInput("payment_events", "kind", f"a {payment.mode} payment has no "
                               "cheque steps")
        steps = [k for k in _events(session, payment_id) if k != "cancelled"]
        last = steps[-1] if steps else None
        if "cancelled" in _events(session, payment_id) or kind not in _NEXT_STEP.get(last, set()):
            raise InvalidInput("payment_events", "kind",
                               f"cannot be {kind} after {last or 'receipt'}")
        event = PaymentEvent(payment_id=payment_id, student_id=payment.student_id, kind=kind,
                             happened_on=on, reason=_text(reason), recorded_by=actor.user_id)
        session.add(event)
        session.flush()
        return event.id


def cancel_payment(replica: Replica, actor: Actor, payment_id: uuid.UUID, reason: str,
                   on: date) -> uuid.UUID:
    """An admin cancels a receipt, with a reason; what it paid is due again."""
    if not _text(reason):
        raise InvalidInput("payment_events", "reason", "is required: why is it cancelled?")
    with replica.write(actor) as session:
        require_admin(session, actor.user_id, "cancel a receipt", REFUND)
        payment = _payment(session, payment_id)
        if "cancelled" in _events(session, payment_id):
            raise InvalidInput("payment_events", "kind", "the receipt is already cancelled")
        event = PaymentEvent(payment_id=payment_id, student_id=payment.student_id,
                             kind=PaymentEventKind.CANCELLED.value, happened_on=on,
                             reason=_text(reason), recorded_by=actor.user_id)
        session.add(event)
        session.flush()
        return event.id


def refund(replica: Replica, actor: Actor, student_id: uuid.UUID, amount: Decimal | str,
           mode: str, reason: str, on: date, *, payment_id: uuid.UUID | None = None,
           reference: str | None = None) -> tuple[uuid.UUID, str]:
    """An admin pays money back as a credit note (its own number); (its id, its number).
    At most the student's credit: a refund never makes a student owe more."""
    if not _text(reason):
        raise InvalidInput("refunds", "reason", "is required: why is money paid back?")
    try:
        value = entered(amount)
    except ValueError as exc:
        raise InvalidInput("refunds", "amount", str(exc)) from None
    series = replica.get_state(SERIES_STATE_KEY)
    with replica.write(actor) as session:
        require_admin(session, actor.user_id, "refund", REFUND)
        credit = ledger_of(session, student_id).credit
        if value > credit:
            raise InvalidInput("refunds", "amount", f"is more than the student's credit "
                               f"({credit})")
        branch_id = session.execute(select(Student.branch_id).where(
            Student.id == student_id)).scalar()
        row = Refund(student_id=student_id, payment_id=payment_id,
                     credit_note_no=next_number(session, "refunds", "credit_note_no", series,
                                                on, branch_code(session, branch_id)),
                     refunded_on=on, amount=value, mode=mode, reference=_text(reference),
                     reason=str(_text(reason)), refunded_by=actor.user_id,
                     branch_id=branch_id)
        session.add(row)
        session.flush()
        return row.id, row.credit_note_no


__all__ = ["FeeInstalment", "PaymentRequest", "Taken", "cancel_payment", "check_request",
           "record_cheque_step", "refund", "take_payment"]
