"""The branch filter of dashboards and reports (issue 17): every figure for one branch and for
several combined equals an independent SQL count over the replica, on a small demo split into
three branches."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from institute_core.access.check import roles_holding
from institute_core.analytics.branches import branch_figures
from institute_core.analytics.dashboard import dashboard_at_risk, dashboard_data
from institute_core.analytics.period import Period
from institute_core.branches.selection import (
    my_branches,
    remember_choice,
    remembered_choice,
    scope_of,
    selection_label,
)
from institute_core.demo import build_demo_replica
from institute_core.demo import context as demo_context
from institute_core.enums import PlanKind
from institute_core.fees.payments import PaymentRequest, cancel_payment, take_payment
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.reports.service import ReportError, ReportRequest, collect, generate
from tests.support.shots import shots_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@dataclasses.dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    role: str


@pytest.fixture(scope="module")
def branched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replica, Period]]:
    folder: Path = tmp_path_factory.mktemp("branched")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(demo_context.SIZES, "small",
                      dataclasses.replace(demo_context.SIZES["small"], branches=3,
                                          counselors=3))
        build_demo_replica(folder, size="small", seed=11)
    replica = Replica.open(folder)
    today = date.fromisoformat(replica.get_state("demo")["today"])
    yield replica, Period(today - timedelta(days=89), today)
    replica.close()


def _branches(replica: Replica) -> list[uuid.UUID]:
    with replica.engine.connect() as conn:
        return [uuid.UUID(r[0]) for r in conn.execute(text(
            "SELECT id FROM branches WHERE deleted_at IS NULL ORDER BY name"))]


def _in(ids: list[uuid.UUID]) -> str:
    return "(" + ", ".join(f"'{i.hex}'" for i in ids) + ")"


def _sql(replica: Replica, sql: str, **params: Any) -> Any:
    with replica.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _attendance(replica: Replica, period: Period, ids: list[uuid.UUID]) -> dict[str, int]:
    """Marks of the students of `ids`, individual (not cancelled) and batch, by status."""
    sql = f"""
    SELECT status, count(*) FROM (
      SELECT sa.attendance_status AS status FROM session_attendance sa
        JOIN learning_sessions ls ON ls.id = sa.session_id
        JOIN students s ON s.id = sa.student_id
       WHERE sa.deleted_at IS NULL AND ls.deleted_at IS NULL AND ls.status != 'cancelled'
         AND ls.session_date BETWEEN :a AND :b AND s.deleted_at IS NULL
         AND s.branch_id IN {_in(ids)}
      UNION ALL
      SELECT b.attendance_status FROM batch_session_attendance b
        JOIN flexible_batches fb ON fb.id = b.batch_id
        JOIN students s ON s.id = b.student_id
       WHERE b.deleted_at IS NULL AND fb.deleted_at IS NULL AND s.deleted_at IS NULL
         AND b.session_date BETWEEN :a AND :b AND s.branch_id IN {_in(ids)})
    GROUP BY status"""
    with replica.engine.connect() as conn:
        return dict(conn.execute(text(sql), {"a": period.start.isoformat(),
                                             "b": period.end.isoformat()}).tuples().all())


def _selections(replica: Replica) -> list[list[uuid.UUID]]:
    branches = _branches(replica)
    assert len(branches) == 3
    return [[b] for b in branches] + [branches[:2], branches]


def test_dashboard_figures_per_branch_and_combined_equal_sql(
        branched: tuple[Replica, Period]) -> None:
    replica, period = branched
    every = _branches(replica)
    totals = []
    for ids in _selections(replica):
        with replica.read() as db:
            data = dashboard_data(db, period, branch_ids=ids)
        active = _sql(replica, "SELECT count(*) FROM students WHERE deleted_at IS NULL AND "
                      f"status = 'active' AND branch_id IN {_in(ids)}")
        assert data.active_students == active
        marks = _attendance(replica, period, ids)
        assert (data.attendance.present, data.attendance.late, data.attendance.absent,
                data.attendance.excused) == (marks.get("present", 0), marks.get("late", 0),
                                             marks.get("absent", 0), marks.get("excused", 0))
        faculty = _sql(replica, "SELECT count(*) FROM faculties WHERE deleted_at IS NULL AND "
                       f"branch_id IN {_in(ids)}")
        assert len(data.utilization) == faculty
        sessions = _sql(replica, f"""
            SELECT (SELECT count(*) FROM learning_sessions WHERE deleted_at IS NULL
                      AND status != 'cancelled' AND session_date BETWEEN :a AND :b
                      AND branch_id IN {_in(ids)})
                 + (SELECT count(*) FROM (SELECT DISTINCT b.batch_id, b.session_date
                      FROM batch_session_attendance b JOIN flexible_batches fb
                        ON fb.id = b.batch_id
                     WHERE b.deleted_at IS NULL AND fb.deleted_at IS NULL
                       AND b.session_date BETWEEN :a AND :b AND fb.branch_id IN {_in(ids)}))""",
                        a=data.week.start.isoformat(), b=data.week.end.isoformat())
        assert data.sessions_this_week == sessions
        inquiries = _sql(replica, "SELECT count(*) FROM crm_inquiries WHERE deleted_at IS NULL"
                         f" AND branch_id IN {_in(ids)} AND created_at >= :a AND created_at < :b",
                         a=period.start_utc().isoformat(sep=" "),
                         b=period.end_utc_exclusive().isoformat(sep=" "))
        assert data.crm is not None and data.crm.total == inquiries
        if len(ids) == 1:
            totals.append(data)
    with replica.read() as db:
        everything = dashboard_data(db, period)
        chosen_all = dashboard_data(db, period, branch_ids=every)
    # Every branch of the desk chosen one by one adds up to the unfiltered dashboard.
    assert sum(d.active_students for d in totals) == everything.active_students
    assert sum(d.attendance.counted for d in totals) == everything.attendance.counted
    assert sum(d.crm.total for d in totals if d.crm) == everything.crm.total  # type: ignore[union-attr]
    assert chosen_all.attendance == everything.attendance
    assert chosen_all.topics_completed == everything.topics_completed
    assert sum(d.topics_completed for d in totals) == everything.topics_completed


def test_at_risk_list_holds_only_the_chosen_branch(branched: tuple[Replica, Period]) -> None:
    replica, period = branched
    every = _branches(replica)
    with replica.read() as db:
        whole = dashboard_at_risk(db, period)
        parts = [dashboard_at_risk(db, period, branch_ids=[b]) for b in every]
    assert sorted(r.student_id for p in parts for r in p) == sorted(r.student_id for r in whole)
    for branch, part in zip(every, parts, strict=True):
        for risky in part:
            assert _sql(replica, "SELECT branch_id FROM students WHERE id = :s",
                        s=risky.student_id.hex) == branch.hex


def test_side_by_side_report_equals_sql_and_names_its_branches(
        branched: tuple[Replica, Period]) -> None:
    replica, period = branched
    every = _branches(replica)
    two = every[:2]
    with replica.read() as db:
        payload = collect(db, ReportRequest("branches", period, branch_ids=tuple(two)))
        names = [r[0] for r in db.execute(text(
            f"SELECT name FROM branches WHERE id IN {_in(two)} ORDER BY name"))]
        rows = branch_figures(db, period, two)
    assert payload["branches"] == "Branches: " + ", ".join(names)
    assert [r["name"] for r in payload["rows"]] == [*names, "These branches"]
    for ids, row in zip([[b] for b in two] + [two], payload["rows"], strict=True):
        marks = _attendance(replica, period, ids)
        assert row["counted"] == sum(marks.get(s, 0) for s in ("present", "late", "absent"))
        assert row["attended"] == marks.get("present", 0) + marks.get("late", 0)
        assert row["inquiries"] == _sql(
            replica, "SELECT count(*) FROM crm_inquiries WHERE deleted_at IS NULL AND "
            f"branch_id IN {_in(ids)} AND created_at >= :a AND created_at < :b",
            a=period.start_utc().isoformat(sep=" "),
            b=period.end_utc_exclusive().isoformat(sep=" "))
    combined = payload["rows"][-1]
    assert combined["hours_taught"] == pytest.approx(sum(r.hours_taught for r in rows[:-1]))


def test_crm_report_covers_the_selection_and_says_so(branched: tuple[Replica, Period]) -> None:
    replica, period = branched
    every = _branches(replica)
    with replica.read() as db:
        one = collect(db, ReportRequest("crm", period, branch_ids=(every[0],)))
        whole = collect(db, ReportRequest("crm", period))
        name = db.execute(text("SELECT name FROM branches WHERE id = :b"),
                          {"b": every[0].hex}).scalar_one()
    assert one["branches"] == f"Branch: {name}"
    assert whole["branches"] == "All branches"
    assert one["total"] == _sql(
        replica, "SELECT count(*) FROM crm_inquiries WHERE deleted_at IS NULL AND "
        "branch_id = :b AND created_at >= :a AND created_at < :e", b=every[0].hex,
        a=period.start_utc().isoformat(sep=" "), e=period.end_utc_exclusive().isoformat(sep=" "))
    with pytest.raises(ReportError, match="at least one branch"), replica.read() as db:
        collect(db, ReportRequest("crm", period, branch_ids=()))


def test_a_student_report_names_the_students_branch(branched: tuple[Replica, Period]) -> None:
    replica, period = branched
    with replica.engine.connect() as conn:
        student, branch = conn.execute(text(
            "SELECT s.id, b.name FROM students s JOIN branches b ON b.id = s.branch_id "
            "WHERE s.deleted_at IS NULL ORDER BY s.enrollment_no LIMIT 1")).one()
    with replica.read() as db:
        payload = collect(db, ReportRequest("attendance", period,
                                            student_id=uuid.UUID(student)))
    assert payload["branches"] == f"Branch: {branch}"


def test_the_pick_is_remembered_per_user_and_becomes_the_desks_branch(
        branched: tuple[Replica, Period]) -> None:
    replica, _period = branched
    every = _branches(replica)
    admin, other = Person(uuid.uuid4(), "admin"), Person(uuid.uuid4(), "counselor")
    assert [o.id for o in my_branches(replica, admin)] == every
    assert my_branches(replica, other) == []  # works nowhere yet: no picker, nothing to pick
    assert remembered_choice(replica, admin.user_id) is None
    remember_choice(replica, admin.user_id, every[1])
    assert remembered_choice(replica, admin.user_id) == every[1]
    assert remembered_choice(replica, other.user_id) is None
    assert replica.get_state("current_branch") == str(every[1])
    options = my_branches(replica, admin)
    assert scope_of(options, every[1], admin) == (every[1],)
    assert scope_of(options, None, admin) is None
    remember_choice(replica, admin.user_id, None)
    assert remembered_choice(replica, admin.user_id) is None
    with replica.read() as db:
        assert selection_label(db, None) == "All branches"


def test_crm_insights_of_a_branch_count_its_inquiries_and_follow_ups(
        branched: tuple[Replica, Period]) -> None:
    from institute_core.crm.insights import crm_insights

    replica, period = branched
    every = _branches(replica)
    with replica.read() as db:
        parts = [crm_insights(db, period, branch_ids=[b]) for b in every]
        whole = crm_insights(db, period)
    for branch, part in zip(every, parts, strict=True):
        assert sum(m.inquiries for m in part.by_month) == _sql(
            replica, "SELECT count(*) FROM crm_inquiries WHERE deleted_at IS NULL AND "
            "branch_id = :b AND created_at >= :a AND created_at < :e", b=branch.hex,
            a=period.start_utc().isoformat(sep=" "),
            e=period.end_utc_exclusive().isoformat(sep=" "))
    assert sum(p.adherence.due for p in parts) == whole.adherence.due
    assert sum(sum(m.inquiries for m in p.by_month) for p in parts) \
        == sum(m.inquiries for m in whole.by_month)


def test_fees_collected_per_branch_equal_sql_and_leave_out_cancelled_payments(
        branched: tuple[Replica, Period]) -> None:
    from institute_core.fees.payments import PaymentRequest, cancel_payment, take_payment
    from institute_core.numbering import SERIES_STATE_KEY

    replica, period = branched
    replica.set_state(SERIES_STATE_KEY, "D07")  # as the server gives at registration
    every = _branches(replica)
    with replica.engine.connect() as conn:
        admin = uuid.UUID(conn.execute(text(
            "SELECT id FROM users WHERE role = 'admin' ORDER BY email LIMIT 1")).scalar_one())
        students = [uuid.UUID(conn.execute(text(
            "SELECT id FROM students WHERE branch_id = :b ORDER BY enrollment_no LIMIT 1"),
            {"b": b.hex}).scalar_one()) for b in every]
    actor = replica.actor(admin)
    for n, student in enumerate(students):
        for amount in ("1500", "250.50"):
            taken = take_payment(replica, actor, PaymentRequest(student, amount), period.end)
        if n == 0:  # the last one of the first branch is cancelled: it no longer counts
            cancel_payment(replica, actor, taken.payment_id, "wrong student", period.end)
    with replica.read() as db:
        rows = branch_figures(db, period, None, with_money=True)
        plain = branch_figures(db, period, None)
    assert all(r.collected is None for r in plain)  # no money unless asked
    sql = """SELECT coalesce(sum(p.amount), 0) FROM payments p
              WHERE p.deleted_at IS NULL AND p.paid_on BETWEEN :a AND :e
                AND p.branch_id IN ({})
                AND p.id NOT IN (SELECT payment_id FROM payment_events
                                  WHERE deleted_at IS NULL AND kind IN ('bounced', 'cancelled'))"""
    for ids, row in zip([[b] for b in every] + [every], rows, strict=True):
        expected = _sql(replica, sql.format(", ".join(f"'{i.hex}'" for i in ids)),
                        a=period.start.isoformat(), e=period.end.isoformat())
        assert row.collected == pytest.approx(float(expected))
    assert sum(r.collected or 0 for r in rows[:-1]) == rows[-1].collected
    assert rows[-1].collected == pytest.approx(1750.5 * 3 - 250.5)


VOID = ("SELECT payment_id FROM payment_events WHERE deleted_at IS NULL "
        "AND kind IN ('bounced', 'cancelled')")


def _outstanding(replica: Replica, ids: list[uuid.UUID]) -> Decimal:
    """What the students of `ids` owe, from the fee tables: each instalment's amount less the
    valid payments allocated to it (never below zero), an approved discount taken off its
    plan's latest instalments first."""
    with replica.engine.connect() as conn:
        instalments = conn.execute(text(f"""
            SELECT i.plan_id, i.number, i.amount, COALESCE((
                SELECT SUM(a.amount) FROM payment_allocations a
                WHERE a.instalment_id = i.id AND a.deleted_at IS NULL
                  AND a.payment_id NOT IN ({VOID})), 0)
            FROM fee_instalments i JOIN fee_plans f ON f.id = i.plan_id
            JOIN students s ON s.id = i.student_id
            WHERE i.deleted_at IS NULL AND f.deleted_at IS NULL AND s.deleted_at IS NULL
              AND s.branch_id IN {_in(ids)}""")).all()
        discounts = dict(conn.execute(text(
            "SELECT plan_id, SUM(amount) FROM fee_discounts WHERE deleted_at IS NULL "
            "AND status = 'approved' GROUP BY plan_id")).all())
    owed = Decimal(0)
    left = {plan: Decimal(str(v)) for plan, v in discounts.items()}
    for plan, _number, amount, paid in sorted(instalments, key=lambda i: (i[0], -i[1])):
        take = min(left.get(plan, Decimal(0)), Decimal(str(amount)))
        left[plan] = left.get(plan, Decimal(0)) - take
        owed += max(Decimal(str(amount)) - take - Decimal(str(paid)), Decimal(0))
    return owed


