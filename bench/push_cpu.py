"""The server's CPU per pushed change, in-process, on the same bodies every run.

    .venv/bin/python bench/push_cpu.py prepare [--changes 10000]   # once: template + bodies
    .venv/bin/python bench/push_cpu.py run [--profile FILE] [--repeat 3]
    .venv/bin/python bench/push_cpu.py small [--desks 10] [--syncs 200] [--profile FILE]
    .venv/bin/python bench/push_cpu.py drop

`prepare` loads the default demo into a template database, signs a desk in (through a real
server), edits `--changes` attendance rows offline and keeps the desk's push bodies (1,000
changes each, as the runner sends them) in a folder. `run` copies the template to a fresh
database and applies the bodies in-process, exactly as POST /v1/sync/push does (the body parsed
from its bytes by pydantic, then `push.push`), and prints the CPU seconds of this process per
change: the figure to compare before and after a change to the server's push code, free of
HTTP, of the desk and (mostly) of the other load on a shared machine. PostgreSQL's own time is
not in it (`wall` is printed beside it).

`small` does what a desk of the load curve does (bench/sync_bench.py): `--desks` of the demo's
faculty each push 1-5 attendance edits and pull to the end, in turn, through the app in-process
(FastAPI's test client: routing, authentication, body parsing and all), and prints the CPU of
this process per small sync.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from institute_core.access import permissions as perms  # noqa: E402
from institute_core.collector import freeze_startup_objects  # noqa: E402
from institute_core.demo import DEMO_LOGINS, load_into_database  # noqa: E402
from institute_core.replica import Replica  # noqa: E402
from institute_core.schema import SessionAttendance, table_of  # noqa: E402
from institute_core.sync import outbox  # noqa: E402
from institute_core.sync.account import connect  # noqa: E402
from institute_core.sync.credentials import MemoryCredentials  # noqa: E402
from institute_core.sync.wire import PushRequest  # noqa: E402
from sync_server.principal import Principal  # noqa: E402
from sync_server.settings import Settings, make_engine  # noqa: E402
from sync_server.sync import push  # noqa: E402
from tests.pg import DEFAULT_URL  # noqa: E402
from tests.support.server import prepare_server_db, running_server  # noqa: E402

FOLDER = Path(os.environ.get("PUSH_CPU_DIR", tempfile.gettempdir())) / "push_cpu"
# Named apart per checkout when several people measure on one server at once.
TEMPLATE = os.environ.get("PUSH_CPU_TEMPLATE", "push_cpu_template")


def _url(name: str) -> str:
    return DEFAULT_URL.rsplit("/", 1)[0] + "/" + name


def _admin_sql(sql: str) -> None:
    with psycopg.connect(DEFAULT_URL, autocommit=True) as conn:
        conn.execute(sql)


def prepare(changes: int) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{TEMPLATE}"')
    url = _url(TEMPLATE)
    prepare_server_db(url)
    load_into_database(make_engine(url))
    FOLDER.mkdir(parents=True, exist_ok=True)
    for old in FOLDER.glob("body-*.json"):
        old.unlink()
    email, password = DEMO_LOGINS["admin"]
    with tempfile.TemporaryDirectory() as tmp, running_server(url) as server:
        replica = Replica.open(Path(tmp) / "desk")
        user, _report = connect(replica, server.base_url, email, password, MemoryCredentials())
        with replica.read() as s:
            ids = list(s.scalars(select(SessionAttendance.id).order_by(SessionAttendance.id)
                                 .limit(changes)))
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            with replica.write(replica.actor(user.id)) as s:
                for row in s.scalars(select(SessionAttendance)
                                     .where(SessionAttendance.id.in_(chunk))):
                    row.faculty_notes = f"bench edit {start}"
        after, n = 0, 0
        while batch := outbox.read_batch(replica, 1000, after=after):
            (FOLDER / f"body-{n:04d}.json").write_bytes(outbox.push_body(replica.device_id,
                                                                         batch))
            after, n = batch[-1].local_seq, n + 1
        (FOLDER / "who.json").write_text(json.dumps({"user_id": str(user.id)}))
        replica.close()
    print(f"template {TEMPLATE} and {n} bodies in {FOLDER}")


def _principal(url: str) -> Principal:
    user_id = uuid.UUID(json.loads((FOLDER / "who.json").read_text())["user_id"])
    users, roles, devices = table_of("users"), table_of("roles"), table_of("sync_devices")
    faculties = table_of("faculties")
    engine = make_engine(url)
    with engine.connect() as conn:
        user = conn.execute(select(users).where(users.c.id == user_id)).one()
        role = conn.execute(select(roles).where(roles.c.name == user.role)).first()
        device = conn.execute(select(devices.c.device_id)
                              .where(devices.c.user_id == user_id)).scalar()
        faculty = conn.execute(select(faculties.c.id).where(
            faculties.c.user_id == user_id, faculties.c.deleted_at.is_(None))).scalar()
    engine.dispose()
    # As sync_server.auth.service.authenticate reads them.
    return Principal(user_id=user_id, session_id=uuid.uuid4(), device_id=device,
                     email=user.email, role=user.role, faculty_id=faculty,
                     permissions=perms.of_role(user.role, {"permissions": role.permissions
                                                           if role else []}),
                     branch_limit=role.only_branch_id if role else None)


def run(profile: Path | None) -> tuple[float, float, float, int]:
    """(CPU s, parse CPU s, wall s, changes) of one run on a fresh copy of the template."""
    name = f"push_cpu_{uuid.uuid4().hex[:8]}"
    _admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        url = _url(name)
        principal = _principal(url)
        engine = make_engine(url)
        settings = Settings(database_url=url)
        bodies = [p.read_bytes() for p in sorted(FOLDER.glob("body-*.json"))]
        with engine.connect() as conn:  # the pool's first connection, outside the figures
            conn.exec_driver_sql("SELECT 1")
        freeze_startup_objects()
        profiler = cProfile.Profile() if profile else None
        cpu = parse_cpu = 0.0
        changes = 0
        wall = time.perf_counter()
        outcomes: dict[str, int] = {}
        for body in bodies:
            if profiler:
                profiler.enable()
            started = time.process_time()
            request = PushRequest.model_validate_json(body)
            parsed = time.process_time()
            answer = push.push(engine, settings, principal, request, None)
            cpu += time.process_time() - started
            parse_cpu += parsed - started
            if profiler:
                profiler.disable()
            changes += len(request.changes)
            for result in json.loads(answer)["results"]:
                outcomes[result["outcome"]] = outcomes.get(result["outcome"], 0) + 1
        wall = time.perf_counter() - wall
        if profiler and profile:
            profiler.dump_stats(profile)
        engine.dispose()
        if set(outcomes) != {"applied"}:
            print(f"  outcomes {outcomes}")
        return cpu, parse_cpu, wall, changes
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Wall seconds per statement (its first 70 characters) while `_statements` counts.
TIMES: dict[str, float] = {}


def _backend_cpu(url: str) -> float:
    """CPU seconds so far of the PostgreSQL backends connected to the database at `url`
    (from /proc; 0 for a backend that cannot be read)."""
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


@contextmanager
def _statements() -> Iterator[tuple[list[str], list[int]]]:
    """The SQL statements sent while the block runs, and the pool checkouts (each of which
    costs whatever the engine's checkout check costs: pool_pre_ping's SELECT 1 is sent by the
    dialect outside the cursor events)."""
    from sqlalchemy import Engine, event
    from sqlalchemy.pool import Pool

    sent: list[str] = []
    checkouts = [0]
    started = [0.0]

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))
        started[0] = time.perf_counter()

    def on_done(*_args: Any) -> None:
        key = sent[-1][:70]
        TIMES[key] = TIMES.get(key, 0.0) + time.perf_counter() - started[0]

    def on_checkout(*_args: Any) -> None:
        checkouts[0] += 1

    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "after_cursor_execute", on_done)
    event.listen(Pool, "checkout", on_checkout)
    try:
        yield sent, checkouts
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)
        event.remove(Engine, "after_cursor_execute", on_done)
        event.remove(Pool, "checkout", on_checkout)


def small(desks: int, syncs: int, profile: Path | None, statements: bool = False) -> None:
    """CPU per small sync (push 1-5 edits, pull to the end) through the whole app in-process;
    with `statements`, the SQL each sync sends (counted, and the last sync's listed)."""
    import random

    from fastapi.testclient import TestClient

    sys.path.insert(0, str(ROOT / "bench"))
    from sync_bench import current_cursor, faculty_logins

    from institute_core.sync.hlc import Timestamp, wall_clock_ms
    from institute_core.sync.wire import SCHEMA_VERSION
    from sync_server.app import create_app
    from tests.support.server import TEST_SECRET

    name = f"push_cpu_{uuid.uuid4().hex[:8]}"
    _admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    rng = random.Random(7)
    try:
        url = _url(name)
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET))
        with TestClient(app) as http:
            people = []
            for email, password, rows in faculty_logins(url, desks):
                device = uuid.uuid4()
                answer = http.post("/v1/auth/login", json={"email": email, "password": password,
                                                           "device_id": str(device)}).json()
                headers = {"Authorization": f"Bearer {answer['access_token']}",
                           "X-Device-Id": str(device)}
                http.post("/v1/devices", headers=headers, json={
                    "device_id": str(device), "name": "bench", "schema_version": SCHEMA_VERSION})
                people.append({"headers": headers, "device": device, "seq": 0,
                               "user": answer["user"]["id"], "versions": dict(rows),
                               "cursor": current_cursor(url)})
            freeze_startup_objects()
            profiler = cProfile.Profile() if profile else None
            cpu = 0.0
            counted: list[tuple[int, int, int]] = []
            last: list[str] = []
            backend = _backend_cpu(url)
            wall = time.perf_counter()
            for i in range(syncs):
                desk = people[i % len(people)]
                changes = []
                for row_id in rng.sample(sorted(desk["versions"]), rng.randint(1, 5)):
                    desk["seq"] += 1
                    changes.append({
                        "change_id": str(uuid.uuid4()), "seq": desk["seq"],
                        "table": "session_attendance", "row_id": str(row_id),
                        "fields": {"faculty_notes": f"note {desk['seq']}"},
                        "hlc": Timestamp(wall_clock_ms(), desk["seq"],
                                         str(desk["device"])).encode(),
                        "author_id": desk["user"], "device_id": str(desk["device"]),
                        "base_version": desk["versions"][row_id]})
                body = json.dumps({"device_id": str(desk["device"]),
                                   "schema_version": SCHEMA_VERSION, "changes": changes})
                if profiler:
                    profiler.enable()
                with _statements() if statements else nullcontext(([], [0])) as (sent, outs):
                    started = time.process_time()
                    answer = http.post("/v1/sync/push", content=body.encode(), headers={
                        **desk["headers"], "Content-Type": "application/json"})
                    pushed = len(sent)
                    more = True
                    while more:
                        page = http.get("/v1/sync/pull", headers=desk["headers"],
                                        params={"cursor": desk["cursor"], "limit": 1000}).json()
                        desk["cursor"], more = page["next_cursor"], page["has_more"]
                    cpu += time.process_time() - started
                if statements:
                    counted.append((pushed, len(sent) - pushed, outs[0]))
                    last = sent
                if profiler:
                    profiler.disable()
                for result in answer.json()["results"]:
                    if result["version"] is not None:
                        row = next(uuid.UUID(c["row_id"]) for c in changes
                                   if c["change_id"] == result["change_id"])
                        desk["versions"][row] = result["version"]
            wall = time.perf_counter() - wall
            backend = _backend_cpu(url) - backend  # the pool keeps its connections open
            if profiler and profile:
                profiler.dump_stats(profile)
        if statements:
            for line in last:
                print("  ", line[:160])
            for key, seconds in sorted(TIMES.items(), key=lambda item: -item[1])[:12]:
                print(f"  {1000 * seconds / syncs:6.2f} ms a sync  {key}")
            print(f"statements a sync: push {statistics.mean(c[0] for c in counted):.1f}, "
                  f"pull {statistics.mean(c[1] for c in counted):.1f}; pool checkouts "
                  f"{statistics.mean(c[2] for c in counted):.1f}")
        print(f"{syncs} small syncs of {len(people)} desks: CPU {1000 * cpu / syncs:.1f} ms a "
              f"sync (server and test client in one process); wall {1000 * wall / syncs:.1f} "
              f"ms a sync; PostgreSQL backends {1000 * backend / syncs:.1f} ms a sync; load "
              f"{os.getloadavg()[0]:.1f}")
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("prepare", "run", "small", "drop"))
    parser.add_argument("--desks", type=int, default=10)
    parser.add_argument("--syncs", type=int, default=200)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--statements", action="store_true",
                        help="small: count and list the SQL statements of each sync")
    args = parser.parse_args()
    if args.what == "prepare":
        prepare(args.changes)
    elif args.what == "small":
        small(args.desks, args.syncs, args.profile, args.statements)
    elif args.what == "drop":
        _admin_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    else:
        # The first run warms the process up (caches worked out once, as a long-running
        # server has them); the figures are those of the runs after it.
        run(None)
        figures = [run(args.profile if i == 0 else None) for i in range(args.repeat)]
        cpu = [f[0] for f in figures]
        n = figures[0][3]
        load = os.getloadavg()[0]
        print(f"{n:,} changes: server CPU {statistics.median(cpu):.2f} s (runs "
              f"{', '.join(f'{c:.2f}' for c in cpu)}) = {statistics.median(cpu) / n * 1e6:.0f} "
              f"µs/change, of which parsing {statistics.median(f[1] for f in figures):.2f} s; "
              f"wall {statistics.median(f[2] for f in figures):.2f} s; load {load:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
