"""The admin's money screens' services: fee settings per branch with the discount limit a
counselor's discount meets, expenses and salaries (hourly pay from sessions taught) checked
against SQL, and a defaulter's follow-up shown on the dues list."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from institute_core.audit.log import AuditFilter, list_entries
from institute_core.enums import DiscountKind, DiscountReason, PlanKind
from institute_core.fees import admin as fa
from institute_core.fees.access import MoneyAccessDenied
from institute_core.fees.discounts import Discount
from institute_core.fees.dues import dues_list
from institute_core.fees.money_reports import income_and_expenses
from institute_core.fees.plans import (
    PlanRequest,
    add_discount,
    add_fee_head,
    all_heads,
    decide_discount,
    heads_for_student,
    make_plan,
)
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    MAIN_BRANCH_ID,
    BatchMember,
    Branch,
    Expense,
    Faculty,
    LearningSession,
    SalaryPayment,
    Subject,
)
from institute_core.validation import InvalidInput
from tests.reports.sql import rows
from tests.services.fixtures import Institute
from tests.support.shots import shots_folder

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
        folder = shots_folder()
        if folder is not None:
            shutil.copy(printed.path, folder / f"receipt-{n}.pdf")
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


def test_an_admin_corrects_and_deletes_expense_and_salary_rows_with_a_trail(
        replica: Replica, institute: Institute, admin: Actor, counselor: Actor) -> None:
    """A mistyped expense or salary row is corrected (the lists and the income report show the
    new figures; the audit log keeps what it was) or deleted with a reason (gone from every
    list and report, the reason kept with who and when); a bad value names its field and
    changes nothing; a counselor can do neither."""
    expense = fa.add_expense(replica, admin, category="rent", amount="4500", spent_on=TODAY,
                             note="Decmber rent", branch_id=MAIN_BRANCH_ID)
    fa.update_expense(replica, admin, expense, category="rent", amount="45000",
                      spent_on=TODAY, note="December rent", branch_id=MAIN_BRANCH_ID)
    [line] = fa.expense_lines(replica, admin)
    assert (line.amount, line.note, line.branch_id) == (D("45000.00"), "December rent",
                                                        MAIN_BRANCH_ID)
    trail = list_entries(replica, _Viewer(), AuditFilter(table_name="expenses",
                                                         row_id=expense))
    assert any(e.old_values and e.new_values and D(str(e.old_values["amount"])) == D("4500")
               and D(str(e.new_values["amount"])) == D("45000") for e in trail)

    # Bad corrections name the field and leave the row as it was.
    for bad, field in (({"category": "party"}, "category"), ({"amount": "0"}, "amount"),
                       ({"amount": "12.345"}, "amount")):
        values = {"category": "rent", "amount": "10", **bad}
        with pytest.raises(InvalidInput) as refused:
            fa.update_expense(replica, admin, expense, spent_on=TODAY, note=None,
                              branch_id=None, **values)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert fa.expense_lines(replica, admin)[0].amount == D("45000.00")
    with pytest.raises(MoneyAccessDenied):
        fa.update_expense(replica, counselor, expense, category="rent", amount="1",
                          spent_on=TODAY, note=None, branch_id=None)
    with pytest.raises(MoneyAccessDenied):
        fa.delete_expense(replica, counselor, expense, "mine")

    salary, _paid = fa.pay_salary(replica, admin, user_id=institute.counselor_id,
                                  month=date(2026, 11, 1), basis="fixed", amount="2800",
                                  paid_on=TODAY, branch_id=MAIN_BRANCH_ID)
    paid = fa.update_salary(replica, admin, salary, user_id=institute.counselor_id,
                            month=date(2026, 11, 15), basis="hourly", paid_on=TODAY,
                            branch_id=MAIN_BRANCH_ID, hours="40", rate="700.25")
    assert paid == D("28010.00")
    [pay] = fa.salary_lines(replica, admin)
    assert (pay.amount, pay.basis, pay.hours, pay.month, pay.user_id) == (
        D("28010.00"), "hourly", D("40.00"), date(2026, 11, 1), institute.counselor_id)
    with pytest.raises(InvalidInput) as refused:
        fa.update_salary(replica, admin, salary, user_id=institute.counselor_id,
                         month=TODAY, basis="weekly", paid_on=TODAY, branch_id=None)
    assert refused.value.field == "basis"

    with replica.read() as session:
        report = income_and_expenses(session, date(2026, 12, 1), TODAY)
    assert report.tables[0].rows[0][3:5] == [D("45000.00"), D("28010.00")]

    # Deleting needs a reason; it then leaves every list and report, with its reason kept.
    for delete, row_id in ((fa.delete_expense, expense), (fa.delete_salary, salary)):
        with pytest.raises(InvalidInput) as refused:
            delete(replica, admin, row_id, "  ")
        assert refused.value.field == "deleted_reason"
    fa.delete_expense(replica, admin, expense, "entered twice")
    fa.delete_salary(replica, admin, salary, "paid by the other branch")
    assert fa.expense_lines(replica, admin) == () and fa.salary_lines(replica, admin) == ()
    with replica.read() as session:
        assert income_and_expenses(session, date(2026, 12, 1), TODAY).tables[0].rows == []
    with replica.read() as session:
        gone = session.get(Expense, expense)
        assert gone is not None and gone.deleted_reason == "entered twice"
        assert session.get(SalaryPayment, salary).deleted_reason == "paid by the other branch"  # type: ignore[union-attr]
    deleted = [e for e in list_entries(replica, _Viewer(), AuditFilter(
        table_name="expenses", row_id=expense)) if (e.new_values or {}).get("deleted_reason")]
    assert [(e.user_id, e.new_values["deleted_reason"]) for e in deleted] == [  # type: ignore[index]
        (institute.admin_id, "entered twice")]
    with pytest.raises(LookupError):  # a deleted row is no longer corrected
        fa.update_expense(replica, admin, expense, category="rent", amount="1",
                          spent_on=TODAY, note=None, branch_id=None)


class _Viewer:
    """Who reads the audit log in these tests: an admin."""

    role = "admin"
    permissions = frozenset({"audit.view"})


def test_a_batchs_fee_head_overrides_the_subjects_default_in_a_students_plan(
        replica: Replica, institute: Institute, admin: Actor, counselor: Actor) -> None:
    """A subject's default head and a batch's override (amount, frequency, GST): a student in
    the batch is offered the override, one who left it the subject's default, both with the
    branch-wide registration fee; a plan made from a head of N instalments has N. Heads that
    contradict themselves are refused naming the field, and a counselor cannot add one."""
    subject, batch = institute.subject_id, institute.batch_id
    in_batch, left = institute.student_ids[0], institute.student_ids[1]
    with replica.write(admin) as session:
        member = session.execute(select(BatchMember).where(
            BatchMember.student_id == left)).scalar_one()
        member.left_on = TODAY - timedelta(days=1)
        other = Subject(name="Java", code="JV-1", duration_hours=30)
        session.add(other)
        session.flush()
        other_id = other.id
    default = add_fee_head(replica, admin, name="Course fee", amount="30000",
                           subject_id=subject, branch_id=MAIN_BRANCH_ID,
                           frequency="monthly", gst_mode="exclusive", gst_rate="18")
    override = add_fee_head(replica, admin, name="Course fee (evening)", amount="24000",
                            batch_id=batch, frequency="instalments", instalments=3,
                            gst_mode="inclusive", gst_rate="18")
    registration = add_fee_head(replica, admin, name="Registration", amount="1000",
                                kind="registration", branch_id=MAIN_BRANCH_ID)

    offered = {h.id: h for h in heads_for_student(replica, in_batch)}
    assert set(offered) == {override, registration}
    chosen = offered[override]
    # The override is the batch's subject's, in the batch's branch, and says so by name.
    assert (chosen.subject_id, chosen.branch_id, chosen.batch, chosen.subject) == (
        subject, MAIN_BRANCH_ID, "Python Evening", "Python Programming")
    assert (chosen.amount, chosen.frequency, chosen.instalments, chosen.gst_mode) == (
        D("24000.00"), "instalments", 3, "inclusive")
    assert {h.id for h in heads_for_student(replica, left)} == {default, registration}

    plan = make_plan(replica, counselor, PlanRequest(
        student_id=in_batch, name=chosen.name, price=chosen.amount,
        kind=PlanKind.INSTALMENTS.value, instalments=chosen.instalments or 1,
        first_due=TODAY, gst_mode=chosen.gst_mode, gst_rate=chosen.gst_rate,
        fee_head_id=chosen.id), TODAY)
    assert rows(replica, "SELECT COUNT(*), SUM(amount) FROM fee_instalments WHERE plan_id = :p",
                p=plan.hex) == [(3, 24000)]
    assert rows(replica, "SELECT fee_head_id FROM fee_plans WHERE id = :p",
                p=plan.hex) == [(override.hex,)]

    for bad, field in (({"frequency": "instalments"}, "instalments"),
                       ({"frequency": "instalments", "instalments": 61}, "instalments"),
                       ({"frequency": "weekly"}, "frequency"),
                       ({"batch_id": batch, "subject_id": other_id}, "batch_id"),
                       ({"batch_id": uuid.uuid4()}, "batch_id"),
                       ({"subject_id": uuid.uuid4()}, "subject_id")):
        with pytest.raises(InvalidInput) as refused:
            add_fee_head(replica, admin, name="Wrong", amount="10", **bad)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(MoneyAccessDenied):
        add_fee_head(replica, counselor, name="Mine", amount="10", subject_id=subject)
    assert len(all_heads(replica, MAIN_BRANCH_ID)) == 3
