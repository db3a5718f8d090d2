"""The pull of changed rows, replayed from recorded server answers: the desk's side alone.

    .venv/bin/python bench/pull_replay.py record DIR [--changes 10000] [--page-limit N]
    .venv/bin/python bench/pull_replay.py replay DIR [--runs 3] [--code TREE] [--profile FILE]
        [--server-ms MS]

`record` does what `sync_bench.py --only transfer` does – two administrators' desks download
the default demo, desk 1 edits `--changes` attendance rows offline and pushes them – then keeps
a copy of desk 2's replica and every answer of desk 2's next sync (the pull of those changes:
the rows and their audit entries, rows desk 2 already holds in an older version) into DIR.

`replay` runs that sync onto fresh copies of the kept replica with the answers served from
memory (httpx.MockTransport): no server and no network, so the figures are the desk's own –
wall seconds and the CPU seconds of the whole process (the page-fetching thread included).
`--code TREE` runs another checkout's code (a `git archive` of main, say) on the same input;
`--server-ms MS` answers each pull page after MS ms (the server's and the network's time,
spent without CPU), so that what the desk overlaps with it shows in the wall time.
Every run's replica is compared, table by table and column by column, with the digest of the
first run (or of `--expect FILE`, written by `--digest FILE` from another tree), so old and new
code can be shown to leave the same replica.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import pickle
import shutil
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
from institute_core.sync.client import SyncClient  # noqa: E402
from institute_core.sync.credentials import MemoryCredentials  # noqa: E402
from institute_core.sync.runner import SyncOptions, SyncProgress, SyncRunner  # noqa: E402
from institute_core.sync.transport import Transport  # noqa: E402

REPLICA = "replica"
def record(folder: Path, changes: int, page_limit: int | None) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import sync_bench as bench

    from institute_core.demo import DEMO_LOGINS, load_into_database
    from sync_server.settings import make_engine
    from tests.pg import DEFAULT_URL, throwaway_database
    from tests.support.server import prepare_server_db, running_server

    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    with throwaway_database(admin_url, prefix="pullreplay") as url, \
            tempfile.TemporaryDirectory(prefix="pullreplay-") as tmp:
        prepare_server_db(url)
        load_into_database(make_engine(url), size="default")
        with running_server(url, workers=2) as server:
            first, _, _ = bench.open_desk(Path(tmp) / "desk-1", server, "admin")
            second, _, _ = bench.open_desk(Path(tmp) / "desk-2", server, "admin")
            bench.edit_attendance(first, changes)
            bench.timed_sync(first)
            first.replica.close()
            second.replica.close()
            folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(folder / REPLICA, ignore_errors=True)
            shutil.copytree(Path(tmp) / "desk-2", folder / REPLICA)
            answers: dict[Key, bytes] = {}
            headers: dict[Key, dict[str, str]] = {}
            marks: list[tuple[float, str]] = []

            def sent(request: httpx.Request) -> None:
                marks.append((time.perf_counter(), f"asks {request.url.params.get('limit')}"))

            def keep(response: httpx.Response) -> None:
                body = answers[answer_key(response.request)] = response.read()
                headers[answer_key(response.request)] = kept_headers(response)
                marks.append((time.perf_counter(), f"answer {len(body):,} B"))

            def progress(p: SyncProgress) -> None:
                marks.append((time.perf_counter(), f"applied, {p.phase} {p.done:,}"))

            email, _password = DEMO_LOGINS["admin"]
            replica = Replica.open(Path(tmp) / "desk-2")
            http = httpx.Client(base_url=server.base_url, timeout=120,
                                event_hooks={"request": [sent], "response": [keep]})
            client = SyncClient(Transport(server.base_url, http=http), second.credentials,
                                email)
            started = time.perf_counter()
            options = SyncOptions() if page_limit is None else SyncOptions(page_limit=page_limit)
            report = SyncRunner(replica, client, options=options, progress=progress).sync()
            ended = time.perf_counter()
            replica.close()
    # Where the pull's wall time went against the server: when each page was asked for and
    # came back, and when the desk had applied it.
    for at, what in marks:
        print(f"{(at - started) * 1000:7.1f} ms  {what}")
    print(f"{(ended - started) * 1000:7.1f} ms  sync done: {report.received:,} rows")
    with open(folder / ANSWERS, "wb") as out:
        pickle.dump({"email": email, "answers": answers, "headers": headers}, out)
    print(f"recorded {len(answers)} answers, {report.received:,} rows")


def digest(replica: Replica) -> dict[str, str]:
    """Per synced table, a hash of every row (all columns, ordered by id)."""
    out: dict[str, str] = {}
    with replica.engine.connect() as connection:
        for name in SYNCED_TABLES:
            h = hashlib.sha256()
            for row in connection.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY id'):
                h.update(repr(tuple(row)).encode())
            out[name] = h.hexdigest()
        for key in ("parked_rows", "pull_cursor"):
            value = connection.exec_driver_sql(
                "SELECT value FROM sync_state WHERE key = ?", (key,)).scalar()
            out[f"sync_state.{key}"] = hashlib.sha256(repr(value).encode()).hexdigest()
        for name in ("sync_conflicts", "sync_outbox"):
            rows = connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar()
            out[f"{name} rows"] = str(rows)
    return out


class CollectorClock:
    """Wall seconds Python's cycle collector ran, and how many full collections."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full += info["generation"] == 2


