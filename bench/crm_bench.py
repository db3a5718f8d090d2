"""The counselor desk with 10,000 inquiries: list open, filter keystrokes, duplicate check.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/crm_bench.py [--inquiries 10000]

Builds the small demo institute, adds inquiries (with subjects and follow-ups) up to the given
count, then measures on the real widgets of the Inquiries section:
- list open: constructing InquiriesView until its rows are painted with the duplicate index
  ready (DB read, scoring, index, model, first paint of the table);
- filter: one keystroke in the search box, a stage/source filter, clearing (p50/p95);
- duplicate check: one keystroke in the capture form's phone field (index check + UI), and the
  bare index check.
Baselines measured in the same run: a plain ORM SELECT of the listed inquiry columns (typed:
UUIDs, datetimes, JSON; no follow-ups, subjects or scoring), a
Python substring scan of the rows (the least a filter can cost), and a SQL look-up of the phone
on the indexed column (what a per-keystroke database query would cost).
Budgets: list with its index < 200 ms (issue 15; it was 145 ms for the list and 305 ms until
the index was ready), filter < 50 ms, duplicate check < 20 ms (issue 6). Wall time on a busy
machine mostly measures waiting for a core: the CPU time of each figure is printed beside it.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from desktop_app.context import AppContext  # noqa: E402
from desktop_app.crm.inquiries_view import InquiriesView  # noqa: E402
from desktop_app.tasks import TaskManager  # noqa: E402
from institute_core.crm.phones import try_normalize  # noqa: E402
from institute_core.demo import DEMO_LOGINS, build_demo_replica  # noqa: E402
from institute_core.demo.names import FIRST_NAMES, LAST_NAMES  # noqa: E402
from institute_core.enums import FollowUpStatus, FollowUpType, InquirySource, Priority  # noqa: E402
from institute_core.replica import Replica  # noqa: E402
from institute_core.schema import FollowUp, Inquiry, InquirySubject, Subject, User  # noqa: E402
from institute_core.services import auth  # noqa: E402

STAGES = ("new", "contacted", "follow_up_scheduled", "enrolled", "lost")


def _add_inquiries(replica: Replica, target: int, rng: random.Random) -> int:
    """Bulk-add inquiries (as a sync pull would) until the replica holds `target`."""
    with replica.read() as s:
        have = s.execute(select(func.count()).select_from(Inquiry)).scalar_one()
        subjects = list(s.execute(select(Subject.id)).scalars())
        counselors = list(s.execute(select(User.id).where(User.role == "counselor")).scalars())
    now = datetime.now(UTC)
    inquiries, links, follow_ups = [], [], []
    for n in range(have, target):
        made = now - timedelta(days=rng.randint(0, 180), hours=rng.randint(0, 9))
        phone = f"+91 9{rng.randint(100000000, 999999999)}"
        status = rng.choice(STAGES)
        inquiry_id = uuid.uuid4()
        counselor = rng.choice(counselors)
        inquiries.append({
            "id": inquiry_id, "counselor_id": counselor,
            "student_name": f"{rng.choice(FIRST_NAMES)[0]} {rng.choice(LAST_NAMES)[0]}",
            "phone": phone, "phone_normalized": try_normalize(phone),
            "email": f"bench{n}@example.in" if rng.random() < 0.6 else None,
            "source": rng.choice(list(InquirySource)).value, "status": status,
            "priority": rng.choice(list(Priority)).value,
            "next_follow_up_date": None,
            "tags": rng.sample(["weekend", "working", "student", "fees-query"], rng.randint(0, 2)),
            "lost_reason": "Fees too high" if status == "lost" else None,
            "created_at": made, "updated_at": made, "version": 1})
        for subject_id in rng.sample(subjects, rng.randint(1, 2)):
            links.append({"id": uuid.uuid4(), "inquiry_id": inquiry_id, "subject_id": subject_id,
                          "created_at": made, "updated_at": made, "version": 1})
        if status == "follow_up_scheduled":  # as the app keeps it: the date of a pending one
            when = now + timedelta(days=rng.randint(-5, 7))
            inquiries[-1]["next_follow_up_date"] = when
            follow_ups.append({
                "id": uuid.uuid4(), "inquiry_id": inquiry_id, "counselor_id": counselor,
                "follow_up_date": when, "follow_up_type": FollowUpType.CALL.value,
                "status": FollowUpStatus.PENDING.value, "created_at": made, "updated_at": made,
                "version": 1})
        for k in range(rng.randint(0, 3)):
            when = made + timedelta(days=2 * k + 1)
            follow_ups.append({
                "id": uuid.uuid4(), "inquiry_id": inquiry_id, "counselor_id": counselor,
                "follow_up_date": when, "follow_up_type": FollowUpType.CALL.value,
                "status": rng.choice((FollowUpStatus.COMPLETED, FollowUpStatus.MISSED)).value,
                "created_at": made, "updated_at": made, "version": 1})
    with replica.apply_remote() as connection:
        for model, rows in ((Inquiry, inquiries), (InquirySubject, links),
                            (FollowUp, follow_ups)):
            for at in range(0, len(rows), 2000):
                connection.execute(insert(model), rows[at:at + 2000])
    return target


def _wait(signal: Any, condition: Callable[[], bool], timeout_ms: int = 30_000) -> None:
    """Run the event loop until `signal` fires and `condition` holds. No polling timer: a
    wake-up every millisecond would take the interpreter from the worker being measured."""
    while not condition():
        loop = QEventLoop()
        signal.connect(loop.quit)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(timeout_ms)
        loop.exec()
        signal.disconnect(loop.quit)
        if not timer.isActive() and not condition():
            raise TimeoutError("view did not load")


def _usable(view: InquiriesView) -> bool:
    """Listed and ready for duplicate checks."""
    return view.loaded and view.index_ready


def _discard(view: InquiriesView) -> None:
    """Delete a measured view and collect its garbage outside the timed window: the app keeps
    one view per section, while views left over here (their Qt connections hold them) would
    make each later open pay for walking the earlier ones' rows in a full collection."""
    view.close()
    view.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