def _take_fees(replica: Replica, user: uuid.UUID, period: Period,
               branches: list[uuid.UUID]) -> None:
    """Fee plans and payments for three students of each branch (the demo has no fees): one
    payment before the period, two in it, one of those cancelled for the first student."""
    replica.set_state(SERIES_STATE_KEY, "D07")
    actor = replica.actor(user)
    for b, branch in enumerate(branches):
        students = [uuid.UUID(s) for s, in replica.engine.connect().execute(text(
            "SELECT id FROM students WHERE deleted_at IS NULL AND branch_id = :b "
            "ORDER BY enrollment_no LIMIT 3"), {"b": branch.hex})]
        for n, student in enumerate(students):
            make_plan(replica, actor, PlanRequest(
                student_id=student, name="Course", price=Decimal(20000 + 1000 * b),
                kind=PlanKind.INSTALMENTS.value, instalments=3,
                first_due=period.start), period.start)
            for k, day in enumerate((period.start - timedelta(days=3),
                                     period.start + timedelta(days=10 + n),
                                     period.end)):
                taken = take_payment(replica, actor, PaymentRequest(
                    student, str(2500 + 100 * n + 10 * k + b), "cash", paid_on=day), day)
                if (n, k) == (0, 1):
                    cancel_payment(replica, actor, taken.payment_id, "wrong amount", day)


