"""Benchmark: a receipt printed (< 300 ms) and the dues list over 5,000 students opened
(< 300 ms), each with a baseline measured in the same run.

A fresh replica gets 5,000 students, each with a fee plan of three instalments (due 90, 60 and
30 days ago, or ahead), half of them with a payment allocated to their first instalment:
written in bulk, as the demo loader writes (fixture data, not the desk's write path).

- receipt: `desk.print_receipt` (its rows read, the ledger for the balance, the PDF drawn);
  baseline: a bare reportlab document with a table of as many rows (no queries, Helvetica).
- dues list: `desk.dues` (every ledger, ageing, names) and the Fees section opened offscreen
  until its rows are shown; baseline: one raw SQL pass summing the instalments per student.

    .venv/bin/python bench/fees_bench.py [--runs N] [--students N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A5
from reportlab.platypus import SimpleDocTemplate, Table
from sqlalchemy import text

from institute_core.fees import desk
from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.schema import MAIN_BRANCH_ID, table_of

TODAY = date.today()
NORTH = uuid.UUID("3b0c5a0e-9d1f-5e7a-8c2b-0000000000bb")


def _ms(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def _timed(action: Callable[[], object], runs: int, cpu: list[float] | None = None
           ) -> list[float]:
    """Wall times of `runs` calls; with `cpu`, their CPU seconds too (what a call costs
    whatever else the machine is running: this one is shared by several builds)."""
    times = []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        action()
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - cpu_started)
    return times


def _fill(replica: Replica, students: int) -> tuple[uuid.UUID, uuid.UUID]:
    """Admin, counselor and `students` students with plans and payments; (admin, a payment)."""
    now = datetime.now(UTC)
    admin, counselor = uuid.uuid4(), uuid.uuid4()
    users = [{"id": admin, "email": "admin@bench.example", "first_name": "Asha",
              "last_name": "Admin", "role": "admin", "password_hash": "x", "status": "active",
              "created_at": now, "updated_at": now, "version": 0},
             {"id": counselor, "email": "counselor@bench.example", "first_name": "Cyrus",
              "last_name": "Counselor", "role": "counselor", "password_hash": "x",
              "status": "active", "created_at": now, "updated_at": now, "version": 0}]
    rows: dict[str, list[dict[str, object]]] = {n: [] for n in (
        "students", "fee_plans", "fee_instalments", "payments", "payment_allocations")}
    common = {"created_at": now, "updated_at": now, "version": 0}
    payment_id = uuid.uuid4()

    def branch_of(n: int) -> uuid.UUID:  # two centres, half the students each
        return MAIN_BRANCH_ID if n % 2 else NORTH
    for n in range(students):
        user, student, plan = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        users.append({"id": user, "email": f"s{n}@bench.example", "first_name": f"Student{n}",
                      "last_name": "Bench", "role": "student", "password_hash": "x",
                      "status": "active", **common})
        rows["students"].append({"id": student, "user_id": user, "enrollment_no": f"B{n:05d}",
                                 "admission_date": TODAY, "counselor_id": counselor,
                                 "status": "active", "branch_id": branch_of(n), **common})
        rows["fee_plans"].append({"id": plan, "student_id": student, "name": "Course",
                                  "kind": "instalments", "total": Decimal("30000"),
                                  "gst_mode": "none", "gst_rate": Decimal(0),
                                  "inter_state": False, **common})
        first = uuid.uuid4()
        for k, days in enumerate((90 - n % 60, 60 - n % 60, 30 - n % 60)):
            rows["fee_instalments"].append({
                "id": first if k == 0 else uuid.uuid4(), "plan_id": plan, "student_id": student,
                "number": k + 1, "due_on": TODAY - timedelta(days=days),
                "amount": Decimal("10000"), **common})
        if n % 2 == 0:
            paid = payment_id if n == 0 else uuid.uuid4()
            rows["payments"].append({
                "id": paid, "student_id": student, "receipt_no": f"2026-27/D01/{n + 1:06d}",
                "paid_on": TODAY, "amount": Decimal("10000"), "mode": "cash",
                "taxable": Decimal("10000"), "cgst": 0, "sgst": 0, "igst": 0,
                "received_by": counselor, "branch_id": branch_of(n), **common})
            rows["payment_allocations"].append({
                "id": uuid.uuid4(), "payment_id": paid, "instalment_id": first,
                "student_id": student, "amount": Decimal("10000"), **common})
    with replica.apply_remote() as conn:
        conn.execute(table_of("branches").insert(), [{"id": NORTH, "name": "North",
                                                      "code": "NOR", **common}])
        conn.execute(table_of("users").insert(), users)
        for name, values in rows.items():
            for start in range(0, len(values), 2000):
                conn.execute(table_of(name).insert(), values[start:start + 2000])
    replica.set_state(SERIES_STATE_KEY, "D01")
    return admin, payment_id


def _baseline_pdf(rows: int, out: Path) -> None:
    data = [["Paid for", "Due date", "Amount"]] + [[f"row {r}", "05 Dec 2026", "₹10,000.00"]
                                                   for r in range(rows)]
    SimpleDocTemplate(str(out), pagesize=A5).build([Table(data)])


def _open_view(replica: Replica, admin: uuid.UUID) -> float:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.context import AppContext
    from desktop_app.fees.view import FeesView
    from desktop_app.tasks import TaskManager
    from institute_core.enums import Role
    from institute_core.services.auth import CurrentUser

    app = QApplication.instance() or QApplication([])
    tasks = TaskManager()
    ctx = AppContext(replica, tasks, CurrentUser(admin, "admin@bench.example", "Asha Admin",
                                                 Role.ADMIN, None))
    started = time.perf_counter()
    view = FeesView(ctx)
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: view.model.total and loop.quit())
    timer.start(1)
    loop.exec()
    took = time.perf_counter() - started
    timer.stop()
    view.close()
    view.deleteLater()
    tasks.shutdown()
    del app
    return took


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--students", type=int, default=5000)
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp(prefix="fees-bench-"))
    replica = Replica.open(out / "replica")
    started = time.perf_counter()
    admin, payment = _fill(replica, args.students)
    print(f"{args.students} students with plans and payments written in "
          f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    desk.print_receipt(replica, payment, out)  # warm-up: fonts, statement caches
    print("\nreceipt (rows read, ledger, PDF drawn)")
    cpu: list[float] = []
    print(f"  {_ms(_timed(lambda: desk.print_receipt(replica, payment, out), args.runs, cpu))}"
          f"   budget 300 ms (CPU {_ms(cpu)})")
    print(f"  baseline: bare reportlab A5 table  "
          f"{_ms(_timed(lambda: _baseline_pdf(3, out / 'base.pdf'), args.runs))}")
    actor = replica.actor(admin)
    print(f"\ndues list over {args.students} students")
    cpu = []
    dues = _timed(lambda: desk.dues(replica, actor, TODAY), max(3, args.runs // 2), cpu)
    print(f"  desk.dues (every student's dues, ageing, names)  {_ms(dues)}   budget 300 ms "
          f"(CPU {_ms(cpu)})")
    cpu = []
    north = _timed(lambda: desk.dues(replica, actor, TODAY, [NORTH]), max(3, args.runs // 2),
                   cpu)
    print(f"  desk.dues of one branch (half the students)  {_ms(north)}   (CPU {_ms(cpu)})")
    opens = [_open_view(replica, admin) for _ in range(3)]
    print(f"  Fees section opened until its rows show  {_ms(opens)}   budget 300 ms")

    def raw() -> None:
        with replica.engine.connect() as conn:
            conn.execute(text("SELECT student_id, SUM(amount) FROM fee_instalments "
                              "GROUP BY student_id")).all()
    print(f"  baseline: one SQL pass summing instalments per student  "
          f"{_ms(_timed(raw, args.runs))}")
    replica.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
