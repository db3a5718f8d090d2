"""A one-branch desk's first sync against the whole institute's, on a demo split into branches.

    .venv/bin/python bench/branch_bench.py [--size large] [--workers 2]

On 127.0.0.1: a throwaway PostgreSQL database holding the demo institute (`large`: four
branches, institute_core/demo/branches.py), served by uvicorn, and fresh replicas. Measured in
one run, each a first sync onto an empty replica (`institute-desk connect`):

- baseline: an administrator, who sees every branch (the whole institute);
- per branch: the first counselor at home there (CRM of the branch, their students and those
  students' history, the shared directory);
- the same role across the institute: a counselor made to work in every branch (links written
  into the server's database, as Setup would), so "one branch" and "every branch" compare for
  the same kind of desk.

For each branch the line gives its share of the institute's students and inquiries, the rows
and seconds of its desk, and those as a share of the every-branch counselor's: a one-branch
desk costs in proportion to its branch when the shares agree.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from institute_core.demo import DEMO_LOGINS, load_into_database  # noqa: E402
from institute_core.demo.logins import OTHER_STAFF_PASSWORD  # noqa: E402
from institute_core.ids import natural_id  # noqa: E402
from institute_core.replica import Replica  # noqa: E402
from institute_core.schema import table_of  # noqa: E402
from institute_core.schema.types import utcnow  # noqa: E402
from institute_core.sync.account import connect  # noqa: E402
from institute_core.sync.credentials import MemoryCredentials  # noqa: E402
from sync_server.settings import make_engine  # noqa: E402
from sync_server.sync.versions import VersionClock  # noqa: E402
from tests.pg import DEFAULT_URL, throwaway_database  # noqa: E402
from tests.support.server import ServerProcess, prepare_server_db, running_server  # noqa: E402


def first_sync(folder: Path, server: ServerProcess, email: str, password: str
               ) -> tuple[int, float]:
    """(rows received, seconds) of connecting a fresh replica as `email`."""
    replica = Replica.open(folder)
    try:
        started = time.perf_counter()
        _user, report = connect(replica, server.base_url, email, password, MemoryCredentials())
        return report.received, time.perf_counter() - started
    finally:
        replica.close()


def counselor_logins(engine: Engine) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """Counselors by the branch they work in (demo: one branch each), with their emails."""
    users, links = table_of("users"), table_of("user_branches")
    with engine.connect() as conn:
        rows = conn.execute(select(links.c.branch_id, users.c.id, users.c.email)
                            .join(users, users.c.id == links.c.user_id)
                            .where(users.c.role == "counselor").order_by(users.c.email)).all()
    found: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for branch, user_id, email in rows:
        found.setdefault(branch, []).append((user_id, email))
    return found


def password_of(email: str) -> str:
    for demo_email, password in DEMO_LOGINS.values():
        if demo_email == email:
            return password
    return OTHER_STAFF_PASSWORD


def work_everywhere(engine: Engine, user_id: uuid.UUID, branches: list[uuid.UUID]) -> None:
    """Link an account to every branch, with a version like any server write."""
    links = table_of("user_branches")
    with engine.begin() as conn:
        clock = VersionClock(conn)
        version = clock.next()
        have = set(conn.execute(select(links.c.branch_id).where(links.c.user_id == user_id))
                   .scalars())
        stamp = utcnow()
        rows = [{"id": natural_id("user_branches", user_id, b), "user_id": user_id,
                 "branch_id": b, "created_at": stamp, "updated_at": stamp, "version": version}
                for b in branches if b not in have]
        if rows:
            conn.execute(insert(links), rows)


def shares(engine: Engine) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, tuple[float, float]]]:
    """Branch names, and each branch's share of the students and of the inquiries."""
    branches, students, inquiries = (table_of("branches"), table_of("students"),
                                     table_of("crm_inquiries"))
    with engine.connect() as conn:
        names = dict(conn.execute(select(branches.c.id, branches.c.name)).all())
        per_student = dict(conn.execute(select(students.c.branch_id, func.count())
                                        .group_by(students.c.branch_id)).all())
        per_inquiry = dict(conn.execute(select(inquiries.c.branch_id, func.count())
                                        .group_by(inquiries.c.branch_id)).all())
    all_s, all_i = sum(per_student.values()) or 1, sum(per_inquiry.values()) or 1
    return names, {b: (per_student.get(b, 0) / all_s, per_inquiry.get(b, 0) / all_i)
                   for b in names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large", choices=("small", "default", "large"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the administrator's whole-institute sync (minutes on the "
                             "large demo) when only the branch desks are wanted")
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    with throwaway_database(admin_url, prefix="branchbench") as url, \
            tempfile.TemporaryDirectory(prefix="branchbench-") as tmp:
        prepare_server_db(url)
        engine = make_engine(url)
        summary = load_into_database(engine, size=args.size)
        names, share = shares(engine)
        print(f"demo institute ({args.size}): {summary.total_rows:,} rows, "
              f"{len(names)} branches, loaded in {summary.load_seconds:.1f} s", flush=True)
        by_branch = counselor_logins(engine)
        everywhere = next(c for people in by_branch.values() for c in people[1:2])
        work_everywhere(engine, everywhere[0], list(names))
        # A loaded shared machine can take longer than the tests' 30 s to start two workers.
        with running_server(url, workers=args.workers, startup_timeout=180) as server:
            if not args.no_baseline:
                email, password = DEMO_LOGINS["admin"]
                rows, seconds = first_sync(Path(tmp) / "admin", server, email, password)
                print(f"baseline, administrator (every branch): {rows:,} rows in "
                      f"{seconds:.1f} s", flush=True)
            all_rows, all_seconds = first_sync(Path(tmp) / "everywhere", server, everywhere[1],
                                               password_of(everywhere[1]))
            print(f"counselor working in every branch: {all_rows:,} rows in "
                  f"{all_seconds:.1f} s", flush=True)
            for branch, people in sorted(by_branch.items(), key=lambda kv: names[kv[0]]):
                user_id, email = people[0]
                if user_id == everywhere[0]:
                    continue
                rows, seconds = first_sync(Path(tmp) / f"b-{branch}", server, email,
                                           password_of(email))
                students, inquiries = share[branch]
                print(f"  {names[branch]:<14} students {students:5.1%}, inquiries "
                      f"{inquiries:5.1%}: counselor desk {rows:,} rows "
                      f"({rows / all_rows:5.1%} of every branch) in {seconds:.1f} s "
                      f"({seconds / all_seconds:5.1%})", flush=True)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
