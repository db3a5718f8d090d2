"""The student portal on the default demo: one page's server time, and many users at once.

    .venv/bin/python bench/portal_bench.py [--size default] [--users 200] [--seconds 30]
        [--think 5.0] [--pages 40]

A throwaway PostgreSQL database (dropped at the end) gets the demo institute; portal sessions
are opened directly for `--users` students (signing in is argon2's cost, measured elsewhere).
Measured, with the brief's budgets:

- the progress page rendered server-side (in process, the whole request: session, scoped
  reads, prediction, template) for `--pages` different students: p50/p95 (< 100 ms), with the
  process's CPU time and `/v1/health` through the same client as the baseline;
- `--users` users on their phones against ONE server process (uvicorn on loopback), each
  opening a portal page (schedule, progress, attendance, assessments, fees, feedback,
  announcements, certificates in turn) and reading it for about `--think` s, for `--seconds`:
  errors and p50/p95 latency (p95 < 500 ms);
- baseline in the same run: the same users asking `/v1/health` the same way.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from institute_core import migrations  # noqa: E402
from institute_core.demo import load_into_database  # noqa: E402
from institute_core.schema import table_of  # noqa: E402
from sync_server.app import create_app  # noqa: E402
from sync_server.portal.sessions import STUDENT, open_session  # noqa: E402
from sync_server.settings import Settings, sqlalchemy_url  # noqa: E402
from tests.pg import admin_url, throwaway_database  # noqa: E402
from tests.support.server import TEST_SECRET, running_server  # noqa: E402

PAGES = ("/portal/home", "/portal/progress", "/portal/attendance", "/portal/assessments",
         "/portal/fees", "/portal/feedback", "/portal/announcements", "/portal/certificates")
COOKIE = "portal_session"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def student_sessions(url: str, n: int) -> list[str]:
    """Cookie values of `n` signed-in students (busy ones first: enrolled, with sessions)."""
    engine = create_engine(sqlalchemy_url(url))
    settings = Settings(database_url=sqlalchemy_url(url), secret_key=TEST_SECRET)
    st, enr = table_of("students"), table_of("student_subject_enrollments")
    with engine.connect() as conn:
        users = conn.execute(select(st.c.user_id).where(st.c.id.in_(select(enr.c.student_id)))
                             .order_by(st.c.enrollment_no).limit(n)).scalars().all()
    tokens = [open_session(engine, settings, kind=STUDENT, user_id=u).token for u in users]
    engine.dispose()
    return tokens


def progress_in_process(url: str, tokens: list[str]) -> tuple[list[float], list[float],
                                                              list[float]]:
    """Wall and CPU milliseconds of the progress page per student, and the wall time of
    `/v1/health` through the same client (the baseline: what any request costs here)."""
    settings = Settings(database_url=sqlalchemy_url(url), secret_key=TEST_SECRET,
                        portal_secure_cookies=False)
    wall, cpu, base = [], [], []
    with TestClient(create_app(settings)) as client:
        client.cookies.set(COOKIE, tokens[0])
        client.get("/portal/progress")  # warm: imports, template compile, pool
        for token in tokens:
            client.cookies.set(COOKIE, token)
            started, used = time.perf_counter(), time.process_time()
            answer = client.get("/portal/progress")
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
            assert answer.status_code == 200 and "Topics done" in answer.text, answer.text[:200]
            started = time.perf_counter()
            client.get("/v1/health")
            base.append((time.perf_counter() - started) * 1000)
    return wall, cpu, base


def crowd(base: str, tokens: list[str], paths: tuple[str, ...], seconds: float,
          think: float) -> tuple[list[float], int, int, dict[str, list[float]]]:
    """Each token is one user: open a page, read it about `think` s, the next page."""
    latencies: list[float] = []
    per_path: dict[str, list[float]] = {path: [] for path in paths}
    errors = 0
    lock = threading.Lock()
    start = threading.Barrier(len(tokens))
    stop_at = [0.0]

    def user(token: str, seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        with httpx.Client(base_url=base, cookies={COOKIE: token}, timeout=30) as client:
            start.wait()
            if seed == 0:
                stop_at[0] = time.monotonic() + seconds
            time.sleep(rng.uniform(0, think))  # users arrive spread out, not in one burst
            turn = rng.randrange(len(paths))
            while time.monotonic() < (stop_at[0] or time.monotonic() + seconds):
                path = paths[turn % len(paths)]
                turn += 1
                began = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(took)
                    per_path[path].append(took)
                    errors += 0 if ok else 1
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    threads = [threading.Thread(target=user, args=(t, i)) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, len(latencies), per_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="default")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    with throwaway_database(admin_url(), prefix="idportalbench") as url:
        engine = create_engine(sqlalchemy_url(url))
        started = time.perf_counter()
        migrations.upgrade(engine)
        load_into_database(engine, size=args.size, seed=7)
        engine.dispose()
        print(f"demo ({args.size}) loaded in {time.perf_counter() - started:.1f} s; "
              f"today {date.today()}")
        tokens = student_sessions(url, max(args.users, args.pages))
        page, cpu, health = progress_in_process(url, tokens[:args.pages])
        print(f"progress page, server-side, {len(page)} students: "
              f"p50 {statistics.median(page):.1f} ms, p95 {pct(page, 0.95):.1f} ms, "
              f"max {max(page):.1f} ms (budget p95 < 100 ms); this process's CPU "
              f"p50 {statistics.median(cpu):.1f} ms; baseline /v1/health in process "
              f"p50 {statistics.median(health):.1f} ms, p95 {pct(health, 0.95):.1f} ms")
        print(f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        with running_server(url, INSTITUTE_PORTAL_SECURE_COOKIES="0") as server:
            base, _, count, _ = crowd(server.base_url, tokens[:args.users], ("/v1/health",),
                                   args.seconds, args.think)
            print(f"baseline /v1/health, {args.users} users: {count} requests, "
                  f"p50 {statistics.median(base):.1f} ms, p95 {pct(base, 0.95):.1f} ms")
            seen, errors, count, by_page = crowd(server.base_url, tokens[:args.users], PAGES,
                                        args.seconds, args.think)
            print(f"portal pages, {args.users} users on one server process: {count} requests, "
                  f"{errors} errors, p50 {statistics.median(seen):.1f} ms, "
                  f"p95 {pct(seen, 0.95):.1f} ms, max {max(seen):.1f} ms "
                  f"(budget 0 errors, p95 < 500 ms)")
            for path, took in by_page.items():
                print(f"  {path:<24} {len(took):>5} requests, p50 {statistics.median(took):.1f} ms,"
                      f" p95 {pct(took, 0.95):.1f} ms")
            ok = errors == 0 and pct(seen, 0.95) < 500 and pct(page, 0.95) < 100
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
