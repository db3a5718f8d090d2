"""The dues list (SQL aggregates, whole paise) and the ledger (value objects) are two ways to
the same figures: they are held equal over many students in every state a payment can be in."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal as D

from institute_core.enums import DiscountKind, DiscountReason, PlanKind
from institute_core.fees.discounts import Discount
from institute_core.fees.dues import dues_list
from institute_core.fees.ledger import BUCKETS, bucket_of, ledgers
from institute_core.fees.money import ZERO
from institute_core.fees.payments import (
    PaymentRequest,
    cancel_payment,
    record_cheque_step,
    refund,
    take_payment,
)
from institute_core.fees.plans import PlanRequest, add_discount, decide_discount, make_plan
from institute_core.replica import Actor, Replica
from institute_core.schema import FeeInstalment, PaymentAllocation
from tests.services.fixtures import Institute

TODAY = date(2026, 12, 5)


def _world(replica: Replica, institute: Institute, counselor: Actor, admin: Actor) -> None:
    rng = random.Random(18)
    for n, student in enumerate(institute.student_ids):
        for p in range(rng.choice((0, 1, 1, 2))):
            plan = make_plan(replica, counselor, PlanRequest(
                student_id=student, name=f"Fee {p}", price=D(rng.choice(
                    ("9999.99", "30000", "12500.50", "45000"))),
                kind=PlanKind.INSTALMENTS.value, instalments=rng.randint(1, 5),
                first_due=TODAY - timedelta(days=rng.randint(-40, 200)),
                every_months=rng.choice((1, 2))), TODAY)
            if rng.random() < 0.3:
                discount, _ = add_discount(replica, counselor, plan, Discount(
                    DiscountKind.PERCENTAGE, D(rng.choice(("10", "35", "50"))),
                    DiscountReason.SIBLING))
                if rng.random() < 0.8:
                    decide_discount(replica, admin, discount, approve=True)
        for _ in range(rng.randint(0, 3)):
            mode = rng.choice(("cash", "cheque", "upi"))
            taken = take_payment(replica, counselor, PaymentRequest(
                student, str(rng.choice((500, 2500.25, 10000, 60000))), mode,
                reference="R1" if mode != "cash" else None,
                bank="SBI" if mode == "cheque" else None,
                instrument_date=TODAY if mode == "cheque" else None), TODAY)
            roll = rng.random()
            if mode == "cheque" and roll < 0.5:
                record_cheque_step(replica, counselor, taken.payment_id, "bounced", TODAY)
            elif roll < 0.15:
                cancel_payment(replica, admin, taken.payment_id, "wrong student", TODAY)
        if n % 7 == 3:
            # Another desk took the same instalment offline: an allocation beyond its due.
            with replica.read() as session:
                first = session.query(FeeInstalment).filter_by(student_id=student).first()
            if first is not None:
                extra = take_payment(replica, counselor, PaymentRequest(
                    student, "1000", "cash"), TODAY)
                with replica.write(counselor) as session:
                    session.add(PaymentAllocation(payment_id=extra.payment_id,
                                                  instalment_id=first.id, student_id=student,
                                                  amount=D("0.01")))
        with replica.read() as session:
            credit = ledgers(session, [student]).get(student)
        if credit is not None and credit.credit > 0 and rng.random() < 0.5:
            refund(replica, admin, student, str(credit.credit), "cash", "overpaid", TODAY)


def test_the_dues_list_equals_the_ledgers(replica: Replica, institute: Institute,
                                          counselor: Actor, admin: Actor) -> None:
    _world(replica, institute, counselor, admin)
    with replica.read() as session:
        books = ledgers(session)
        summary = dues_list(session, TODAY)
    listed = {row.student_id: row for row in summary.rows}
    expected = {sid: b for sid, b in books.items() if b.outstanding > 0 or b.credit > 0}
    assert set(listed) == set(expected)
    kinds = set()
    for sid, book in expected.items():
        row = listed[sid]
        open_dues = book.open_dues()
        assert row.outstanding == book.outstanding
        assert row.credit == book.credit
        assert row.overdue == sum((d.outstanding for d in open_dues if d.due_on < TODAY), ZERO)
        assert row.oldest_due_on == (open_dues[0].due_on if open_dues else None)
        upcoming = [d.due_on for d in open_dues if d.due_on >= TODAY]
        assert row.next_due_on == (min(upcoming) if upcoming else None)
        kinds.add(row.bucket)
    by_bucket = dict.fromkeys(BUCKETS, ZERO)
    for book in books.values():
        for due in book.open_dues():
            by_bucket[bucket_of((TODAY - due.due_on).days)] += due.outstanding
    assert summary.by_bucket == by_bucket
    assert summary.total_outstanding == sum((b.outstanding for b in books.values()), ZERO)
    # The world reaches the states that matter: overdue in several buckets and credit.
    assert len(kinds) >= 4 and any(b.credit > 0 for b in expected.values())
    assert any(b.discounted > 0 for b in expected.values())
    assert any(b.voided > 0 for b in expected.values())
