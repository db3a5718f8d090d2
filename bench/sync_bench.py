"""Sync against a real server on loopback: push and pull rates, initial sync, many desks at once.

    .venv/bin/python bench/sync_bench.py [--changes 10000] [--clients 20,50,100,200]
        [--seconds 60] [--soak 0] [--size default] [--workers 2] [--think 3.0]
        [--only all|transfer|desks] [--profile DIR]

Everything runs on 127.0.0.1: a throwaway PostgreSQL database (dropped at the end) holding the
default demo institute, served by uvicorn in a subprocess (tests/support/server.py), and
desktop replicas in a temporary folder. Measured, with the brief's targets:

- initial sync of the whole demo onto an empty replica (< 30 s; `--size large`, about 1.1
  million rows: < 45 s);
- push: one desk makes `--changes` edits of attendance notes offline (two changes each: the row
  and its audit entry; past the rows the desk holds, rows are edited again), then syncs;
  changes/s of the push phase (>= 15,000/s);
- pull: a second desk syncs them; rows/s of that sync (>= 30,000/s);
- the load curve: scripted desks (the demo's faculty, several desks per person beyond 40, each
  its own device and rows), signed in first, then at each level of `--clients` all doing small
  syncs (1-5 edits, push then pull, a pause of about `--think` s) for `--seconds`: syncs and
  changes per second, p50/p95 push latency, errors, machine CPU in use (0 errors and p95 <
  500 ms at every level; throughput grows until the CPU is full);
- `--soak S`: the largest level again for S seconds, the server's memory sampled throughout
  (flat: the last third's mean within a few MB of the first third's).

Baselines measured in the same run: raw psycopg executemany and COPY of the same attendance rows
into an unconstrained copy of the table, and an empty HTTP round trip to the same server.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from institute_core.collector import freeze_startup_objects  # noqa: E402
from institute_core.demo import DEMO_LOGINS, load_into_database  # noqa: E402
from institute_core.demo.logins import OTHER_STAFF_PASSWORD  # noqa: E402
from institute_core.replica import Replica  # noqa: E402
from institute_core.schema import SessionAttendance, table_of  # noqa: E402
from institute_core.sync import wire  # noqa: E402
from institute_core.sync.account import connect, sync_replica  # noqa: E402
from institute_core.sync.backoff import RetryPolicy  # noqa: E402
from institute_core.sync.client import SyncClient  # noqa: E402
from institute_core.sync.credentials import MemoryCredentials  # noqa: E402
from institute_core.sync.hlc import Timestamp, wall_clock_ms  # noqa: E402
from institute_core.sync.runner import SyncProgress, SyncReport  # noqa: E402
from institute_core.sync.transport import Transport  # noqa: E402
from sync_server.settings import make_engine  # noqa: E402
from sync_server.sync.pull import Cursor  # noqa: E402
from sync_server.sync.versions import watermark  # noqa: E402
from tests.pg import DEFAULT_URL, throwaway_database  # noqa: E402
from tests.support.server import ServerProcess, prepare_server_db, running_server  # noqa: E402

TABLE = "session_attendance"
NO_RETRY = RetryPolicy(attempts=1)


# --- measuring helpers ---------------------------------------------------------------------

def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's workers under its supervisor)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (MB)."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


class MemoryWatch:
    """Samples a process's RSS every `every` seconds on a thread, with a label per phase."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, str, float]] = []
        self.phase = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self.phase, rss_mb(self.pid)))
            self._stop.wait(self.every)

    def mark(self, phase: str) -> float:
        value = rss_mb(self.pid)
        self.phase = phase
        self.samples.append((time.monotonic(), phase, value))
        return value

    def of(self, phase: str) -> list[float]:
        return [mb for _t, p, mb in self.samples if p == phase]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process and its children have used so far (/proc)."""
    return sum(cpu_s_of(member) for member in process_tree(pid))


def database_cpu_s(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the bench's database (the server
    is shared with whatever else runs on the machine; only these are this run's)."""
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]
    return {pid: cpu_s_of(pid) for pid in pids}


