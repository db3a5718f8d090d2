"""Putting the demo institute into a local replica or a server database, fast.

Rows go in with bulk Core inserts (executemany), table by table, parents first, in one
transaction: a failed load leaves the database as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, text

from institute_core.demo.generator import DemoData, describe, generate
from institute_core.demo.logins import DEMO_LOGINS
from institute_core.schema import SYNCED_TABLES, User, table_of

# The server's version sequence (migration 0013) must never hand out the demo rows' version 1.
_SEQUENCE_PAST_DEMO = ("SELECT setval('sync_version_seq', "
                       "GREATEST(1, (SELECT last_value FROM sync_version_seq)), true)")

# Rows per executemany call: big enough to amortise round trips, small enough to keep the
# driver's parameter buffers modest on the large demo.
CHUNK_ROWS = 5000


class DemoRefused(RuntimeError):
    """The target already holds an institute; the demo never mixes with real data."""


@dataclass
class DemoSummary:
    """What a demo build or load did, for printing and for tests."""

    size: str
    seed: int
    built: bool
    counts: dict[str, int]
    logins: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEMO_LOGINS))
    generate_seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        """A printable account: counts, time taken and the four logins."""
        head = (f"demo institute ({self.size}, seed {self.seed}): "
                + (f"{self.total_rows:,} rows generated in {self.generate_seconds:.1f} s, "
                   f"loaded in {self.load_seconds:.1f} s" if self.built
                   else f"already built ({self.total_rows:,} rows), nothing changed"))
        lines = [head]
        lines += [f"  {name:<28} {count:>9,}" for name, count in self.counts.items()]
        lines.append("logins (email / password):")
        lines += [f"  {role:<12} {email} / {password}"
                  for role, (email, password) in self.logins.items()]
        return lines


def insert_rows(connection: Connection, data: DemoData,
                progress: Callable[[str, int], None] | None = None) -> None:
    """Bulk-insert every table of `data`, parents first, on `connection` (its transaction)."""
    for name in SYNCED_TABLES:
        rows = data.tables[name]
        table = table_of(name)
        for start in range(0, len(rows), CHUNK_ROWS):
            connection.execute(table.insert(), rows[start:start + CHUNK_ROWS])
        if progress is not None:
            progress(name, len(rows))


def count_rows(connection: Connection) -> dict[str, int]:
    return {name: int(connection.execute(select(func.count()).select_from(table_of(name)))
                      .scalar_one()) for name in SYNCED_TABLES}


def _user_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(User)).scalar_one())


def build_demo_replica(data_dir: Path | str, size: str = "default", seed: int = 7) -> DemoSummary:
    """Create (or open) the replica in `data_dir` and fill it with the demo institute.

    A standalone demo: rows carry version 0 and nothing enters the outbox. A replica that
    already holds the demo is left alone (the call is idempotent); one that holds another
    institute is refused with DemoRefused. Raises ValueError for a bad size.
    """
    from institute_core.replica import Replica

    replica = Replica.open(data_dir)
    try:
        with replica.engine.connect() as connection:
            if _user_count(connection):
                built = replica.get_state("demo")
                if not built:
                    raise DemoRefused(f"{data_dir} already holds an institute that is not the "
                                      "demo: choose another --data-dir for the demo")
                return DemoSummary(size=str(built.get("size", size)),
                                   seed=int(built.get("seed", seed)),
                                   built=False, counts=count_rows(connection))
        started = time.perf_counter()
        data = generate(size, seed, version=0)
        generated = time.perf_counter()
        with replica.apply_remote() as connection:
            insert_rows(connection, data)
            record = dict(describe(data), built_at=datetime.now(UTC).isoformat())
            replica.set_state("demo", record, connection=connection)
            replica.set_state("mode", "demo", connection=connection)
        loaded = time.perf_counter()
    finally:
        replica.close()
    return DemoSummary(size, seed, True, data.counts(), generate_seconds=generated - started,
                       load_seconds=loaded - generated)


def load_into_database(url_or_engine: str | Engine, size: str = "default",
                       seed: int = 7) -> DemoSummary:
    """Fill a migrated server database (a SQLAlchemy URL or engine) with the demo institute.

    Rows carry version 1 (the server's first version); the sync clock, when the schema has
    one, is moved past it. Refuses (DemoRefused) a database that already has users.
    """
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as connection:
            _check_empty(connection)
        started = time.perf_counter()
        data = generate(size, seed, version=1)
        generated = time.perf_counter()
        with engine.begin() as connection:
            _check_empty(connection)
            insert_rows(connection, data)
            if connection.dialect.name == "postgresql" \
                    and inspect(connection).has_table("sync_clock"):
                # A server: versions come from its sequence, which must pass the rows' 1.
                connection.execute(text(_SEQUENCE_PAST_DEMO))
        if engine.dialect.name == "postgresql":
            # Fresh statistics: without them the planner guesses empty tables and a view
            # query over the demo takes seconds instead of milliseconds.
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        loaded = time.perf_counter()
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    return DemoSummary(size, seed, True, data.counts(), generate_seconds=generated - started,
                       load_seconds=loaded - generated)


def _check_empty(connection: Connection) -> None:
    if not inspect(connection).has_table("users"):
        raise DemoRefused("the database has no institute schema yet: run "
                          "`institute-sync-server migrate` first")
    users = _user_count(connection)
    if users:
        raise DemoRefused(f"the database already has {users:,} users: the demo institute is "
                          "only loaded into an empty database (use a new DATABASE_URL)")
