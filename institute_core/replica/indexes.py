"""Secondary indexes set aside while a download fills empty tables, and put back after.

Inserting a million rows with random ids into a table with indexes adds each row at a random
place of every index: most of a large first download's time went there. Building an index
once the rows are in is a sort, several times cheaper. Only plain indexes are set aside: a
UNIQUE one stays, so that SQLite still refuses a clashing row as the rows arrive (and the
row is parked, apply.py), and so do the primary keys every lookup of the download uses.

Kill -9 safe: the indexes are dropped in the same transaction that records their
definitions in sync_state, and created again in the same transaction that forgets them, so
an interrupted download leaves the list, and `restore_indexes` (run when the replica is
opened, and at the end of every download, finished or not) completes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

DEFERRED_KEY = "deferred_indexes"


def _connect(path: Path) -> sqlite3.Connection:
    # Its own connection, transactions by hand: this runs before migrations (which may change
    # these very indexes) as well as beside an open replica (WAL: readers carry on).
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    connection.execute("PRAGMA busy_timeout=10000")
    return connection


def _deferred(connection: sqlite3.Connection) -> list[list[str]]:
    """[name, CREATE INDEX statement] of the indexes set aside; [] when none are."""
    row = connection.execute("SELECT value FROM sync_state WHERE key = ?",
                             (DEFERRED_KEY,)).fetchone()
    return list(json.loads(row[0])) if row is not None and row[0] is not None else []


def defer_indexes(path: Path, tables: Iterable[str]) -> list[str]:
    """Drop the plain (not UNIQUE) indexes of `tables`, remembering how to build them again;
    returns their names."""
    names = sorted(set(tables))
    if not names:
        return []
    with closing(_connect(path)) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            found = connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({', '.join('?' * len(names))}) ORDER BY name",
                names).fetchall()
            plain = [[str(name), str(sql)] for name, sql in found
                     if not str(sql).lstrip().upper().startswith("CREATE UNIQUE")]
            if plain:
                kept = _deferred(connection)
                connection.execute(
                    "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                    "UPDATE SET value = excluded.value", (DEFERRED_KEY, json.dumps(kept + plain)))
                for name, _sql in plain:
                    connection.execute(f'DROP INDEX "{name}"')
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return [name for name, _sql in plain]


def restore_indexes(path: Path) -> list[str]:
    """Build every index a download set aside and is not there; returns their names.

    Costs one lookup when nothing is set aside. A UNIQUE index is never set aside, so building
    these cannot fail on the rows that arrived meanwhile.
    """
    if not path.exists():
        return []
    with closing(_connect(path)) as connection:
        if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                              "name = 'sync_state'").fetchone() is None:
            return []
        if not _deferred(connection):
            return []
        connection.execute("BEGIN IMMEDIATE")
        try:
            built = []
            present = {str(r[0]) for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index'")}
            for name, sql in _deferred(connection):
                if name not in present:
                    connection.execute(sql)
                    built.append(name)
            connection.execute("DELETE FROM sync_state WHERE key = ?", (DEFERRED_KEY,))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return built
