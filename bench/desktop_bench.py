"""Desktop budgets on the default demo institute, each printed next to a baseline.

    .venv/bin/python bench/desktop_bench.py [--demo-dir DIR]

- saving attendance for a 30-student session (one `mark_many` unit of work, with outbox):
  p95 < 30 ms; baseline: a plain sqlite3 executemany of 30 rows in one transaction;
- start to usable main window (process start -> signed in, Today loaded), offscreen, in a
  subprocess: < 2 s; baseline: a Python process that only creates a QApplication;
- student list filter over 5,000 students, per keystroke (RowsModel filter + sort proxy):
  < 50 ms; baseline: a bare list comprehension over the same search texts;
- resident memory (VmRSS) of the started app with the student list loaded: < 300 MB;
  baseline: the QApplication-only process.

The demo (`institute_core.demo`, size "default") is built once into --demo-dir and copied to a
temporary folder for each run, so the bench never changes it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from institute_core.demo import DEMO_LOGINS, build_demo_replica  # noqa: E402
from institute_core.enums import AttendanceStatus  # noqa: E402
from institute_core.replica import Replica  # noqa: E402
from institute_core.schema import BatchMember, FlexibleBatch, Student  # noqa: E402
from institute_core.services import attendance, auth  # noqa: E402
from institute_core.services.common import SessionKey  # noqa: E402
from institute_core.services.schedule import WEEKDAYS  # noqa: E402

RUNS = 60

STARTUP_CHILD = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, {root!r})
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop_app.app import DeskApp
from desktop_app.theme import apply_theme
from institute_core.replica import Replica
from institute_core.sync.credentials import MemoryCredentials

app = QApplication([])
apply_theme(app)
replica = Replica.open({data!r})
desk = DeskApp(replica, credentials=MemoryCredentials(persistent=False))
desk.start()

def cpu_s():
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def usable(window):
    today = window.page("today")
    def check():
        if today.sessions_model.rowCount() and desk.tasks.idle:
            print("USABLE", flush=True)
            print(f"CPU {{cpu_s():.3f}}", flush=True)
            window.open_section("students")
            students = window.page("students")
            def loaded():
                if students.model.total and desk.tasks.idle:
                    print(f"RSS {{rss_mb():.1f}}", flush=True)
                    app.quit()
                else:
                    QTimer.singleShot(10, loaded)
            loaded()
        else:
            QTimer.singleShot(5, check)
    check()

desk.sig_main_window_shown.connect(usable)
desk.login.email.setText({email!r})
desk.login.password.setText({password!r})
desk.login.sign_in()
app.exec()
desk.shutdown()
"""

BASELINE_CHILD = r"""
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
app = QApplication([])
print("USABLE", flush=True)
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"CPU {usage.ru_utime + usage.ru_stime:.3f}", flush=True)
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(f"RSS {int(line.split()[1]) / 1024:.1f}", flush=True)
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ensure_demo(demo_dir: Path) -> None:
    if not (demo_dir / "replica.sqlite3").exists():
        print(f"building the default demo institute into {demo_dir} (once)…", flush=True)
        summary = build_demo_replica(demo_dir, size="default")
        print(f"  {summary.total_rows:,} rows", flush=True)


def thirty_student_batch(replica: Replica, faculty_user: uuid.UUID) -> SessionKey:
    """The demo's batches are small; add one of 30 demo students taught by the demo faculty."""
    user = auth.current_user(replica, faculty_user)
    today = date.today()
    with replica.write(replica.actor(faculty_user)) as s:
        from sqlalchemy import select

        subject_id = s.execute(select(FlexibleBatch.subject_id).where(
            FlexibleBatch.faculty_id == user.faculty_id).limit(1)).scalar_one()
        students = s.execute(select(Student.id).limit(30)).scalars().all()
        batch = FlexibleBatch(name="Bench batch of 30", subject_id=subject_id,
                              faculty_id=user.faculty_id, batch_type="workshop",
                              start_date=today - timedelta(days=400),
                              schedule={"weekly": [{"day": d, "start": "18:00", "end": "19:00"}
                                                   for d in WEEKDAYS]})
        s.add(batch)
        s.flush()
        for student_id in students:
            s.add(BatchMember(batch_id=batch.id, student_id=student_id,
                              joined_on=today - timedelta(days=400)))
        return SessionKey.batch(batch.id, today)


