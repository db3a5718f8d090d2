"""How long the demo institute takes to generate and load, and whether the views agree.

    .venv/bin/python bench/demo_bench.py [--size default] [--seed 7] [--no-postgres]

Prints generation time, load time into a fresh SQLite replica and a fresh PostgreSQL database
(TEST_DATABASE_URL's server, default postgresql://postgres@127.0.0.1:5432/postgres), rows per
table, and a baseline measured in the same run: the raw driver's executemany rate (sqlite3 and
psycopg, no SQLAlchemy) for the same session_attendance rows into an unconstrained copy of the
table. Then runs the three views on both databases and reports whether they match.
Budget (brief): default size generated and loaded in < 60 s on both.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Engine, create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from institute_core import migrations  # noqa: E402
from institute_core.analytics.views import VIEWS, view_rows  # noqa: E402
from institute_core.demo import build_demo_replica, generate, load_into_database  # noqa: E402
from institute_core.schema import table_of  # noqa: E402
from tests.pg import DEFAULT_URL, throwaway_database  # noqa: E402

BASELINE_TABLE = "session_attendance"


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _pg_value(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict | list) else value


def _baseline_sqlite(rows: list[dict[str, Any]], path: Path) -> float:
    columns = [c.name for c in table_of(BASELINE_TABLE).columns]
    data = [tuple(_sqlite_value(r[c]) for c in columns) for r in rows]
    connection = sqlite3.connect(path)
    connection.execute(f"CREATE TABLE bench_copy AS SELECT * FROM {BASELINE_TABLE} WHERE 0")
    started = time.perf_counter()
    with connection:
        connection.executemany(
            f"INSERT INTO bench_copy ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            data)
    elapsed = time.perf_counter() - started
    connection.close()
    return len(rows) / elapsed


def _baseline_postgres(rows: list[dict[str, Any]], url: str) -> float:
    columns = [c.name for c in table_of(BASELINE_TABLE).columns]
    data = [tuple(_pg_value(r[c]) for c in columns) for r in rows]
    with psycopg.connect(url) as connection:
        connection.execute(
            f"CREATE TEMP TABLE bench_copy AS SELECT * FROM {BASELINE_TABLE} WITH NO DATA")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO bench_copy ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})", data)
        connection.commit()
        return len(rows) / (time.perf_counter() - started)


def _normalized(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    def value(v: Any) -> Any:
        return v.quantize(Decimal("0.01")) if isinstance(v, Decimal) else v

    return sorted((tuple((k, value(v)) for k, v in r.items()) for r in rows), key=repr)


def _parity(sqlite_engine: Engine, pg_engine: Engine) -> bool:
    same = True
    for name, view in VIEWS.items():
        started = time.perf_counter()
        on_sqlite = _normalized(view_rows(sqlite_engine, view()))
        sqlite_s = time.perf_counter() - started
        started = time.perf_counter()
        on_postgres = _normalized(view_rows(pg_engine, view()))
        pg_s = time.perf_counter() - started
        match = on_sqlite == on_postgres
        same &= match
        print(f"  {name:<28} {len(on_sqlite):>6} rows  sqlite {sqlite_s * 1000:>6.0f} ms  "
              f"postgres {pg_s * 1000:>6.0f} ms  {'identical' if match else 'DIFFERENT'}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="default")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    data = generate(args.size, args.seed)
    gen_s = time.perf_counter() - started
    print(f"demo {args.size}, seed {args.seed}: generated {data.total_rows:,} rows in "
          f"{gen_s:.1f} s")
    for name, count in data.counts().items():
        print(f"  {name:<28} {count:>9,}")
    baseline_rows = data.tables[BASELINE_TABLE]

    with tempfile.TemporaryDirectory() as scratch:
        summary = build_demo_replica(Path(scratch) / "replica", args.size, args.seed)
        sqlite_total = summary.generate_seconds + summary.load_seconds
        print(f"SQLite replica: generate {summary.generate_seconds:.1f} s + load "
              f"{summary.load_seconds:.1f} s = {sqlite_total:.1f} s "
              f"({summary.total_rows / summary.load_seconds:,.0f} rows/s through SQLAlchemy)")
        raw = _baseline_sqlite(baseline_rows, Path(scratch) / "replica" / "replica.sqlite3")
        print(f"  baseline: raw sqlite3 executemany of {len(baseline_rows):,} "
              f"{BASELINE_TABLE} rows: {raw:,.0f} rows/s")
        if args.no_postgres:
            return 0
        sqlite_engine = create_engine(f"sqlite:///{Path(scratch) / 'replica' / 'replica.sqlite3'}")
        admin = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
        with throwaway_database(admin, prefix="idbench") as url:
            pg_engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
            migrations.upgrade(pg_engine)
            loaded = load_into_database(pg_engine, args.size, args.seed)
            pg_total = loaded.generate_seconds + loaded.load_seconds
            print(f"PostgreSQL: generate {loaded.generate_seconds:.1f} s + load "
                  f"{loaded.load_seconds:.1f} s = {pg_total:.1f} s "
                  f"({loaded.total_rows / loaded.load_seconds:,.0f} rows/s through SQLAlchemy)")
            raw_pg = _baseline_postgres(baseline_rows, url)
            print(f"  baseline: raw psycopg executemany of {len(baseline_rows):,} "
                  f"{BASELINE_TABLE} rows: {raw_pg:,.0f} rows/s")
            print("views on SQLite vs PostgreSQL:")
            same = _parity(sqlite_engine, pg_engine)
            pg_engine.dispose()
        sqlite_engine.dispose()
    verdict = "within" if max(sqlite_total, pg_total) < 60 else "OVER"
    print(f"budget < 60 s: {verdict} (SQLite {sqlite_total:.1f} s, PostgreSQL {pg_total:.1f} s); "
          f"views {'identical' if same else 'DIFFER'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
