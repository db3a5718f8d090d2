"""Money per branch and the discount limit, through a real server on PostgreSQL (issue 18):
a desk of one branch neither pulls nor pushes another branch's money rows, and a counselor's
desk cannot push a discount above the limit its branch set as approved."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from sqlalchemy import select

from institute_core.branches.service import save_branch
from institute_core.enums import DiscountKind, DiscountReason, PlanKind
from institute_core.fees.discounts import Discount
from institute_core.fees.payments import PaymentRequest, take_payment
from institute_core.fees.plans import (
    PlanRequest,
    add_discount,
    add_fee_head,
    decide_discount,
    make_plan,
)
from institute_core.numbering import SERIES_STATE_KEY, next_number
from institute_core.schema import MAIN_BRANCH_ID, Branch, FeeDiscount, Payment, Student
from institute_core.sync.account import sync_replica
from institute_core.sync.runner import SyncReport
from sync_server.settings import make_engine
from tests.support.server import ServerProcess, create_user
from tests.sync.builders import add_student, add_subject
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk
from tests.sync.invariants import held_rows

TODAY = date(2026, 12, 5)


class Admin:
    role = "admin"


def _sync(desk: Desk) -> SyncReport:
    return sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)


def _server(url: str, model: type, *where: object) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(model.__table__).where(*where)).mappings())  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def _plan(desk: Desk, student: uuid.UUID, price: str = "20000") -> uuid.UUID:
    return make_plan(desk.replica, desk.replica.actor(desk.user_id), PlanRequest(
        student_id=student, name="Python course", price=D(price),
        kind=PlanKind.INSTALMENTS.value, instalments=2, first_due=TODAY), TODAY)


def test_a_branch_desk_holds_and_pushes_its_branchs_money_only(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    url = institute.url
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = admin.replica.actor(admin.user_id)
    north = save_branch(admin.replica, actor, Admin(), name="North", code="NOR")
    assert not _sync(admin).rejected
    counselor_n = create_user(url, email="cn@example.org", password="correct horse 42",
                              role="counselor", branches=(north,))
    assert not _sync(admin).rejected
    subject, _topics = add_subject(admin.replica, admin.user_id)
    s_main = add_student(admin.replica, admin.user_id, "ENR-M1", subject_id=subject,
                         faculty_id=institute.faculty, counselor_id=institute.counselor)
    s_north = add_student(admin.replica, admin.user_id, "ENR-N1", subject_id=subject,
                          faculty_id=institute.faculty, counselor_id=counselor_n)
    with admin.replica.write(actor) as s:
        s.get(Student, s_north).branch_id = north
    head_main = add_fee_head(admin.replica, actor, name="Course fee", amount="20000",
                             branch_id=MAIN_BRANCH_ID)
    head_north = add_fee_head(admin.replica, actor, name="Course fee", amount="18000",
                              branch_id=north)
    _plan(admin, s_main)
    _plan(admin, s_north)
    assert not _sync(admin).rejected

    main_desk, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    north_desk, _ = open_desk(desks, tmp_path, server.base_url, "cn@example.org")
    held_main, held_north = held_rows(main_desk.replica), held_rows(north_desk.replica)
    # Each branch's desk holds its own price list and its own students' plans only.
    assert set(held_main["fee_heads"]) == {str(head_main)}
    assert set(held_north["fee_heads"]) == {str(head_north)}
    assert {r["student_id"] for r in held_north["fee_plans"].values()} == {str(s_north)}

    # A payment records the branch it was taken in, and syncs.
    taken = take_payment(north_desk.replica, north_desk.replica.actor(north_desk.user_id),
                         PaymentRequest(s_north, "5000", "upi", reference="UTR1"), TODAY)
    assert not _sync(north_desk).rejected
    [row] = _server(url, Payment, Payment.receipt_no == taken.receipt_no)
    assert row["branch_id"] == north  # type: ignore[index]

    # A tampered North desk books money into Main's branch: refused, nothing stored.
    series = north_desk.replica.get_state(SERIES_STATE_KEY)
    with north_desk.replica.write(north_desk.replica.actor(north_desk.user_id)) as s:
        forged = Payment(student_id=s_north, paid_on=TODAY, amount=D("100"), mode="cash",
                         receipt_no=next_number(s, "payments", "receipt_no", series, TODAY),
                         received_by=north_desk.user_id, branch_id=MAIN_BRANCH_ID)
        s.add(forged)
        forged_no = forged.receipt_no
    report = _sync(north_desk)
    assert [r.table for r in report.rejected] == ["payments"]
    assert "taken in one of their branches" in report.rejected[0].reason
    assert _server(url, Payment, Payment.receipt_no == forged_no) == []

    # The admin's desk (every branch) holds both price lists and both payments' branches.
    assert not _sync(admin).rejected
    assert {str(head_main), str(head_north)} <= set(held_rows(admin.replica)["fee_heads"])


def test_a_discount_above_the_branch_limit_waits_for_an_admin_and_cannot_be_forged(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    url = institute.url
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = admin.replica.actor(admin.user_id)
    with admin.replica.write(actor) as s:
        main = s.get(Branch, MAIN_BRANCH_ID)
        main.discount_limit_percent = D("10")
    subject, _topics = add_subject(admin.replica, admin.user_id)
    student = add_student(admin.replica, admin.user_id, "ENR-D1", subject_id=subject,
                          faculty_id=institute.faculty, counselor_id=institute.counselor)
    plan = _plan(admin, student)
    assert not _sync(admin).rejected
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    me = front.replica.actor(front.user_id)

    # Within the limit (5 % of 20,000): approved at once, by nobody, and the server agrees.
    small, status = add_discount(front.replica, me, plan, Discount(
        DiscountKind.PERCENTAGE, D("5"), DiscountReason.SIBLING))
    assert status == "approved"
    # Above it (3,000 of 20,000 = 15 %): waits for an admin.
    large, status = add_discount(front.replica, me, plan, Discount(
        DiscountKind.FIXED, D("3000"), DiscountReason.SCHOLARSHIP))
    assert status == "pending"
    assert not _sync(front).rejected

    # A tampered desk marks a 25 % discount approved by nobody: refused with the reason.
    with front.replica.write(me) as s:
        s.add(FeeDiscount(plan_id=plan, student_id=student, kind="percentage",
                          value=D("25"), amount=D("5000.00"), reason="other",
                          status="approved", requested_by=front.user_id))
    # ... and one that claims 5 % but takes 5,000 off.
    with front.replica.write(me) as s:
        s.add(FeeDiscount(plan_id=plan, student_id=student, kind="percentage",
                          value=D("5"), amount=D("5000.00"), reason="other",
                          status="approved", requested_by=front.user_id))
    report = _sync(front)
    assert [r.table for r in report.rejected] == ["fee_discounts", "fee_discounts"]
    assert all("within the discount limit of the student's branch" in r.reason
               for r in report.rejected)
    stored = {r["id"]: r for r in _server(url, FeeDiscount)}  # type: ignore[index]
    assert set(stored) == {small, large}
    assert stored[small]["status"] == "approved" and stored[small]["approved_by"] is None  # type: ignore[index]

    # The admin approves the large one: who and when are recorded on the server.
    assert not _sync(admin).rejected
    decide_discount(admin.replica, actor, large, approve=True)
    assert not _sync(admin).rejected
    [row] = _server(url, FeeDiscount, FeeDiscount.id == large)
    assert (row["status"], row["approved_by"]) == ("approved", admin.user_id)  # type: ignore[index]
    assert row["approved_at"] is not None  # type: ignore[index]


def test_a_receipt_number_must_carry_the_code_of_its_own_branch(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    """A desk may not issue a receipt that reads as another branch's series: the server refuses
    a payment whose number's branch code is not its branch_id's, naming the field, and stores
    nothing; the same desk's honest receipt in that branch goes through."""
    url = institute.url
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = admin.replica.actor(admin.user_id)
    north = save_branch(admin.replica, actor, Admin(), name="North", code="NOR")
    subject, _topics = add_subject(admin.replica, admin.user_id)
    student = add_student(admin.replica, admin.user_id, "ENR-M2", subject_id=subject,
                          faculty_id=institute.faculty, counselor_id=institute.counselor)
    _plan(admin, student)
    assert not _sync(admin).rejected

    series = admin.replica.get_state(SERIES_STATE_KEY)
    with admin.replica.write(actor) as s:
        # A Main student's money, numbered as North's (an admin desk may serve both branches).
        forged = Payment(student_id=student, paid_on=TODAY, amount=D("100"), mode="cash",
                         receipt_no=next_number(s, "payments", "receipt_no", series, TODAY,
                                                branch="NOR"),
                         received_by=admin.user_id, branch_id=MAIN_BRANCH_ID)
        s.add(forged)
        forged_no = forged.receipt_no
    assert forged_no.startswith("NOR/")
    report = _sync(admin)
    assert [r.table for r in report.rejected] == ["payments"]
    reason = report.rejected[0].reason
    assert "payments.receipt_no" in reason and "'NOR'" in reason and "'MAIN'" in reason
    assert _server(url, Payment, Payment.receipt_no == forged_no) == []

    # The desk's own numbering gives a Main receipt Main's code, which the server accepts.
    taken = take_payment(admin.replica, actor, PaymentRequest(student, "5000", "cash"), TODAY)
    assert taken.receipt_no.startswith("MAIN/")
    assert not _sync(admin).rejected
    [row] = _server(url, Payment, Payment.receipt_no == taken.receipt_no)
    assert row["branch_id"] == MAIN_BRANCH_ID  # type: ignore[index]
    assert north != MAIN_BRANCH_ID