def bench_save(work: Path) -> None:
    replica = Replica.open(work)
    email, password = DEMO_LOGINS["faculty"]
    user = auth.login_offline(replica, email, password)
    key = thirty_student_batch(replica, user.user_id)
    actor = replica.actor(user.user_id)
    rows = attendance.load_roster(replica, key).rows
    assert len(rows) == 30
    cycle = [AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.LATE]
    first, again, first_cpu = [], [], []
    for run in range(RUNS):
        # A new meeting day each run: the first save of a session inserts 30 rows ...
        day = SessionKey.batch(key.id, key.on - timedelta(days=run))
        marks = {r.student_id: cycle[(run + i) % 3] for i, r in enumerate(rows)}
        started, cpu = time.perf_counter(), time.thread_time()
        attendance.mark_many(replica, actor, day, marks)
        first.append((time.perf_counter() - started) * 1000)
        first_cpu.append((time.thread_time() - cpu) * 1000)
        # ... and changing every one of the 30 marks afterwards updates them all.
        marks = {r.student_id: cycle[(run + i + 1) % 3] for i, r in enumerate(rows)}
        started = time.perf_counter()
        attendance.mark_many(replica, actor, day, marks)
        again.append((time.perf_counter() - started) * 1000)
    replica.close()

    base_path = work / "baseline.sqlite3"
    con = sqlite3.connect(base_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE marks (id TEXT PRIMARY KEY, student TEXT, status TEXT, at TEXT)")
    ids = [str(uuid.uuid4()) for _ in range(30)]
    base = []
    for run in range(RUNS):
        data = [(ids[i], ids[i], cycle[(run + i) % 3].value, "10:00") for i in range(30)]
        started = time.perf_counter()
        con.execute("BEGIN")
        con.executemany("INSERT OR REPLACE INTO marks VALUES (?, ?, ?, ?)", data)
        con.execute("COMMIT")
        base.append((time.perf_counter() - started) * 1000)
    con.close()
    print(f"save attendance, 30 students (first save): p50 {statistics.median(first):6.1f} ms"
          f"  p95 {pct(first, 95):6.1f} ms   (budget p95 < 30 ms)")
    print(f"  CPU time of the same saves:             p50 {statistics.median(first_cpu):6.1f} ms"
          f"  p95 {pct(first_cpu, 95):6.1f} ms")
    print(f"  changing all 30 marks again:            p50 {statistics.median(again):6.1f} ms"
          f"  p95 {pct(again, 95):6.1f} ms")
    print(f"  baseline sqlite3 executemany: p50 {statistics.median(base):6.2f} ms  "
          f"p95 {pct(base, 95):6.2f} ms")


def _child(script: str) -> tuple[float, float, float]:
    """(seconds to usable, CPU seconds used by then, RSS MB) of one child process."""
    # An installed app starts from compiled bytecode (pip compiles on install); without this a
    # PYTHONDONTWRITEBYTECODE environment would recompile every module of the app on each run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)
    usable_s, cpu, rss = float("nan"), float("nan"), float("nan")
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("USABLE"):
            usable_s = time.perf_counter() - started
        elif line.startswith("CPU"):
            cpu = float(line.split()[1])
        elif line.startswith("RSS"):
            rss = float(line.split()[1])
    process.wait(60)
    return usable_s, cpu, rss


def bench_startup(work: Path) -> None:
    email, password = DEMO_LOGINS["faculty"]
    script = STARTUP_CHILD.format(root=str(ROOT), data=str(work), email=email,
                                  password=password)
    runs = [_child(script) for _ in range(3)]
    base = [_child(BASELINE_CHILD) for _ in range(3)]
    best = min(r[0] for r in runs)
    print(f"start to usable main window:   best {best:5.2f} s  worst "
          f"{max(r[0] for r in runs):5.2f} s   (budget < 2 s; includes sign-in with argon2)")
    # On a shared, busy machine the wall clock also counts waiting for a core; the CPU time
    # the process used by then is what an idle machine would roughly take.
    print(f"  CPU time used by then:        best {min(r[1] for r in runs):5.2f} s")
    print(f"  baseline QApplication only:   best {min(b[0] for b in base):5.2f} s  "
          f"(CPU {min(b[1] for b in base):4.2f} s)")
    print(f"resident memory, app with the student list: {max(r[2] for r in runs):6.1f} MB "
          f"(budget < 300 MB)")
    print(f"  baseline QApplication only:   {max(b[2] for b in base):6.1f} MB")


def bench_filter(work: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop_app.models import RowsModel
    from desktop_app.students.view import STUDENT_COLUMNS, StudentSortProxy, search_predicate
    from institute_core.services.students import StudentRow, list_students

    app = QApplication.instance() or QApplication([])
    replica = Replica.open(work)
    real = list(list_students(replica))
    replica.close()
    rows = list(real)
    n = 0
    while len(rows) < 5000:  # the default demo has 1,500 students: repeat with new numbers
        r = real[n % len(real)]
        number = f"X{n:05d}"
        rows.append(StudentRow(uuid.uuid4(), number, r.name, r.email, r.phone, r.status,
                               r.admission_date, f"{number.lower()} {r.haystack}"))
        n += 1
    model: RowsModel[StudentRow] = RowsModel(STUDENT_COLUMNS)
    model.set_rows(rows)
    proxy = StudentSortProxy()
    proxy.setSourceModel(model)
    typed = "priya sharma"
    timings, base = [], []
    for _ in range(5):
        for i in range(len(typed) + 1):
            text = typed[:i]
            started = time.perf_counter()
            model.set_filter(search_predicate(text))
            proxy.rowCount()
            timings.append((time.perf_counter() - started) * 1000)
            words = text.lower().split()
            started = time.perf_counter()
            _ = [r for r in rows if all(w in r.haystack for w in words)]
            base.append((time.perf_counter() - started) * 1000)
    print(f"filter {len(rows):,} students / keystroke: p50 {statistics.median(timings):5.1f} ms"
          f"  max {max(timings):5.1f} ms   (budget < 50 ms)")
    print(f"  baseline list comprehension:  p50 {statistics.median(base):5.1f} ms  "
          f"max {max(base):5.1f} ms")
    del app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "institute-desk-bench-demo")
    args = parser.parse_args()
    ensure_demo(args.demo_dir)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} (1 min) – "
          "wall-clock figures grow with the load; CPU times much less", flush=True)
    with tempfile.TemporaryDirectory(prefix="desk-bench-") as tmp:
        work = Path(tmp) / "replica"
        shutil.copytree(args.demo_dir, work)
        bench_startup(work)
        bench_filter(work)
        bench_save(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
