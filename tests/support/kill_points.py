"""Hold the server still at a chosen write inside its push transaction, to kill it there.

    points = KillPoints(url)
    points.install()                    # once; a cloned database keeps the triggers
    with points.held("sync_applied_changes"):
        ... a desk pushes in a thread ...
        pid = points.wait_blocked(lambda: not worker.is_alive())
        server.process.kill()           # kill -9 with the push half written
        points.end_backend(pid)         # what the lost socket does to an idle backend

Each point is a statement trigger on one server table that takes a shared advisory lock before
the write. Nobody holds the lock in normal running, so the trigger costs one lock call per
statement; while the test holds the exclusive lock, the push's write waits in the middle of its
transaction, after the writes that come before it (store.flush: rows, then stamps, conflicts,
applied changes; the device row last). Nothing in the product knows about it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

# In the order a push writes them.
POINTS = ("sync_field_versions", "sync_applied_changes", "sync_devices")
_KEY_BASE = 7_310_000


def _key(table: str) -> int:
    return _KEY_BASE + POINTS.index(table)


class KillPoints:
    def __init__(self, url: str) -> None:
        self.url = url

    def install(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            for table in POINTS:
                name = sql.Identifier(f"test_kill_point_{table}")
                conn.execute(sql.SQL("""
                    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      PERFORM pg_advisory_xact_lock_shared({key});
                      RETURN NULL;
                    END $$""").format(name=name, key=sql.Literal(_key(table))))
                conn.execute(sql.SQL(
                    "CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION {name}()").format(
                    name=name, table=sql.Identifier(table)))

    @contextmanager
    def held(self, table: str) -> Iterator[None]:
        """Writes to `table` wait (inside their transaction) until the block ends."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_key(table),))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_key(table),))

    def wait_blocked(self, gave_up: Callable[[], bool], timeout: float = 30.0) -> int | None:
        """The pid of a backend waiting at a held point, or None once `gave_up()` (the push
        finished without writing there) or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'").fetchone()
                if row is not None:
                    return int(row[0])
                if gave_up():
                    return None
                time.sleep(0.01)
        return None

    def end_backend(self, pid: int) -> None:
        """End the server's database session as its lost socket would once the wait is over
        (a backend only notices a dead client when it next talks to it); its transaction
        rolls back."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                               (pid,)).fetchone():
                time.sleep(0.01)