class Samples(list[float]):
    """Wall-clock samples, with the CPU time of each beside them in `cpu`."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: list[float] = []

    def add(self, more: Samples) -> None:
        self.extend(more)
        self.cpu.extend(more.cpu)

    def both(self) -> str:
        cpu = statistics.median(self.cpu) * 1000 if self.cpu else 0.0
        return f"{_ms(self)}   CPU p50 {cpu:6.2f} ms"


def _time(fn: Callable[[], Any], repeat: int) -> Samples:
    samples = Samples()
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - start)
        samples.cpu.append(time.process_time() - cpu_start)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    try:
        build_demo_replica(tmp / "replica", size="small")
        replica = Replica.open(tmp / "replica")
        total = _add_inquiries(replica, args.inquiries, random.Random(7))
        email, password = DEMO_LOGINS["counselor"]
        tasks = TaskManager()
        ctx = AppContext(replica, tasks, auth.login_offline(replica, email, password))
        print(f"{total} inquiries in the replica\n")

        opens: list[float] = []
        cpu: list[float] = []
        view: InquiriesView | None = None
        for _ in range(5):
            start, cpu_start = time.perf_counter(), time.process_time()
            current = InquiriesView(ctx)
            current.resize(1280, 800)
            current.show()
            _wait(current.sig_loaded, partial(_usable, current))
            # The rows painted, inside the measured time (a paint would otherwise wait for the
            # next turn of the event loop, after the clock stopped).
            current.table.viewport().repaint()
            opens.append(time.perf_counter() - start)
            # CPU seconds of all threads: on a shared, loaded machine wall time mostly measures
            # waiting for a core.
            cpu.append(time.process_time() - cpu_start)
            view = current
            if len(opens) < 5:
                _discard(current)
        assert view is not None
        with replica.read() as s:
            columns = [Inquiry.id, Inquiry.student_name, Inquiry.phone, Inquiry.email,
                       Inquiry.source, Inquiry.status, Inquiry.priority, Inquiry.tags,
                       Inquiry.created_at, Inquiry.next_follow_up_date]
            plain = _time(lambda: s.execute(select(*columns).where(
                Inquiry.deleted_at.is_(None))).all(), 5)
            plain_cpu = []
            for _ in range(5):
                cpu_start = time.process_time()
                s.execute(select(*columns).where(Inquiry.deleted_at.is_(None))).all()
                plain_cpu.append(time.process_time() - cpu_start)
        print("list open (view built, rows loaded, scored and shown, duplicate index ready)")
        print(f"  Inquiries view + index  {_ms(opens)}   budget 200 ms")
        print(f"  ... CPU time of it      {_ms(cpu)}")
        print(f"  baseline: plain SELECT  {_ms(plain)}")
        print(f"  ... CPU time of it      {_ms(plain_cpu)}")

        view.show()
        keystrokes = ["r", "ra", "rav", "ravi", "ravi ", "ravi k", ""]
        filters = Samples()
        shown = view
        for _ in range(max(1, args.repeat // len(keystrokes))):
            for text in keystrokes:
                filters.add(_time(partial(shown.search.setText, text), 1))

        def stage_on_and_off() -> None:
            shown.stage.setCurrentIndex(2)
            shown.stage.setCurrentIndex(0)

        stage = _time(stage_on_and_off, args.repeat)
        rows = view.rows
        scan = _time(lambda: [r for r in rows if "ravi" in r.haystack], args.repeat)
        print("\nfilter (one change of a filter, list updated)")
        print(f"  search keystroke        {filters.both()}   budget 50 ms")
        print(f"  stage on + off (2 runs) {stage.both()}")
        print(f"  baseline: Python scan   {scan.both()}")

        assert view.index_ready  # ready with the list, never later
        form = view.capture
        view.new_inquiry()
        form.name.setText("Ravi")
        known = rows[len(rows) // 2].phone
        digits = "0" + known.replace("+91", "").replace(" ", "")
        typing = Samples()
        for _ in range(max(1, args.repeat // 4)):
            form.phone.clear()
            for k in range(1, len(digits) + 1):
                typing.add(_time(partial(form.phone.setText, digits[:k]), 1))
        found = len(form.matches)
        bare = _time(lambda: view.index.check("Ravi", digits, None), args.repeat * 10)
        with replica.read() as s:
            sql = _time(lambda: s.execute(select(Inquiry.id).where(
                Inquiry.phone_normalized == try_normalize(digits))).all(), args.repeat)
        print("\nduplicate check while typing (phone field, "
              f"{len(view.index)} contacts; last keystroke found {found})")
        print(f"  keystroke with UI       {typing.both()}   budget 20 ms")
        print(f"  index check alone       {bare.both()}")
        print(f"  baseline: SQL by phone  {sql.both()}")
        view.close()
        tasks.shutdown()
        replica.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