def replay(folder: Path, runs: int, code: Path, profile: Path | None,
           expect: Path | None, write_digest: Path | None, server_ms: float) -> None:
    recorded, served = load_recording(folder)

    def answer(request: httpx.Request) -> httpx.Response:
        # The server's and the network's time for a page, spent without CPU (as the desk
        # waits for a real server), so that what overlaps it shows in the wall time.
        if server_ms and request.url.path == "/v1/sync/pull":
            time.sleep(server_ms / 1000)
        return served(request)

    reference = json.loads(expect.read_text()) if expect else None
    print(f"code: {code}; a page answered after {server_ms:g} ms; "
          f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="pullreplay-") as tmp:
        for run in range(runs):
            where = Path(tmp) / f"run-{run}"
            shutil.copytree(folder / REPLICA, where)
            replica = Replica.open(where)
            freeze_startup_objects()
            http = httpx.Client(base_url="http://replay", transport=httpx.MockTransport(answer))
            client = SyncClient(Transport("http://replay", http=http), MemoryCredentials(),
                                recorded["email"])
            client._access = "replayed"  # no sign-in: the answers do not check it
            runner = SyncRunner(replica, client)
            profiler = None
            if profile is not None and run == runs - 1:
                import cProfile
                profiler = cProfile.Profile()
                profiler.enable()
            collector = CollectorClock()
            gc.callbacks.append(collector)
            wall, cpu = time.perf_counter(), time.process_time()
            report = runner.sync()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            gc.callbacks.remove(collector)
            cyclic = gc.collect()  # what the sync left for the collector (cycles)
            if profiler is not None and profile is not None:
                profiler.disable()
                profiler.dump_stats(str(profile))
            got = digest(replica)
            replica.close()
            if reference is None:
                reference = got
            differ = sorted(k for k in reference.keys() | got.keys()
                            if reference.get(k) != got.get(k))
            print(f"run {run + 1}: {report.received:,} rows in {wall:.2f} s = "
                  f"{report.received / wall:,.0f} rows/s, desk CPU {cpu:.3f} s = "
                  f"{cpu / report.received * 1e6:.1f} us/row (collector {collector.seconds:.3f} s, "
                  f"{collector.full} full, {cyclic:,} objects in cycles left); replica "
                  f"{'as expected' if not differ else 'DIFFERS in ' + ', '.join(differ)}; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
            if write_digest is not None and run == 0:
                write_digest.write_text(json.dumps(got, indent=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "replay"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--page-limit", type=int, help="record: rows per pull page asked for "
                        "(default: the runner's)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the checkout whose desk code replays (default: this one)")
    parser.add_argument("--profile", type=Path, help="cProfile the last run into this file")
    parser.add_argument("--digest", type=Path, help="write the first run's replica digest here")
    parser.add_argument("--expect", type=Path, help="compare every run with this digest")
    parser.add_argument("--server-ms", type=float, default=0.0,
                        help="replay: answer each pull page after this many ms, as a server "
                             "and network would take (default 0: at once)")
    args = parser.parse_args()
    if args.mode == "record":
        record(args.folder, args.changes, args.page_limit)
    else:
        replay(args.folder, args.runs, CODE, args.profile, args.expect,
               args.digest, args.server_ms)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