def _holder_of(replica: Replica, permission: str, *, holds: bool) -> uuid.UUID:
    """An account whose role grants `permission` (or, `holds` False, does not)."""
    with replica.read() as db:
        roles = set(roles_holding(db, permission))
        users = db.execute(text("SELECT id, role FROM users WHERE deleted_at IS NULL "
                                "ORDER BY email")).all()
    return next(uuid.UUID(u) for u, role in users if (role in roles) is holds
                and role != "student")


def test_side_by_side_money_columns_equal_sql_for_who_may_see_money(
        branched: tuple[Replica, Period], tmp_path: Path) -> None:
    replica, period = branched
    every = _branches(replica)
    two = every[:2]
    accountant = _holder_of(replica, "reports.financial", holds=True)
    _take_fees(replica, accountant, period, every)
    request = ReportRequest("branches", period, branch_ids=tuple(two), with_money=True)
    made = generate(replica, request, tmp_path / "branches.pdf", record=False,
                    generated_by=accountant)
    rows = made.payload["rows"]
    for ids, row in zip([[b] for b in two] + [two], rows, strict=True):
        collected = _sql(replica, f"""
            SELECT COALESCE(SUM(amount), 0) FROM payments WHERE deleted_at IS NULL
              AND branch_id IN {_in(ids)} AND paid_on >= :a AND paid_on <= :b
              AND id NOT IN ({VOID})""", a=period.start.isoformat(), b=period.end.isoformat())
        assert Decimal(row["collected"]) == Decimal(str(collected)), row["name"]
        assert Decimal(row["outstanding"]) == _outstanding(replica, ids), row["name"]
    assert Decimal(rows[-1]["collected"]) > 0 and Decimal(rows[-1]["outstanding"]) > 0
    # The PDF for the eye (pdftoppm), kept where INSTITUTE_SCREENSHOTS says.
    shots = shots_folder()
    if shots is not None:
        (shots / "branches_money.pdf").write_bytes(made.path.read_bytes())
    # Without reports.financial: refused by name, no PDF written; without the flag no money.
    counselor = _holder_of(replica, "reports.financial", holds=False)
    with pytest.raises(ReportError, match=r"reports\.financial"):
        generate(replica, request, tmp_path / "refused.pdf", record=False,
                 generated_by=counselor)
    assert not (tmp_path / "refused.pdf").exists()
    plain = generate(replica, dataclasses.replace(request, with_money=False),
                     tmp_path / "plain.pdf", record=False, generated_by=counselor)
    assert "money" not in plain.payload and "collected" not in plain.payload["rows"][0]
    with pytest.raises(ReportError, match="no money columns"):
        ReportRequest("crm", period, with_money=True).validate()