def cpu_s_of(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


class CpuClock:
    """CPU seconds of this process and of the server over a phase, next to its wall time."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def __enter__(self) -> CpuClock:
        self._wall, self._own = time.perf_counter(), time.process_time()
        self._server = cpu_s(self.server_pid)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.own = time.process_time() - self._own
        self.server = cpu_s(self.server_pid) - self._server

    def __str__(self) -> str:
        return f"wall {self.wall:.2f} s, CPU client {self.own:.2f} s + server {self.server:.2f} s"


@contextlib.contextmanager
def profiled(folder: Path | None, name: str, server_pid: int) -> Iterator[None]:
    """With `--profile DIR`: py-spy records the server and cProfile this process meanwhile."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        print(f"  (no py-spy in {py_spy.parent}: `pip install py-spy` to profile the server; "
              "the bench is profiled with cProfile only)", flush=True)
        with _cprofiled(folder / f"{name}-client.prof"):
            yield
        return
    spy = subprocess.Popen([str(py_spy), "record", "-p",
                            str(server_pid), "--subprocesses", "-f", "speedscope", "-o",
                            str(folder / f"{name}-server.json"), "-r", "200", "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    try:
        with _cprofiled(folder / f"{name}-client.prof"):
            yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)


@contextlib.contextmanager
def _cprofiled(path: Path) -> Iterator[None]:
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- baselines -----------------------------------------------------------------------------

def attendance_rows(url: str, n: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(f"SELECT * FROM {TABLE} ORDER BY id LIMIT %s", (n,))
        columns = [d.name for d in cur.description or ()]
        rows = [tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in r)
                for r in cur.fetchall()]
    return columns, rows


def baseline_inserts(url: str, n: int) -> dict[str, float]:
    """Rows/s of raw psycopg executemany and COPY of `n` attendance rows (unconstrained copy)."""
    columns, rows = attendance_rows(url, n)
    names = ", ".join(columns)
    out: dict[str, float] = {}
    with psycopg.connect(url) as conn:
        for how in ("executemany", "copy"):
            conn.execute("DROP TABLE IF EXISTS bench_copy")
            conn.execute(f"CREATE TABLE bench_copy (LIKE {TABLE})")
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cur:
                if how == "executemany":
                    cur.executemany(f"INSERT INTO bench_copy ({names}) VALUES "
                                    f"({', '.join(['%s'] * len(columns))})", rows)
                else:
                    with cur.copy(f"COPY bench_copy ({names}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            conn.commit()
            out[how] = len(rows) / (time.perf_counter() - started)
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return out


def round_trip_ms(server: ServerProcess, device: uuid.UUID, n: int = 200) -> dict[str, float]:
    """p50 of an empty GET /v1/health and of an admin's push of no changes from `device`."""
    empty = wire.PushRequest(device_id=device, schema_version=wire.SCHEMA_VERSION, changes=[])
    body = empty.model_dump_json()
    out: dict[str, float] = {}
    with httpx.Client(base_url=server.base_url) as http:
        email, password = DEMO_LOGINS["admin"]
        token = http.post("/v1/auth/login", json={"email": email, "password": password}
                          ).raise_for_status().json()["access_token"]
        headers = {"Authorization": f"Bearer {token}",
                   "X-Schema-Version": str(wire.SCHEMA_VERSION)}
        for name, call in (
                ("health", lambda: http.get("/v1/health")),
                ("empty push", lambda: http.post("/v1/sync/push", content=body, headers={
                    **headers, "Content-Type": "application/json"}))):
            times = []
            for _ in range(n):
                started = time.perf_counter()
                response = call()
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            out[name] = statistics.median(times)
    return out


# --- desks ---------------------------------------------------------------------------------

@dataclass
class Desk:
    replica: Replica
    credentials: MemoryCredentials
    user_id: uuid.UUID


def open_desk(folder: Path, server: ServerProcess, role: str) -> tuple[Desk, SyncReport, float]:
    email, password = DEMO_LOGINS[role]
    replica = Replica.open(folder)
    credentials = MemoryCredentials()
    started = time.perf_counter()
    user, report = connect(replica, server.base_url, email, password, credentials)
    return Desk(replica, credentials, user.id), report, time.perf_counter() - started


def edit_attendance(desk: Desk, n: int) -> float:
    """Make `n` edits of attendance notes offline, in chunks; returns seconds. Past the
    replica's number of attendance rows the rows are edited again, round after round (each
    edit is its own change), so any size of push can be measured on the default demo."""
    with desk.replica.read() as s:
        rows = list(s.scalars(select(SessionAttendance.id).order_by(SessionAttendance.id)
                              .limit(n)))
    ids = [rows[i % len(rows)] for i in range(n)] if rows else []
    started = time.perf_counter()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        with desk.replica.write(desk.replica.actor(desk.user_id)) as s:
            for row in s.scalars(select(SessionAttendance).where(SessionAttendance.id.in_(chunk))):
                row.faculty_notes = f"bench edit {start}"
    return time.perf_counter() - started


def timed_sync(desk: Desk) -> tuple[SyncReport, float, float]:
    """(report, seconds of the whole sync, seconds until the last push batch was confirmed)."""
    marks: list[tuple[str, float]] = []

    def progress(p: SyncProgress) -> None:
        marks.append((p.phase, time.perf_counter()))

    started = time.perf_counter()
    report = sync_replica(desk.replica, desk.credentials, progress=progress)
    ended = time.perf_counter()
    pushed = [t for phase, t in marks if phase == "push"]
    return report, ended - started, (pushed[-1] - started) if pushed else 0.0


# --- many desks at once --------------------------------------------------------------------

@dataclass
class Load:
    push_ms: list[float] = field(default_factory=list)
    sync_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rejected: int = 0
    changes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def faculty_logins(url: str, n: int) -> list[tuple[str, str, list[tuple[uuid.UUID, int]]]]:
    """(email, password, [(attendance id, version) of their sessions]) for `n` faculty."""
    users, faculties = table_of("users"), table_of("faculties")
    sessions, attendance = table_of("learning_sessions"), table_of(TABLE)
    engine = make_engine(url)
    out = []
    try:
        with engine.connect() as c:
            staff = c.execute(select(users.c.email, faculties.c.id)
                              .join(faculties, faculties.c.user_id == users.c.id)
                              .where(users.c.role == "faculty").order_by(users.c.email)
                              .limit(n)).all()
            for email, faculty_id in staff:
                rows = c.execute(select(attendance.c.id, attendance.c.version)
                                 .join(sessions, sessions.c.id == attendance.c.session_id)
                                 .where(sessions.c.faculty_id == faculty_id)
                                 .order_by(attendance.c.id).limit(300)).all()
                password = (DEMO_LOGINS["faculty"][1] if email == DEMO_LOGINS["faculty"][0]
                            else OTHER_STAFF_PASSWORD)
                out.append((email, password, [(r.id, int(r.version)) for r in rows]))
    finally:
        engine.dispose()
    return out


def current_cursor(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            clock = watermark(c)
    finally:
        engine.dispose()
    return Cursor(since=int(clock)).encode()


@dataclass
class ScriptedDesk:
    """A signed-in, registered desk of the load test and the attendance rows it edits."""

    email: str
    client: SyncClient
    device: uuid.UUID
    user_id: uuid.UUID
    versions: dict[uuid.UUID, int]
    seq: int = 0


def sign_in_desks(server: ServerProcess, url: str, n: int) -> list[ScriptedDesk]:
    """`n` desks of the demo's faculty (several desks per person when there are more desks than
    faculty: each its own device and its own share of that person's rows).

    Signed in a few at a time, as a staff room's laptops are in a morning: the server counts
    sign-ins in flight per client address, and argon2 is slow on purpose."""
    staff = faculty_logins(url, n)
    shares = [(staff[i % len(staff)], i // len(staff), -(-n // len(staff)) if n > len(staff)
               else 1) for i in range(n)]

    def one(item: tuple[tuple[str, str, list[tuple[uuid.UUID, int]]], int, int]
            ) -> ScriptedDesk:
        (email, password, rows), part, parts = item
        device = uuid.uuid4()
        client = SyncClient(Transport(server.base_url, retry=NO_RETRY), MemoryCredentials(),
                            email)
        user = client.login(password, device).user
        client.register_device(wire.DeviceRegistration(device_id=device, name="bench",
                                                       schema_version=wire.SCHEMA_VERSION))
        return ScriptedDesk(email, client, device, user.id, dict(rows[part::parts]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, shares))


def small_syncs(desk: ScriptedDesk, cursor: str, seconds: float, think: float, load: Load,
                seed: int, start: threading.Barrier) -> None:
    """One scripted desk: 1-5 edits of its own attendance, push, pull to the end, pause."""
    rng = random.Random(seed)
    versions = desk.versions
    try:
        start.wait()
    except threading.BrokenBarrierError:
        return
    # Desks wake at different moments, as real ones do.
    time.sleep(rng.uniform(0, think))
    until = time.monotonic() + seconds
    while time.monotonic() < until and versions:
        changes = []
        for row_id in rng.sample(sorted(versions), min(len(versions), rng.randint(1, 5))):
            desk.seq += 1
            changes.append(wire.Change(
                change_id=uuid.uuid4(), seq=desk.seq, table=TABLE, row_id=row_id,
                fields={"faculty_notes": f"note {desk.seq}"},
                hlc=Timestamp(wall_clock_ms(), desk.seq, str(desk.device)).encode(),
                author_id=desk.user_id, device_id=desk.device,
                base_version=versions[row_id]))
        try:
            started = time.perf_counter()
            answer = desk.client.push(wire.PushRequest(
                device_id=desk.device, schema_version=wire.SCHEMA_VERSION, changes=changes))
            pushed = time.perf_counter()
            more = True
            while more:
                page = desk.client.pull(cursor, 1000, desk.device)
                cursor, more = page.next_cursor, page.has_more
            ended = time.perf_counter()
        except Exception as exc:
            with load.lock:
                load.errors.append(f"{desk.email}: {exc}")
            time.sleep(think)
            continue
        for result in answer.results:
            if result.version is not None:
                row = next(c.row_id for c in changes if c.change_id == result.change_id)
                versions[row] = result.version
        with load.lock:
            load.push_ms.append((pushed - started) * 1000)
            load.sync_ms.append((ended - started) * 1000)
            load.changes += len(changes)
            load.rejected += sum(r.outcome is wire.Outcome.REJECTED for r in answer.results)
        time.sleep(think * rng.uniform(0.5, 1.5))


def many_desks(desks: list[ScriptedDesk], url: str, seconds: float, think: float) -> Load:
    cursor = current_cursor(url)
    load = Load()
    start = threading.Barrier(len(desks))
    threads = [threading.Thread(target=small_syncs, args=(desk, cursor, seconds, think, load,
                                                          i, start))
               for i, desk in enumerate(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return load


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine so far (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return float(sum(fields) - idle), float(sum(fields))


def load_curve(server: ServerProcess, url: str, levels: list[int], seconds: float,
               think: float, memory: MemoryWatch, say: Callable[[str], None]) -> None:
    """The same scripted desks at each level of `levels` (the first n of the largest), one
    after the other: syncs and changes per second, push latency, errors, CPU in use."""
    began = time.perf_counter()
    desks = sign_in_desks(server, url, max(levels))
    say(f"{len(desks)} desks signed in and registered in {time.perf_counter() - began:.1f} s "
        f"(argon2, 4 at a time)")
    say("| desks | syncs/s | changes/s | push p50 ms | push p95 ms | whole sync p95 ms | "
        "errors | rejected | machine CPU busy | load avg | server CPU ms/sync | "
        "PostgreSQL CPU ms/sync | bench CPU ms/sync | server RSS MB |")
    say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in levels:
        memory.mark(f"{n} desks")
        busy0, total0 = machine_busy()
        server0, database0 = cpu_s(server.process.pid), database_cpu_s(url)
        # The scripted desks share the machine with the server: their own CPU is printed so
        # that a bench eating a core is seen, not mistaken for the server's cost.
        bench0 = time.process_time()
        load = many_desks(desks[:n], url, seconds, think)
        bench_cpu = time.process_time() - bench0
        busy1, total1 = machine_busy()
        server_cpu = cpu_s(server.process.pid) - server0
        database_cpu = sum(cpu - database0.get(pid, 0.0)
                           for pid, cpu in database_cpu_s(url).items())
        syncs = max(1, len(load.push_ms))
        rss = memory.of(f"{n} desks")
        say(f"| {n} | {len(load.push_ms) / seconds:,.1f} | {load.changes / seconds:,.0f} | "
            f"{pct(load.push_ms, 50):.0f} | {pct(load.push_ms, 95):.0f} | "
            f"{pct(load.sync_ms, 95):.0f} | {len(load.errors)} | {load.rejected} | "
            f"{100 * (busy1 - busy0) / max(1.0, total1 - total0):.0f} % | "
            f"{os.getloadavg()[0]:.1f} | {1000 * server_cpu / syncs:.1f} | "
            f"{1000 * database_cpu / syncs:.1f} | {1000 * bench_cpu / syncs:.1f} | "
            f"{min(rss, default=0):.0f}-{max(rss, default=0):.0f} |")
        ok = not load.errors and pct(load.push_ms, 95) < 500
        if not ok:
            say(f"  {n} desks [target 0 errors, p95 < 500 ms: MISSED]")
        for error in load.errors[:5]:
            say(f"  error: {error}")


def transfer(server: ServerProcess, tmp: Path, changes: int, profile: Path | None,
             memory: MemoryWatch, say: Callable[[str], None]) -> None:
    """Initial sync of two desks, then desk 1 pushes `changes` edits and desk 2 pulls them."""
    first, initial, initial_s = open_desk(tmp / "admin-1", server, "admin")
    limit = 45 if initial.received > 500_000 else 30  # the large demo's budget, or the default's
    say(f"initial sync (admin, empty replica): {initial.received:,} rows in "
        f"{initial_s:.1f} s = {initial.received / initial_s:,.0f} rows/s "
        f"[target < {limit} s: {verdict(initial_s < limit)}]")
    second, again, again_s = open_desk(tmp / "admin-2", server, "admin")
    say(f"initial sync, second desk: {again.received:,} rows in {again_s:.1f} s")
    rtt = round_trip_ms(server, second.replica.device_id)
    say(f"baseline round trip p50: GET /v1/health {rtt['health']:.1f} ms, "
        f"empty push {rtt['empty push']:.1f} ms")
    # As the app, the CLI and the server do once started (institute_core/collector.py).
    freeze_startup_objects()
    memory.mark("push and pull")
    edit_s = edit_attendance(first, changes)
    waiting = first.replica.pending_changes()
    say(f"desk 1 edits {changes:,} attendance rows offline: {edit_s:.1f} s "
        f"({waiting:,} changes in the outbox)")
    with profiled(profile, "push", server.process.pid), CpuClock(server.process.pid) as cpu:
        pushed, push_total_s, push_s = timed_sync(first)
    say(f"push: {pushed.sent:,} changes in {push_s:.2f} s = "
        f"{pushed.sent / push_s:,.0f} changes/s (outcomes {pushed.outcomes}; the whole "
        f"sync, pulling them back, {push_total_s:.2f} s) "
        f"[target >= 15,000/s: {verdict(pushed.sent / push_s >= 15000)}]")
    say(f"  push and pull back: {cpu}")
    with profiled(profile, "pull", server.process.pid), CpuClock(server.process.pid) as cpu:
        pulled, pull_s, _ = timed_sync(second)
    say(f"pull: desk 2 receives {pulled.received:,} rows in {pull_s:.2f} s = "
        f"{pulled.received / pull_s:,.0f} rows/s "
        f"[target >= 30,000/s: {verdict(pulled.received / pull_s >= 30000)}]")
    say(f"  pull: {cpu}")
    for desk in (first, second):
        desk.replica.close()


# --- the run -------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--clients", default="20,50,100,200",
                        help="desk counts of the load curve, comma-separated")
    parser.add_argument("--size", choices=("small", "default", "large"), default="default",
                        help="the demo institute on the server (large: about 1.1 million rows,"
                             " for the first-sync figure; < 45 s)")
    parser.add_argument("--soak", type=float, default=0.0,
                        help="then run the largest level this many seconds, watching memory")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2,
                        help="server worker processes (docs/deploy.md: one per core)")
    parser.add_argument("--think", type=float, default=3.0,
                        help="average pause of a scripted desk between its syncs (s)")
    parser.add_argument("--only", choices=("all", "transfer", "desks"), default="all",
                        help="transfer: initial sync, push and pull only; desks: only the "
                             "many-desks phase")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record the push and pull phases (py-spy on the server, "
                             "cProfile here) into DIR")
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with throwaway_database(admin_url, prefix="syncbench") as url, \
            tempfile.TemporaryDirectory(prefix="syncbench-") as tmp:
        prepare_server_db(url)
        summary = load_into_database(make_engine(url), size=args.size)
        say(f"{args.size} demo institute loaded: {sum(summary.counts.values()):,} rows in "
            f"{summary.load_seconds:.1f} s")
        base = baseline_inserts(url, args.changes)
        say(f"baseline psycopg executemany of {args.changes:,} {TABLE} rows: "
            f"{base['executemany']:,.0f} rows/s; COPY: {base['copy']:,.0f} rows/s")
        say(f"server: uvicorn with {args.workers} worker process(es)")
        with running_server(url, workers=args.workers) as server, \
                MemoryWatch(server.process.pid) as memory:
            rss_start = memory.mark("initial sync")
            if args.only != "desks":
                transfer(server, Path(tmp), args.changes, args.profile, memory, say)
            rss_before_load = memory.mark("many desks")
            if args.only == "transfer":
                say(f"server RSS: {rss_start:.0f} MB at start, {rss_before_load:.0f} MB at "
                    "the end")
                return 0
            levels = sorted({int(n) for n in args.clients.split(",") if n.strip()})
            load_curve(server, url, levels, args.seconds, args.think, memory, say)
            if args.soak > 0:
                memory.mark("soak")
                desks = sign_in_desks(server, url, levels[-1])
                load = many_desks(desks, url, args.soak, args.think)
                during = memory.of("soak")
                third = max(1, len(during) // 3)
                say(f"soak: {levels[-1]} desks for {args.soak:.0f} s: {len(load.push_ms):,} "
                    f"syncs, {len(load.errors)} errors, push p95 {pct(load.push_ms, 95):.0f} ms; "
                    f"server RSS first third {statistics.mean(during[:third]):.0f} MB, last "
                    f"third {statistics.mean(during[-third:]):.0f} MB, max {max(during):.0f} MB")
            say(f"server RSS: {rss_start:.0f} MB at start, {rss_before_load:.0f} MB before the "
                f"desks, {memory.mark('end'):.0f} MB at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
