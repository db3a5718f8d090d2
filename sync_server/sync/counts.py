"""The per-table counts a pull ends with, recounted only where something could have changed.

A desk compares them with its own rows (institute_core/sync/check.py): that is how it notices
rows that left its scope. Counting all fifty-odd tables of a scope is the most expensive query
a small sync runs, and almost all of it counts again what the last sync counted.

A viewer's counts are kept (per server process) with the version `hw` they describe: a pull
counts only in a snapshot holding every version at or below its window's end and none above
(pull.py), so the counts are exactly those of the rows as of `hw`. At a later end `hw2`, the
count of table T can differ only if

- a row of T, or of a table T's scope reads (students, batch members, ...), was written: every
  server-side write takes a new version, so such a table has a row versioned in (hw, hw2];
- a row was removed without a version: only tombstone compaction does that, and it moves the
  compacted version;
- the server was restored from a backup: the epoch changes;
- the viewer's scope changed: the key is the viewer as the pull sees it, with their role's
  permissions, branches, students and own records read in the same snapshot, so a changed
  scope is another key.

So the counts of the tables none of that touched are carried over and the rest are counted
anew, in one statement. A scope that reads a table without versions is counted every time, and
every viewer's counts are taken whole again after `_MAX_AGE` seconds as a safety net.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import visitors

from institute_core.schema import SYNCED_TABLES, table_of
from institute_core.sync.scopes import Viewer, visible

# A table without versions that a scope reads: never known to be unchanged.
_UNVERSIONED = "*"
_MAX_VIEWERS = 5000
_MAX_AGE = 120.0


@dataclass(frozen=True)
class _Counted:
    """One viewer's counts as of version `hw` (of the database with `epoch`)."""

    epoch: str | None
    compacted: int
    hw: int
    taken: float  # time.monotonic() of the last whole count
    counts: dict[str, int]
    reads: dict[str, frozenset[str]]  # per table: the tables its scope reads, itself included


_known: OrderedDict[Viewer, _Counted] = OrderedDict()
_lock = threading.Lock()


def counts(conn: Connection, viewer: Viewer, hw: int, epoch: str | None,
           compacted: int, newest: Newest) -> dict[str, int]:
    """Rows per synced table `viewer` may see, in `conn`'s snapshot (which holds every version
    up to `hw` and none above it; `newest` read in the same snapshot)."""
    with _lock:
        known = _known.get(viewer)
    now = time.monotonic()
    if known is None or known.epoch != epoch or known.compacted != compacted \
            or known.hw > hw or now - known.taken > _MAX_AGE:
        reads = {name: _tables_read(name, viewer) for name in SYNCED_TABLES}
        found = _count(conn, viewer, SYNCED_TABLES)
        taken = now
    else:
        reads, taken = known.reads, known.taken
        found = dict(known.counts)
        if hw > known.hw:
            changed = newest.written(known.hw, hw) | {_UNVERSIONED}
            found.update(_count(conn, viewer, [n for n in SYNCED_TABLES
                                               if not reads[n].isdisjoint(changed)]))
    with _lock:
        _known[viewer] = _Counted(epoch, compacted, hw, taken, found, reads)
        _known.move_to_end(viewer)
        while len(_known) > _MAX_VIEWERS:
            _known.popitem(last=False)
    return dict(found)


def forget() -> None:
    """Drop every kept count (tests that rewrite rows behind the versions' back)."""
    with _lock:
        _known.clear()


def _count(conn: Connection, viewer: Viewer, names: Iterable[str]) -> dict[str, int]:
    """Rows per table of `names` this viewer may see, in one statement (one round trip)."""
    names = tuple(names)
    if not names:
        return {}
    row = conn.execute(_count_statement(viewer, names)).one()
    return {name: int(n) for name, n in zip(names, row, strict=True)}


@functools.lru_cache(maxsize=1024)
def _count_statement(viewer: Viewer, names: tuple[str, ...]) -> Select[Any]:
    """The counting statement, built once per viewer and set of tables: a viewer's later
    pulls recount the same tables, and building the scopes' clauses and the statement's cache
    key each time cost more than PostgreSQL's counting (SQLAlchemy keeps a statement's key on
    the object)."""
    return select(*[select(func.count()).select_from(table_of(name))
                    .where(visible(name, viewer)).scalar_subquery().label(name)
                    for name in names])


@dataclass(frozen=True)
class Newest:
    """The newest version of every synced table (0: empty) and of the conflict log, as one
    snapshot holds them: what a pull needs to know which tables a window touched, whether
    anything lies above it, and whether the log has entries in it, from one statement.

    A small sync used to ask three statements of fifty-odd EXISTS probes each (the tables
    written in the window, in the counts' span, and anything newer): a third of the pull's
    time in PostgreSQL. One index probe per table (the newest entry of its version index)
    answers all three.
    """

    versions: dict[str, int]
    conflicts: int

    def written(self, since: int, hw: int, names: Iterable[str] = SYNCED_TABLES) -> set[str]:
        """The tables of `names` that may hold a row versioned in (since, hw]. Exact when a
        table's newest version is at or below `hw`; a table with a newer row (a push that
        committed after the window was fixed) is taken as written: the caller then reads or
        counts it for nothing, and never skips one that was."""
        return {name for name in names if self.versions[name] > since}

    def above(self, hw: int) -> bool:
        """Whether the snapshot holds a row or conflict entry versioned above `hw`."""
        return self.conflicts > hw or any(v > hw for v in self.versions.values())


NEWEST_COLUMNS = len(SYNCED_TABLES) + 1


@functools.cache
def newest_sql() -> str:
    """The select list of `Newest` (one scalar subquery per table, then the conflict log), as
    SQL text built once: building and keying fifty-odd clauses in SQLAlchemy on every pull
    cost more than PostgreSQL answering them."""
    quote = postgresql.dialect().identifier_preparer.quote
    probes = [f"(SELECT max(version) FROM {quote(n)})" for n in SYNCED_TABLES]
    probes.append("(SELECT max(server_version) FROM sync_conflicts)")
    return ", ".join(probes)


def newest_of(values: Sequence[int | None]) -> Newest:
    """`Newest` from the `NEWEST_COLUMNS` values `newest_sql` selects."""
    *tables, conflicts = (int(v or 0) for v in values)
    return Newest(dict(zip(SYNCED_TABLES, tables, strict=True)), conflicts)


def _tables_read(name: str, viewer: Viewer) -> frozenset[str]:
    """The tables the count of `name` for `viewer` reads: itself and every table its scope's
    SQL names (subqueries included); `_UNVERSIONED` for one without versions."""
    found = {name}
    for element in visitors.iterate(visible(name, viewer)):
        table = element if isinstance(element, Table) else getattr(element, "table", None)
        if isinstance(table, Table):
            found.add(table.name if _versioned(table.name) else _UNVERSIONED)
    return frozenset(found)


@functools.cache
def _versioned(name: str) -> bool:
    return name in SYNCED_TABLES and "version" in table_of(name).c
