"""An administrator's first sync, replayed from recorded server answers: the desk's side alone.

    .venv/bin/python bench/first_sync.py record DIR [--size default|large] [--database NAME]
    .venv/bin/python bench/first_sync.py replay DIR [--runs 3] [--code TREE]

`record` loads the demo into a PostgreSQL database (`--database NAME` keeps it, and reuses it
on the next run: the large demo takes minutes to build), runs the server, and records every
answer of an administrator's first sync (`connect` onto an empty replica) into DIR.

`replay` runs the same first sync onto fresh replicas with those answers served from memory
(httpx.MockTransport): no server and no network, so the figures are the desk's own – wall
seconds, and the CPU seconds of the whole process (the page-fetching thread included), per row.
`--code TREE` runs another checkout's code (a `git archive` of main, say) on the same answers,
so that old and new compare in the same hour on the same input. The start-up objects are frozen
before each sync, as the CLI does. The replica is then checked:
rows per table, and the indexes SQLite holds against a replica created fresh.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

from recorded import ANSWERS, ROOT, Key, answer_key, kept_headers, load_recording, use_code

CODE = use_code(sys.argv)  # before anything of the project is imported

import httpx  # noqa: E402

from institute_core.collector import freeze_startup_objects  # noqa: E402
from institute_core.replica import Replica  # noqa: E402
from institute_core.schema import SYNCED_TABLES  # noqa: E402
from institute_core.sync.account import adopt  # noqa: E402
from institute_core.sync.client import SyncClient  # noqa: E402
from institute_core.sync.credentials import MemoryCredentials  # noqa: E402
from institute_core.sync.transport import Transport  # noqa: E402


def _first_sync(transport: Transport, folder: Path, email: str, password: str
                ) -> tuple[int, float, float]:
    """(rows received, wall s, CPU s) of signing in and downloading onto an empty replica."""
    replica = Replica.open(folder)
    # As `institute-desk connect` does once started (desktop_app/cli.py): the collector then
    # walks only the objects the sync makes.
    freeze_startup_objects()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        client = SyncClient(transport, MemoryCredentials(), email)
        user = client.login(password, replica.device_id).user
        report = adopt(replica, client.credentials, client, user).sync()
        return report.received, time.perf_counter() - wall, time.process_time() - cpu
    finally:
        replica.close()


def record(folder: Path, size: str, database: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    import psycopg

    from institute_core.demo import DEMO_LOGINS, load_into_database
    from sync_server.settings import make_engine
    from tests.pg import DEFAULT_URL, _with_db, throwaway_database
    from tests.support.server import prepare_server_db, running_server

    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)

    def run(url: str, fresh: bool) -> None:
        if fresh:
            prepare_server_db(url)
            summary = load_into_database(make_engine(url), size=size)
            print(f"{size} demo loaded: {sum(summary.counts.values()):,} rows in "
                  f"{summary.load_seconds:.1f} s", flush=True)
        answers: dict[Key, bytes] = {}
        headers: dict[Key, dict[str, str]] = {}

        def keep(response: httpx.Response) -> None:
            answers[answer_key(response.request)] = response.read()
            headers[answer_key(response.request)] = kept_headers(response)

        email, password = DEMO_LOGINS["admin"]
        with running_server(url, workers=2) as server, tempfile.TemporaryDirectory() as tmp:
            http = httpx.Client(base_url=server.base_url, timeout=120,
                                event_hooks={"response": [keep]})
            received, wall, cpu = _first_sync(Transport(server.base_url, http=http),
                                              Path(tmp), email, password)
        print(f"recorded {len(answers)} answers, {received:,} rows ({wall:.1f} s, desk CPU "
              f"{cpu:.1f} s, load {os.getloadavg()[0]:.1f})")
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ANSWERS, "wb") as out:
            pickle.dump({"email": email, "password": password, "answers": answers,
                         "headers": headers}, out)

    if database is None:
        with throwaway_database(admin_url, prefix="firstsync") as url:
            run(url, fresh=True)
        return
    with psycopg.connect(admin_url, autocommit=True) as conn:
        known = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (database,)).fetchone() is not None
        if not known:
            conn.execute(f'CREATE DATABASE "{database}"')
    run(_with_db(admin_url, database), fresh=not known)


def _indexes(replica: Replica) -> set[tuple[str, str]]:
    with replica.engine.connect() as connection:
        return {(str(r[0]), str(r[1])) for r in connection.exec_driver_sql(
            "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index'")}


def _counts(replica: Replica) -> dict[str, int]:
    with replica.engine.connect() as connection:
        return {name: int(connection.exec_driver_sql(
            f'SELECT count(*) FROM "{name}"').scalar_one()) for name in SYNCED_TABLES}


def replay(folder: Path, runs: int, code: Path) -> None:
    recorded, answer = load_recording(folder)

    print(f"code: {code}; load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="firstsync-") as tmp:
        fresh = Replica.open(Path(tmp) / "empty")
        expected = _indexes(fresh)
        fresh.close()
        for run in range(runs):
            http = httpx.Client(base_url="http://replay", transport=httpx.MockTransport(answer))
            where = Path(tmp) / f"run-{run}"
            received, wall, cpu = _first_sync(Transport("http://replay", http=http), where,
                                              recorded["email"], recorded["password"])
            replica = Replica.open(where)
            try:
                same = _indexes(replica) == expected
                total = sum(_counts(replica).values())
            finally:
                replica.close()
            print(f"run {run + 1}: {received:,} rows in {wall:.1f} s, desk CPU {cpu:.2f} s = "
                  f"{cpu / received * 1e6:.1f} us/row; {total:,} rows stored; indexes as a "
                  f"fresh replica's: {same}; load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "replay"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", choices=("small", "default", "large"), default="default")
    parser.add_argument("--database", help="keep the server database under this name, and "
                                           "reuse it when it exists")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the checkout whose desk code replays (default: this one)")
    args = parser.parse_args()
    if args.mode == "record":
        record(args.folder, args.size, args.database)
    else:
        replay(args.folder, args.runs, CODE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
