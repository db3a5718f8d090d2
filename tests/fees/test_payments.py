"""Plans, payments, allocation, cheque bounce, cancellation, refund and the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from institute_core.enums import DiscountKind, DiscountReason, GstMode, PlanKind
from institute_core.fees.access import MoneyAccessDenied
from institute_core.fees.discounts import Discount
from institute_core.fees.ledger import bucket_of, ledger_of
from institute_core.fees.payments import (
    PaymentRequest,
    cancel_payment,
    record_cheque_step,
    refund,
    take_payment,
)
from institute_core.fees.plans import PlanRequest, add_discount, decide_discount, make_plan
from institute_core.replica import Actor, Replica
from institute_core.schema import Payment
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute

TODAY = date(2026, 12, 5)


def _plan(replica: Replica, actor: Actor, institute: Institute, price: str = "30000",
          count: int = 3, **extra: object) -> object:
    return make_plan(replica, actor, PlanRequest(
        student_id=institute.student_ids[0], name="Python course", price=D(price),
        kind=PlanKind.INSTALMENTS.value, instalments=count,
        first_due=TODAY - timedelta(days=40), **extra), TODAY)  # type: ignore[arg-type]


def _ledger(replica: Replica, institute: Institute):  # type: ignore[no-untyped-def]
    with replica.read() as session:
        return ledger_of(session, institute.student_ids[0])


def test_a_payment_pays_the_oldest_due_first_and_shows_balance_and_next_due(
        replica: Replica, institute: Institute, counselor: Actor) -> None:
    _plan(replica, counselor, institute)
    taken = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "12000", "upi", reference="UTR123456"), TODAY)
    assert taken.receipt_no == "MAIN/2026-27/D07/000001"
    assert (taken.allocated, taken.advance) == (D("12000.00"), D("0.00"))
    book = _ledger(replica, institute)
    assert [(d.number, d.paid, d.outstanding) for d in book.dues] == [
        (1, D("10000.00"), D("0.00")), (2, D("2000.00"), D("8000.00")),
        (3, D("0.00"), D("10000.00"))]
    assert book.outstanding == D("18000.00") == book.balance
    assert book.next_due() is not None and book.next_due().number == 2  # type: ignore[union-attr]
    second = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "500", "cash"), TODAY)
    assert second.receipt_no == "MAIN/2026-27/D07/000002"


def test_gst_inside_a_payment_follows_the_plan_and_the_state(
        replica: Replica, institute: Institute, counselor: Actor) -> None:
    _plan(replica, counselor, institute, price="10000", count=1,
          gst_mode=GstMode.EXCLUSIVE.value, gst_rate=D("18"))
    assert _ledger(replica, institute).outstanding == D("11800.00")
    taken = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "11800", "cash"), TODAY)
    with replica.read() as session:
        payment = session.get(Payment, taken.payment_id)
        assert payment is not None
        assert (payment.taxable, payment.cgst, payment.sgst, payment.igst) == (
            D("10000.00"), D("900.00"), D("900.00"), D("0.00"))


def test_each_mode_asks_for_what_it_needs(replica: Replica, institute: Institute,
                                          counselor: Actor) -> None:
    student = institute.student_ids[0]
    for request, field in (
            (PaymentRequest(student, "100", "upi"), "reference"),
            (PaymentRequest(student, "100", "card", reference="A1", card_last4="12"),
             "card_last4"),
            (PaymentRequest(student, "100", "cheque", reference="000123"), "bank"),
            (PaymentRequest(student, "0", "cash"), "amount"),
            (PaymentRequest(student, "100", "barter"), "mode")):
        with pytest.raises(InvalidInput) as raised:
            take_payment(replica, counselor, request, TODAY)
        assert raised.value.field == field
    with replica.read() as session:
        assert session.query(Payment).count() == 0


def test_a_bounced_cheque_reopens_the_due(replica: Replica, institute: Institute,
                                          counselor: Actor) -> None:
    _plan(replica, counselor, institute, count=1)
    taken = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "30000", "cheque", reference="004512", bank="SBI",
        instrument_date=TODAY), TODAY)
    assert _ledger(replica, institute).outstanding == 0
    record_cheque_step(replica, counselor, taken.payment_id, "deposited", TODAY)
    record_cheque_step(replica, counselor, taken.payment_id, "bounced", TODAY, "insufficient")
    book = _ledger(replica, institute)
    assert book.outstanding == D("30000.00") and book.voided == D("30000.00")
    with pytest.raises(InvalidInput, match="cleared after bounced"):
        record_cheque_step(replica, counselor, taken.payment_id, "cleared", TODAY)


def test_only_an_admin_cancels_and_refunds_and_a_refund_has_its_own_number(
        replica: Replica, institute: Institute, counselor: Actor, admin: Actor) -> None:
    _plan(replica, counselor, institute, count=1, price="1000")
    first = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "1000", "cash"), TODAY)
    extra = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "400", "cash"), TODAY)
    assert extra.advance == D("400.00")
    assert _ledger(replica, institute).credit == D("400.00")
    with pytest.raises(MoneyAccessDenied, match="only an admin"):
        cancel_payment(replica, counselor, first.payment_id, "typed twice", TODAY)
    with pytest.raises(MoneyAccessDenied):
        refund(replica, counselor, institute.student_ids[0], "400", "cash", "overpaid", TODAY)
    with pytest.raises(InvalidInput, match="more than the student's credit"):
        refund(replica, admin, institute.student_ids[0], "401", "cash", "overpaid", TODAY)
    _, number = refund(replica, admin, institute.student_ids[0], "400", "cash", "overpaid",
                       TODAY, payment_id=extra.payment_id)
    assert number == "MAIN/2026-27/D07/000001"  # the credit notes' own sequence
    book = _ledger(replica, institute)
    assert (book.credit, book.outstanding, book.balance) == (D("0.00"), D("0.00"), D("0.00"))
    cancel_payment(replica, admin, first.payment_id, "typed twice", TODAY)
    assert _ledger(replica, institute).outstanding == D("1000.00")


def test_discounts_reduce_the_latest_dues_once_an_admin_approves(
        replica: Replica, institute: Institute, counselor: Actor, admin: Actor) -> None:
    plan_id = _plan(replica, counselor, institute)
    discount_id, status = add_discount(replica, counselor, plan_id,  # type: ignore[arg-type]
                                       Discount(DiscountKind.PERCENTAGE, D("40"),
                                                DiscountReason.SCHOLARSHIP))
    assert status == "pending" and _ledger(replica, institute).outstanding == D("30000.00")
    with pytest.raises(MoneyAccessDenied):
        decide_discount(replica, counselor, discount_id, approve=True)
    decide_discount(replica, admin, discount_id, approve=True)
    book = _ledger(replica, institute)
    assert [d.amount for d in book.dues] == [D("10000.00"), D("8000.00"), D("0.00")]
    assert book.discounted == D("12000.00") and book.outstanding == D("18000.00")


def test_faculty_handle_no_money(replica: Replica, institute: Institute) -> None:
    with pytest.raises(MoneyAccessDenied, match="faculty"):
        take_payment(replica, replica.actor(institute.faculty_user_id), PaymentRequest(
            institute.student_ids[0], "100", "cash"), TODAY)


@pytest.mark.parametrize(("days", "bucket"), [(-1, "Not yet due"), (0, "0–30 days"),
                                              (30, "0–30 days"), (31, "31–60 days"),
                                              (90, "61–90 days"), (91, "90+ days")])
def test_ageing_buckets(days: int, bucket: str) -> None:
    assert bucket_of(days) == bucket
