"""Every figure of the money reports equals hand-written SQL over the same replica, and the
reports come out as PDF and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

from pypdf import PdfReader

from institute_core.enums import GstMode, PlanKind
from institute_core.fees import money_reports as mr
from institute_core.fees.payments import PaymentRequest, cancel_payment, refund, take_payment
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.replica import Actor, Replica
from institute_core.reports.branding import ReportBranding
from institute_core.schema import Expense, SalaryPayment
from tests.reports.sql import rows
from tests.services.fixtures import Institute

DAY = date(2026, 11, 20)
START, END = date(2026, 9, 1), date(2026, 12, 31)
VALID = ("deleted_at IS NULL AND id NOT IN (SELECT payment_id FROM payment_events "
         "WHERE kind IN ('bounced', 'cancelled'))")


def _money(value: object) -> D:
    return D(str(round(float(value), 2))).quantize(D("0.01"))  # type: ignore[arg-type]


def _world(replica: Replica, institute: Institute, counselor: Actor, admin: Actor) -> None:
    for n, student in enumerate(institute.student_ids[:12]):
        make_plan(replica, counselor, PlanRequest(
            student_id=student, name="Course", price=D("23600"), kind=PlanKind.INSTALMENTS.value,
            instalments=2, first_due=START, gst_mode=(GstMode.INCLUSIVE, GstMode.EXCLUSIVE,
                                                      GstMode.NONE)[n % 3].value,
            gst_rate=D("18"), inter_state=n % 4 == 0), START)
        for k, (day, mode) in enumerate(((DAY, "cash"), (DAY - timedelta(days=40 + n), "upi"),
                                         (DAY, "card"))):
            taken = take_payment(replica, counselor if k else admin, PaymentRequest(
                student, str(3000 + 750 * n + k), mode, paid_on=day,
                reference=None if mode == "cash" else f"R{n}{k}",
                card_last4="4242" if mode == "card" else None), day)
            if (n, k) == (3, 0):
                cancel_payment(replica, admin, taken.payment_id, "wrong amount", DAY)
        if n == 5:
            take_payment(replica, counselor, PaymentRequest(student, "50000", "cash",
                                                            paid_on=DAY), DAY)
            refund(replica, admin, student, "1500", "cash", "overpaid", DAY)
    with replica.write(admin) as session:
        session.add_all([Expense(category="rent", amount=D("45000"), spent_on=DAY),
                         Expense(category="utilities", amount=D("3200.50"),
                                 spent_on=DAY - timedelta(days=35)),
                         SalaryPayment(user_id=institute.faculty_user_id, month=date(2026, 11, 1),
                                       amount=D("38000"), paid_on=DAY)])


def test_every_figure_equals_independent_sql(replica: Replica, institute: Institute,
                                             counselor: Actor, admin: Actor,
                                             tmp_path: Path) -> None:
    _world(replica, institute, counselor, admin)
    with replica.read() as session:
        daily = mr.daily_collection(session, DAY)
        gst = mr.gst_summary(session, START, END)
        income = mr.income_and_expenses(session, START, END)
        period = mr.collections(session, START, END)
    by_mode = {r[0]: (r[1], r[2]) for r in daily.tables[0].rows}
    expected = {m: (c, _money(s)) for m, c, s in rows(replica, f"""
        SELECT mode, COUNT(*), SUM(amount) FROM payments WHERE paid_on = :d AND {VALID}
        GROUP BY mode""", d=DAY.isoformat())}
    assert by_mode == {{"cash": "Cash", "upi": "UPI", "card": "Card"}[m]: v
                       for m, v in expected.items()}
    drawer = {r[0]: r[1:] for r in daily.tables[1].rows}
    assert drawer["Cash"][1] == _money(rows(replica, """SELECT SUM(amount) FROM refunds
        WHERE refunded_on = :d AND mode = 'cash'""", d=DAY.isoformat())[0][0])
    people = {r[0]: r[2] for r in daily.tables[3].rows}
    assert people == {f"{first} {last}": _money(total) for first, last, total in rows(
        replica, """SELECT u.first_name, u.last_name, SUM(p.amount) FROM payments p
        JOIN users u ON u.id = p.received_by WHERE p.paid_on = :d AND p.deleted_at IS NULL
        AND p.id NOT IN (SELECT payment_id FROM payment_events
                         WHERE kind IN ('bounced', 'cancelled'))
        GROUP BY u.id""", d=DAY.isoformat())}
    assert daily.tables[2].rows == [["D07", sum(c for c, _s in expected.values()),
                                     sum((s for _c, s in expected.values()), D(0))]]
    gst_sql = rows(replica, f"""SELECT strftime('%Y-%m', paid_on), SUM(taxable), SUM(cgst),
        SUM(sgst), SUM(igst), SUM(amount) FROM payments WHERE {VALID}
        AND paid_on BETWEEN :a AND :b GROUP BY 1 ORDER BY 1""",
                   a=START.isoformat(), b=END.isoformat())
    assert [[_money(v) for v in r[1:]] for r in gst_sql] == [r[1:] for r in gst.tables[0].rows]
    assert any(r[4] > 0 for r in gst.tables[0].rows) and any(r[2] > 0 for r in
                                                             gst.tables[0].rows)
    month = {r[0]: r[1:] for r in income.tables[0].rows}["Nov 2026"]
    (collected,), (refunded,), (spent,), (salaries,) = (rows(replica, sql, a="2026-11-01",
                                                             b="2026-11-30")[0] for sql in (
        f"SELECT SUM(amount) FROM payments WHERE {VALID} AND paid_on BETWEEN :a AND :b",
        "SELECT SUM(amount) FROM refunds WHERE refunded_on BETWEEN :a AND :b",
        "SELECT SUM(amount) FROM expenses WHERE spent_on BETWEEN :a AND :b",
        "SELECT SUM(amount) FROM salary_payments WHERE paid_on BETWEEN :a AND :b"))
    assert month == [_money(collected), _money(refunded), _money(spent), _money(salaries),
                     _money(collected) - _money(refunded) - _money(spent) - _money(salaries)]
    assert period.tables[0].total_of(2) == _money(rows(replica, f"""SELECT SUM(amount)
        FROM payments WHERE {VALID} AND paid_on BETWEEN :a AND :b""",
                                                         a=START.isoformat(),
                                                         b=END.isoformat())[0][0])
    # As files: the PDF prints the figures, the CSV holds them as plain numbers.
    pdf = mr.to_pdf(daily, ReportBranding(name="Sharma Coaching"), tmp_path / "daily.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Daily collection" in text and "Cash drawer" in text and "D07" in text
    table = list(csv.reader(io.StringIO(mr.to_csv(gst))))
    assert table[0][0] == "GST summary"
    assert ["Month", "Taxable value", "CGST", "SGST", "IGST", "Total received"] in table


def test_reports_per_branch_and_all_branches_equal_sql_by_branch(
        replica: Replica, institute: Institute, counselor: Actor, admin: Actor) -> None:
    """A branch filter shows that branch's money only; "all branches" adds them up; the
    side-by-side table per branch equals SQL grouped by the branch a payment was taken in."""
    from institute_core.fees.dues import dues_list
    from institute_core.schema import MAIN_BRANCH_ID, Branch, Student

    with replica.write(admin) as session:
        north = Branch(name="North", code="NOR")
        session.add(north)
        session.flush()
        north_id = north.id
        # Half the students live in North before any money is taken.
        for student in institute.student_ids[6:12]:
            session.get(Student, student).branch_id = north_id
    _world(replica, institute, counselor, admin)
    with replica.write(admin) as session:
        session.add(Expense(category="rent", amount=D("12000"), spent_on=DAY,
                            branch_id=north_id))
    # A North student moves to Main afterwards: their receipts stay North's.
    with replica.write(admin) as session:
        session.get(Student, institute.student_ids[6]).branch_id = MAIN_BRANCH_ID
    sql_by_branch = {b: (c, _money(s)) for b, c, s in rows(replica, f"""
        SELECT b.name, COUNT(*), SUM(p.amount) FROM payments p JOIN branches b
        ON b.id = p.branch_id WHERE p.{VALID.replace(" id NOT", " p.id NOT")}
        AND p.paid_on BETWEEN :a AND :b GROUP BY b.name""", a=START.isoformat(),
                                                                b=END.isoformat())}
    assert set(sql_by_branch) == {"Main", "North"}
    with replica.read() as session:
        whole = mr.make(session, "collections", START, END)
        parts = {name: mr.make(session, "collections", START, END, [branch])
                 for name, branch in (("Main", MAIN_BRANCH_ID), ("North", north_id))}
        income_north = mr.make(session, "income", START, END, [north_id])
        dues_all = dues_list(session, DAY)
        dues_north = dues_list(session, DAY, [north_id])
        dues_main = dues_list(session, DAY, [MAIN_BRANCH_ID])
    side = {r[0]: (r[1], r[2]) for r in whole.tables[2].rows}
    assert whole.tables[2].title == "By branch" and side == sql_by_branch
    assert whole.scope == "All branches" and parts["North"].scope == "North"
    for name, report in parts.items():
        assert report.tables[0].total_of(2) == sql_by_branch[name][1]
    assert sum(r.tables[0].total_of(2) for r in parts.values()) == whole.tables[0].total_of(2)
    (spent,), = rows(replica, """SELECT SUM(amount) FROM expenses WHERE branch_id = :b
        AND spent_on BETWEEN :a AND :e""", b=north_id.hex, a=START.isoformat(),
                     e=END.isoformat())
    assert sum((r[3] for r in income_north.tables[0].rows), D(0)) == _money(spent)
    # Dues follow where the student lives now; the two branches add up to the whole.
    north_students = {s.hex for s in institute.student_ids[7:12]}
    assert dues_north.rows == tuple(r for r in dues_all.rows if r.student_hex in north_students)
    assert dues_north.rows and dues_main.rows
    assert dues_north.total_outstanding + dues_main.total_outstanding \
        == dues_all.total_outstanding
    for name in dues_all.by_bucket:
        assert dues_north.by_bucket[name] + dues_main.by_bucket[name] \
            == dues_all.by_bucket[name]
