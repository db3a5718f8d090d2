"""The admin's money screens' services: fee settings per branch with the discount limit a
counselor's discount meets, expenses and salaries (hourly pay from sessions taught) checked
against SQL, and a defaulter's follow-up shown on the dues list."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from institute_core.enums import DiscountKind, DiscountReason, PlanKind
from institute_core.fees import admin as fa
from institute_core.fees.access import MoneyAccessDenied
from institute_core.fees.discounts import Discount
from institute_core.fees.dues import dues_list
from institute_core.fees.plans import (
    PlanRequest,
    add_discount,
    add_fee_head,
    all_heads,
    decide_discount,
    make_plan,
)
from institute_core.replica import Actor, Replica
from institute_core.schema import MAIN_BRANCH_ID, Branch, Faculty, LearningSession
from institute_core.validation import InvalidInput
from tests.reports.sql import rows
from tests.services.fixtures import Institute

TODAY = date(2026, 12, 5)


def _plan(replica: Replica, actor: Actor, institute: Institute, n: int = 0) -> object:
    return make_plan(replica, actor, PlanRequest(
        student_id=institute.student_ids[n], name="Course", price=D("20000"),
        kind=PlanKind.INSTALMENTS.value, instalments=2,
        first_due=TODAY - timedelta(days=40)), TODAY)


def test_fee_settings_are_saved_per_branch_and_bad_values_change_nothing(
        replica: Replica, institute: Institute, admin: Actor, counselor: Actor) -> None:
    fa.save_fee_settings(replica, admin, MAIN_BRANCH_ID, gstin="29abcde1234f1z5",
                         state="Karnataka", gst_mode="exclusive", gst_rate="18",
                         limit_percent="10", limit_amount="1500")
    saved = fa.branch_fee_settings(replica, MAIN_BRANCH_ID)
    assert (saved.gstin, saved.state, saved.gst_mode, saved.gst_rate, saved.limit_percent,
            saved.limit_amount) == ("29ABCDE1234F1Z5", "Karnataka", "exclusive", D("18"),
                                    D("10"), D("1500"))
    for field, kwargs in (("gstin", {"gstin": "12345"}), ("gst_rate", {"gst_rate": "118"}),
                          ("discount_limit_percent", {"limit_percent": "-1"}),
                          ("discount_limit_amount", {"limit_amount": "ten"})):
        values = {"gstin": None, "state": None, "gst_mode": "none", "gst_rate": "0",
                  "limit_percent": None, "limit_amount": None, **kwargs}
        with pytest.raises(InvalidInput) as refused:
            fa.save_fee_settings(replica, admin, MAIN_BRANCH_ID, **values)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert fa.branch_fee_settings(replica, MAIN_BRANCH_ID) == saved
    with pytest.raises(MoneyAccessDenied, match=r"fees\.configure"):
        fa.save_fee_settings(replica, counselor, MAIN_BRANCH_ID, gstin=None, state=None,
                             gst_mode="none", gst_rate="0", limit_percent="90",
                             limit_amount=None)


def test_a_counselors_discount_within_the_limit_applies_and_above_it_waits(
        replica: Replica, institute: Institute, admin: Actor, counselor: Actor) -> None:
    fa.save_fee_settings(replica, admin, MAIN_BRANCH_ID, gstin=None, state=None,
                         gst_mode="none", gst_rate="0", limit_percent="10",
                         limit_amount="1500")
    plan = _plan(replica, counselor, institute)
    small = add_discount(replica, counselor, plan, Discount(  # type: ignore[arg-type]
        DiscountKind.FIXED, D("1000"), DiscountReason.SIBLING))
    by_percent = add_discount(replica, counselor, plan, Discount(  # type: ignore[arg-type]
        DiscountKind.PERCENTAGE, D("9"), DiscountReason.EARLY_BIRD))  # 1,800 > 1,500
    large = add_discount(replica, counselor, plan, Discount(  # type: ignore[arg-type]
        DiscountKind.PERCENTAGE, D("15"), DiscountReason.SCHOLARSHIP))
    assert [s for _i, s in (small, by_percent, large)] == ["approved", "pending", "pending"]
    waiting = fa.discount_lines(replica, admin, pending_only=True)
    assert {w.id for w in waiting} == {by_percent[0], large[0]}
    with replica.read() as session:
        before = dues_list(session, TODAY).total_outstanding
    decide_discount(replica, admin, large[0], approve=True)
    decide_discount(replica, admin, by_percent[0], approve=False)
    with pytest.raises(InvalidInput, match="already approved"):
        decide_discount(replica, admin, large[0], approve=False)
    lines = {line.id: line for line in fa.discount_lines(replica, admin)}
    assert lines[large[0]].decided_by != "" and lines[large[0]].decided_at is not None
    assert lines[small[0]].decided_by == "within the limit"
    assert lines[by_percent[0]].status == "rejected"
    [(approved_by, approved_at)] = rows(replica, "SELECT approved_by, approved_at FROM "
                                        "fee_discounts WHERE id = :i", i=large[0].hex)
    assert approved_by == institute.admin_id.hex and approved_at is not None
    with replica.read() as session:
        after = dues_list(session, TODAY).total_outstanding
    assert before - after == D("3000.00")  # 15 % of 20,000 now comes off


def test_expenses_and_salaries_per_branch_equal_sql(
        replica: Replica, institute: Institute, admin: Actor, counselor: Actor) -> None:
    with replica.write(admin) as session:
        north = Branch(name="North", code="NOR")
        session.add(north)
        session.flush()
        north_id = north.id
        faculty = session.get(Faculty, institute.faculty_id)
        faculty.hourly_rate = D("450.50")
        for day in (3, 4, 20):
            session.add(LearningSession(
                student_id=institute.student_ids[0], faculty_id=institute.faculty_id,
                subject_id=institute.subject_id, session_date=date(2026, 11, day),
                start_time=time(10), end_time=time(11, 30), duration_minutes=90,
                status="completed"))
    fa.add_expense(replica, admin, category="rent", amount="45000", spent_on=TODAY,
                   note="December rent", branch_id=MAIN_BRANCH_ID)
    fa.add_expense(replica, admin, category="utilities", amount="3200.50", spent_on=TODAY,
                   note=None, branch_id=north_id)
    for bad, field in (({"category": "party"}, "category"), ({"amount": "-5"}, "amount"),
                       ({"amount": "1.234"}, "amount")):
        values = {"category": "rent", "amount": "10", **bad}
        with pytest.raises(InvalidInput) as refused:
            fa.add_expense(replica, admin, spent_on=TODAY, note=None, branch_id=None,
                           **values)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(MoneyAccessDenied):
        fa.add_expense(replica, counselor, category="rent", amount="1", spent_on=TODAY,
                       note=None, branch_id=None)
    north_lines = fa.expense_lines(replica, admin, [north_id])
    assert [(e.category, e.amount, e.branch) for e in north_lines] == [
        ("utilities", D("3200.50"), "North")]
    (total,), = rows(replica, "SELECT SUM(amount) FROM expenses")
    assert sum(e.amount for e in fa.expense_lines(replica, admin)) == D(str(total))

    staff = {s.user_id: s for s in fa.staff_to_pay(replica, admin, date(2026, 11, 1))}
    teacher = staff[institute.faculty_user_id]
    assert (teacher.hourly_rate, teacher.hours_taught) == (D("450.50"), D("4.50"))
    _id, paid = fa.pay_salary(replica, admin, user_id=institute.faculty_user_id,
                              month=date(2026, 11, 1), basis="hourly", paid_on=TODAY,
                              branch_id=MAIN_BRANCH_ID, hours=teacher.hours_taught,
                              rate=teacher.hourly_rate)
    assert paid == D("2027.25")  # 4.5 h × 450.50
    fa.pay_salary(replica, admin, user_id=institute.counselor_id, month=date(2026, 11, 1),
                  basis="fixed", amount="28000", paid_on=TODAY, branch_id=north_id)
    with pytest.raises(InvalidInput, match="hours taught and the rate"):
        fa.pay_salary(replica, admin, user_id=institute.counselor_id, month=TODAY,
                      basis="hourly", paid_on=TODAY, branch_id=None, hours="", rate="10")
    by_branch = {line.branch: line.amount for line in fa.salary_lines(replica, admin)}
    assert by_branch == {name: D(str(v)) for name, v in rows(replica, """
        SELECT b.name, SUM(s.amount) FROM salary_payments s JOIN branches b
        ON b.id = s.branch_id GROUP BY b.name""")}


def test_fee_heads_are_per_branch(replica: Replica, institute: Institute, admin: Actor) -> None:
    with replica.write(admin) as session:
        north = Branch(name="North", code="NOR")
        session.add(north)
        session.flush()
        north_id = north.id
    add_fee_head(replica, admin, name="Course fee", amount="20000", branch_id=MAIN_BRANCH_ID)
    add_fee_head(replica, admin, name="Course fee", amount="18000", branch_id=north_id)
    assert [h.amount for h in all_heads(replica, north_id)] == [D("18000.00")]
    assert len(all_heads(replica)) == 2
    with pytest.raises(InvalidInput, match="name"):
        add_fee_head(replica, admin, name="  ", amount="10")


def test_a_defaulter_gets_a_follow_up_that_the_dues_list_shows(
        replica: Replica, institute: Institute, counselor: Actor) -> None:
    _plan(replica, counselor, institute)
    student = institute.student_ids[0]
    when = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    made = fa.schedule_fee_follow_up(replica, counselor, student, due_at=when,
                                     note="ask about the second instalment")
    with replica.read() as session:
        [row] = [r for r in dues_list(session, TODAY).rows if r.student_id == student]
    assert row.follow_up_at == when and row.overdue > 0
    [line] = fa.fee_follow_ups(replica, counselor, student_id=student)
    assert (line.kind, line.note, line.status) == ("call", "ask about the second instalment",
                                                  "pending")
    with pytest.raises(InvalidInput, match="what came of it"):
        fa.close_fee_follow_up(replica, counselor, made, outcome=" ")
    fa.close_fee_follow_up(replica, counselor, made, outcome="will pay on the 10th")
    assert fa.fee_follow_ups(replica, counselor, student_id=student) == ()
    with replica.read() as session:
        [row] = [r for r in dues_list(session, TODAY).rows if r.student_id == student]
    assert row.follow_up_at is None


def test_a_receipt_prints_the_gstin_of_the_branch_it_was_taken_in(
        replica: Replica, institute: Institute, admin: Actor, counselor: Actor,
        tmp_path: Path) -> None:
    from pypdf import PdfReader

    from institute_core.fees import desk
    from institute_core.fees.payments import PaymentRequest
    from institute_core.schema import Student

    with replica.write(admin) as session:
        north = Branch(name="North", code="NOR")
        session.add(north)
        session.flush()
        north_id = north.id
        session.get(Student, institute.student_ids[1]).branch_id = north_id
    fa.save_fee_settings(replica, admin, north_id, gstin="27ABCDE1234F1Z5",
                         state="Maharashtra", gst_mode="inclusive", gst_rate="18",
                         limit_percent=None, limit_amount=None)
    texts, numbers = {}, {}
    for n in (0, 1):
        _plan(replica, counselor, institute, n)
        printed = desk.pay_and_print(replica, counselor, PaymentRequest(
            institute.student_ids[n], "5000", "cash"), TODAY, tmp_path)
        texts[n] = PdfReader(printed.path).pages[0].extract_text()
        numbers[n] = printed.receipt_no
        if os.environ.get("FEES_SCREENSHOTS"):
            shutil.copy(printed.path, Path(os.environ["FEES_SCREENSHOTS"]) / f"receipt-{n}.pdf")
    assert "GSTIN 27ABCDE1234F1Z5 · Maharashtra" in texts[1]
    assert "27ABCDE1234F1Z5" not in texts[0]  # Main has none set
    # Each branch's receipts read as its own series; the sequence is the desk's across both.
    assert numbers == {0: "MAIN/2026-27/D07/000001", 1: "NOR/2026-27/D07/000002"}
    assert numbers[1] in texts[1]
    # A code too long for the number's column leaves the number plain (still unique).
    with replica.write(admin) as session:
        session.get(Branch, north_id).code = "NORTH-RING-ROAD1"
    later = desk.pay_and_print(replica, counselor, PaymentRequest(
        institute.student_ids[1], "100", "cash"), TODAY, tmp_path)
    assert later.receipt_no == "2026-27/D07/000003"


def test_the_dashboard_money_tiles_of_each_branch_add_up_to_the_whole(
        replica: Replica, institute: Institute, admin: Actor, counselor: Actor) -> None:
    from institute_core.fees import desk
    from institute_core.fees.payments import PaymentRequest, take_payment
    from institute_core.schema import Student

    with replica.write(admin) as session:
        north = Branch(name="North", code="NOR")
        session.add(north)
        session.flush()
        north_id = north.id
        for student in institute.student_ids[2:4]:
            session.get(Student, student).branch_id = north_id
    for n in range(4):
        _plan(replica, counselor, institute, n)
        take_payment(replica, counselor, PaymentRequest(
            institute.student_ids[n], str(1000 * (n + 1)), "cash"), TODAY)
    whole = desk.money_tiles(replica, TODAY)
    parts = [desk.money_tiles(replica, TODAY, [b]) for b in (MAIN_BRANCH_ID, north_id)]
    assert parts[1].collected_today == D("7000.00")  # 3,000 + 4,000 taken in North
    for field in ("collected_today", "collected_month", "outstanding", "overdue_students"):
        assert sum(getattr(p, field) for p in parts) == getattr(whole, field), field
