"""The pull side of the replica: applying a page of server rows in one transaction.

Rules (docs/sync.md, "Client"):
- parents before children (SYNCED_TABLES order); each row gets the server's `version`; an older
  version never overwrites a newer one;
- fields with edits waiting in the outbox keep the local value (they are pushed next time);
- a row whose parent is not on this device (its foreign key would fail) is parked in sync_state
  "parked_rows" and retried on later pulls, so it never breaks the replica;
- a row that clashes with a local unique value (a student not yet uploaded with the same
  enrollment number) is parked too, and the clash goes to the conflict log for a person.
The cursor is stored in the same transaction, so an interrupted pull resumes after the last
committed page.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress
from operator import itemgetter, ne
from typing import Any, cast

from sqlalchemy import Connection, Dialect, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError

from institute_core.replica import Replica
from institute_core.schema import SYNCED_TABLES, OutboxEntry, SyncState, table_of
from institute_core.sync import wire
from institute_core.sync.conflicts import (
    observe_stamps,
    record_local_conflict,
    store_conflicts,
)
from institute_core.sync.outbox import pending_rows
from institute_core.sync.storage import columns_to_storage, to_storage

CURSOR_KEY = "pull_cursor"
PARKED_KEY = "parked_rows"
APPLIED_AT_KEY = "last_pull_applied_at"

_ORDER = {name: i for i, name in enumerate(SYNCED_TABLES)}
_SERVER_KEYS = frozenset({"id", "version"})


@dataclass
class PageResult:
    """What applying one page did."""

    applied: int = 0
    parked: int = 0
    conflicts: int = 0
    collisions: int = 0
    # id of every row the server sent, per table (the repair pass deletes the others), but
    # for the tables a download began with empty (`fresh`): the repair pass removes nothing
    # from those (check.remove_unsent), and a million ids kept alive over a first download
    # made every full run of Python's cycle collector walk them all
    seen: dict[str, set[uuid.UUID]] = field(default_factory=dict)


@dataclass
class _Row:
    """One pulled row in full, for the rare paths (a refused row, a unique clash)."""

    table: str
    id: uuid.UUID
    version: int
    raw: dict[str, Any]          # as sent (codec-encoded, may hold id/version), for parking
    stored: dict[str, Any]       # as SQLite stores it, with id and version

    @property
    def key(self) -> str:
        return str(self.stored["id"])


@dataclass
class _Batch:
    """Pulled rows of one table that carry the same fields, in SQLite's stored form.

    A page is applied batch by batch, a column at a time where it can be: no dict per row.
    """

    table: str
    keys: tuple[str, ...]               # stored columns; "id" and "version" come last
    sent: list[wire.PulledRow]
    params: list[tuple[Any, ...]]       # per row, its stored values in `keys` order

    def row(self, i: int) -> _Row:
        sent = self.sent[i]
        return _Row(self.table, sent.id, sent.version, sent.values,
                    dict(zip(self.keys, self.params[i], strict=True)))

    def without(self, ids: Container[uuid.UUID]) -> _Batch | None:
        keep = [i for i, sent in enumerate(self.sent) if sent.id not in ids]
        if not keep:
            return None
        return _Batch(self.table, self.keys, [self.sent[i] for i in keep],
                      [self.params[i] for i in keep])


def _state(connection: Connection, key: str, default: Any) -> Any:
    value = connection.execute(select(SyncState.value).where(SyncState.key == key)).scalar()
    return default if value is None else value


def _decode(dialect: Dialect, rows: Iterable[wire.PulledRow]
            ) -> tuple[list[_Batch], list[tuple[wire.PulledRow, str]]]:
    """The page's rows as batches, parents' tables first; the unreadable ones apart.

    Within a table the server's order is kept, and a row sent twice counts once, in its
    newest version.
    """
    by_table: dict[str, list[wire.PulledRow]] = {}
    bad: list[tuple[wire.PulledRow, str]] = []
    for row in rows:
        by_table.setdefault(row.table, []).append(row)
    batches: list[_Batch] = []
    for name in list(by_table):
        if name not in _ORDER:
            bad.extend((row, f"unknown table {name!r} (is the app older than the server?)")
                       for row in by_table.pop(name))
    for name in sorted(by_table, key=_ORDER.__getitem__):
        groups: dict[tuple[str, ...], list[wire.PulledRow]] = {}
        for row in by_table[name]:
            groups.setdefault(tuple(row.values), []).append(row)
        table = [b for fields, group in groups.items()
                 if (b := _convert(dialect, name, fields, group, bad)) is not None]
        batches.extend(_latest(table))
    return batches, bad


def _convert(dialect: Dialect, name: str, fields: tuple[str, ...],
             group: list[wire.PulledRow], bad: list[tuple[wire.PulledRow, str]]
             ) -> _Batch | None:
    """Rows of one table sending the same `fields`, converted a column at a time; if any
    value is malformed, row by row, so that only the bad rows are set apart (and named)."""
    table = table_of(name)
    names = tuple(k for k in fields if k not in _SERVER_KEYS)
    keys = (*names, "id", "version")
    ids = [row.id.hex for row in group]
    versions = [row.version for row in group]
    try:
        if len(names) == 1:
            columns: list[Sequence[Any]] = [[row.values[names[0]] for row in group]]
        elif names:
            columns = list(zip(*map(itemgetter(*names), (row.values for row in group)),
                               strict=True))
        else:
            columns = []
        stored = columns_to_storage(table, dialect, names, columns)
        return _Batch(name, keys, group, list(zip(*stored, ids, versions, strict=True)))
    except ValueError:
        pass
    good: list[wire.PulledRow] = []
    params: list[tuple[Any, ...]] = []
    for row, row_id, version in zip(group, ids, versions, strict=True):
        try:
            values = to_storage(table, dialect, row.values, skip=_SERVER_KEYS)
        except ValueError as exc:
            bad.append((row, f"unreadable value: {exc}"))
            continue
        good.append(row)
        params.append((*(values[k] for k in names), row_id, version))
    return _Batch(name, keys, good, params) if good else None


def _latest(batches: list[_Batch]) -> list[_Batch]:
    """The batches of one table with each row once, in the newest version sent."""
    ids = [p[-2] for batch in batches for p in batch.params]
    if len(set(ids)) == len(ids):
        return batches
    newest: dict[str, tuple[int, int, int]] = {}  # id -> (version, batch, row)
    for b, batch in enumerate(batches):
        for i, params in enumerate(batch.params):
            seen = newest.get(params[-2])
            if seen is None or seen[0] <= params[-1]:
                newest[params[-2]] = (params[-1], b, i)
    keep = {(b, i) for _version, b, i in newest.values()}
    out = []
    for b, batch in enumerate(batches):
        rows = [i for i in range(len(batch.params)) if (b, i) in keep]
        if rows:
            out.append(_Batch(batch.table, batch.keys, [batch.sent[i] for i in rows],
                              [batch.params[i] for i in rows]))
    return out


class _Failure(Exception):
    def __init__(self, row: _Row, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.row = row
        self.error = error


def _quoted(dialect: Dialect, name: str) -> str:
    return str(dialect.identifier_preparer.quote(name))


@functools.cache
def _insert_sql(dialect: Dialect, name: str, keys: tuple[str, ...]) -> str:
    columns = ", ".join(_quoted(dialect, k) for k in keys)
    return (f"INSERT INTO {_quoted(dialect, name)} ({columns}) "
            f"VALUES ({', '.join('?' * len(keys))})")


@functools.cache
def _update_sql(dialect: Dialect, name: str, keys: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{_quoted(dialect, k)} = ?" for k in keys)
    return f"UPDATE {_quoted(dialect, name)} SET {assignments} WHERE id = ?"


@functools.cache
def _select_sql(dialect: Dialect, name: str, keys: tuple[str, ...]) -> str:
    columns = ", ".join(_quoted(dialect, k) for k in keys)
    return (f"SELECT {columns} FROM {_quoted(dialect, name)} "
            "WHERE id IN (SELECT value FROM json_each(?))")


def _local_rows(connection: Connection, batch: _Batch) -> dict[str, tuple[Any, ...]]:
    """The stored copies of the batch's rows on this device (by hex id), in `keys` order."""
    # Straight from the driver: plain tuples, compared as they are with the pulled ones.
    driver = cast(sqlite3.Connection, connection.connection.driver_connection)
    cursor = driver.execute(
        _select_sql(connection.dialect, batch.table, batch.keys),
        (json.dumps([p[-2] for p in batch.params]),))
    return {row[-2]: row for row in cursor}


@dataclass
class _Written:
    """Rows one statement wrote: which of a batch, the columns it set and their values."""

    batch: _Batch
    rows: list[int]
    keys: tuple[str, ...]
    params: list[tuple[Any, ...]]   # per row, the values of `keys` (an update adds the id)


@dataclass
class _Writes:
    """What applying rows wrote, per table, and the rows the replica refused."""

    rows: dict[str, list[_Written]] = field(default_factory=dict)
    failures: list[_Failure] = field(default_factory=list)


def _plan(connection: Connection, batch: _Batch, pending: dict[tuple[str, str], set[str]]
          ) -> tuple[list[int], dict[tuple[int, ...], list[int]]]:
    """Rows of a batch to insert, and rows to update grouped by the columns (positions in
    `keys`) they change.

    Only the columns whose stored value differs are written: rewriting a whole row touches
    every index and foreign key of the table and costs ten times more in SQLite. A row never
    goes back to an older version, and fields with edits waiting in the outbox keep the local
    value (they are pushed next time).
    """
    local = _local_rows(connection, batch)
    inserts: list[int] = []
    updates: dict[tuple[int, ...], list[int]] = {}
    if not local:
        return list(range(len(batch.params))), updates
    id_at = len(batch.keys) - 2
    positions = range(len(batch.keys))
    for i, params in enumerate(batch.params):
        have = local.get(params[id_at])
        if have is None:
            inserts.append(i)
            continue
        if have[-1] > params[-1] or have == params:
            continue
        # The positions whose values differ, compared in C (the id, which the local copy
        # was found by, never differs).
        changed = tuple(compress(positions, map(ne, have, params)))
        if pending:
            skip = pending.get((batch.table, params[id_at]))
            if skip:
                changed = tuple(j for j in changed if batch.keys[j] not in skip)
        if changed:
            updates.setdefault(changed, []).append(i)
    return inserts, updates


def _run(connection: Connection, sql: str, batch: _Batch, rows: list[int],
         params: list[tuple[Any, ...]], keys: tuple[str, ...], writes: _Writes) -> None:
    """Execute one statement for many rows; if it fails, row by row to find the culprits."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(sql, params)
        writes.rows.setdefault(batch.table, []).append(_Written(batch, rows, keys, params))
        return
    except IntegrityError:
        pass
    for i, values in zip(rows, params, strict=True):
        try:
            with connection.begin_nested():
                connection.exec_driver_sql(sql, [values])
            writes.rows.setdefault(batch.table, []).append(_Written(batch, [i], keys, [values]))
        except IntegrityError as exc:
            writes.failures.append(_Failure(batch.row(i), exc))


def _insert_all(connection: Connection, batches: list[_Batch], writes: _Writes) -> bool:
    """Insert every row of a table's batches with no look for local copies: True if SQLite
    took them all (nothing was there); False, with nothing written, if any was refused."""
    try:
        with connection.begin_nested():
            for batch in batches:
                connection.exec_driver_sql(
                    _insert_sql(connection.dialect, batch.table, batch.keys), batch.params)
    except IntegrityError:
        return False
    for batch in batches:
        writes.rows.setdefault(batch.table, []).append(
            _Written(batch, list(range(len(batch.params))), batch.keys, batch.params))
    return True


def _write_rows(connection: Connection, batches: list[_Batch],
                pending: dict[tuple[str, str], set[str]], fresh: Container[str]) -> _Writes:
    """Insert new rows and update changed columns, table by table, parents first.

    A table in `fresh` held nothing when this download began: its rows are inserted outright,
    and only if SQLite refuses one (a row sent twice, or edited here meanwhile, is already
    there) are they compared with the local copies as any other table's.
    """
    writes = _Writes()
    dialect = connection.dialect
    by_table: dict[str, list[_Batch]] = {}
    for batch in batches:
        by_table.setdefault(batch.table, []).append(batch)
    for name, members in by_table.items():
        if name in fresh and _insert_all(connection, members, writes):
            continue
        plans = [(batch, *_plan(connection, batch, pending)) for batch in members]
        for batch, inserts, _updates in plans:
            if inserts:
                _run(connection, _insert_sql(dialect, name, batch.keys), batch, inserts,
                     [batch.params[i] for i in inserts], batch.keys, writes)
        for batch, _inserts, updates in plans:
            for changed, rows in updates.items():
                keys = tuple(batch.keys[j] for j in changed)
                _run(connection, _update_sql(dialect, name, keys), batch, rows,
                     [(*(batch.params[i][j] for j in changed), batch.params[i][-2])
                      for i in rows], keys, writes)
    return writes


@functools.cache
def _links(name: str) -> tuple[tuple[str, str, str], ...]:
    """(column, parent table, parent column) of each foreign key of a table."""
    return tuple((fk.parent.name, fk.column.table.name, fk.column.name)
                 for fk in table_of(name).foreign_keys)


def _orphans(connection: Connection, writes: _Writes) -> set[uuid.UUID]:
    """Rows just written whose parent row is not on this device (their foreign key fails).

    Only the written rows and the links they set are checked (PRAGMA foreign_key_check would
    scan whole tables on every page), each distinct parent once; foreign keys stay deferred to
    the commit as the backstop.
    """
    dialect = connection.dialect
    orphans: set[uuid.UUID] = set()
    for name, written in writes.rows.items():
        for column, parent, parent_column in _links(name):
            refs: set[Any] = set()
            used: list[tuple[_Written, int]] = []
            for w in written:
                if column in w.keys:
                    at = w.keys.index(column)
                    refs.update(map(itemgetter(at), w.params))
                    used.append((w, at))
            refs.discard(None)
            if not refs:
                continue
            # SQLite names the missing parents: usually none, so nothing comes back.
            missing = {r[0] for r in connection.exec_driver_sql(
                f"SELECT value FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM "
                f"{_quoted(dialect, parent)} WHERE {_quoted(dialect, parent_column)} = value)",
                (json.dumps(list(refs)),))}
            if not missing:
                continue
            for w, at in used:
                orphans.update(w.batch.sent[i].id for i, values in zip(w.rows, w.params,
                                                                        strict=True)
                               if values[at] in missing)
    return orphans


def _pending(connection: Connection, batches: list[_Batch]) -> dict[tuple[str, str], set[str]]:
    """(table, hex id) -> fields with edits waiting in the outbox, for the page's rows.

    One probe when the outbox is empty (a first download, a desk with nothing unsent).
    """
    if connection.execute(select(OutboxEntry.seq).limit(1)).first() is None:
        return {}
    ids: dict[str, list[uuid.UUID]] = {}
    for batch in batches:
        ids.setdefault(batch.table, []).extend(sent.id for sent in batch.sent)
    return {(name, row_id.hex): fields for name, members in ids.items()
            for row_id, fields in pending_rows(connection, name, members).items()}


def _unique_column_sets(table_name: str) -> list[list[str]]:
    """The column lists of a table's UNIQUE constraints and unique indexes."""
    table = table_of(table_name)
    sets = [[c.name for c in constraint.columns] for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)]
    sets += [[c.name for c in index.columns] for index in table.indexes if index.unique]
    return sets


def _clash(connection: Connection, row: _Row) -> tuple[list[str], uuid.UUID] | None:
    """The unique columns whose values another row on this device already holds, and that
    row: found from the schema's constraints, never by reading SQLite's message text."""
    dialect = connection.dialect
    for columns in _unique_column_sets(row.table):
        if not all(row.stored.get(c) is not None for c in columns):
            continue
        found = connection.exec_driver_sql(
            f"SELECT id FROM {_quoted(dialect, row.table)} WHERE "
            + " AND ".join(f"{_quoted(dialect, c)} = ?" for c in columns) + " AND id != ?",
            (*(row.stored[c] for c in columns), row.key)).scalar()
        if found is not None:
            return columns, uuid.UUID(str(found))
    return None


def _collision_note(row: _Row, columns: list[str], local_id: uuid.UUID) -> tuple[str, Any, str]:
    """(field, server value, note) describing a unique clash."""
    field_name = ",".join(columns)
    server_value = {c: row.raw.get(c) for c in columns}
    note = (f"{row.table}.{field_name} {server_value} is already used on this device by row "
            f"{local_id} (not yet uploaded); the server's row {row.id} waits until one of them "
            "is changed")
    return field_name, server_value, note


def apply_page(replica: Replica, rows: Sequence[wire.PulledRow],
               conflicts: Sequence[wire.ConflictRecord] = (), *,
               cursor: str | None = None, fresh: Container[str] = frozenset(),
               keep_seen: bool = True) -> PageResult:
    """Apply one pulled page (and store `cursor`) in ONE transaction; see the module docstring.

    `fresh` names the tables that held no row when this download began (`check.empty_tables`):
    their rows are inserted without first reading local copies (see `_write_rows`).
    `keep_seen` False leaves `PageResult.seen` empty: a pull whose caller needs no ids (no
    edit of this desk was refused or overwritten) does not hash every row's id into sets.
    """
    result = PageResult()
    for sent in rows if keep_seen else ():
        if sent.table not in fresh:
            result.seen.setdefault(sent.table, set()).add(sent.id)
    with replica.apply_remote() as connection:
        batches, unreadable = _decode(connection.dialect, rows)
        # Write first: the page transaction takes SQLite's write lock before it reads the
        # outbox, so no local edit can commit between that read and these writes.
        replica.set_state(APPLIED_AT_KEY, datetime.now(UTC).isoformat(), connection)
        if cursor is not None:
            replica.set_state(CURSOR_KEY, cursor, connection)
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        pending = _pending(connection, batches)
        excluded: dict[uuid.UUID, str] = {}
        while True:
            todo = batches if not excluded else [
                kept for batch in batches if (kept := batch.without(excluded)) is not None]
            savepoint = connection.begin_nested()
            writes = _write_rows(connection, todo, pending, fresh)
            new = _orphans(connection, writes)
            if not new:
                savepoint.commit()
                failures = writes.failures
                break
            savepoint.rollback()
            for row_id in new:
                excluded[row_id] = "its parent row is not on this device yet"
        result.applied = sum(len(b.params) for b in batches) - len(excluded) - len(failures)
        before = _state(connection, PARKED_KEY, [])
        parked = {p["id"]: p for p in before}
        if parked:
            _unpark_applied(parked, batches, excluded.keys() | {f.row.id for f in failures})
        for batch in batches if excluded else ():
            for sent in batch.sent:
                if sent.id in excluded:
                    parked[str(sent.id)] = _parked(batch.table, sent.id, sent.version,
                                                   sent.values, excluded[sent.id])
        for failure in failures:
            row = failure.row
            clash = _clash(connection, row)
            if clash is None:
                parked[str(row.id)] = _parked(row.table, row.id, row.version, row.raw,
                                              f"refused by the replica: {failure.error.orig}")
                continue
            parked[str(row.id)] = _parked(row.table, row.id, row.version, row.raw,
                                          "unique value clash")
            field_name, server_value, note = _collision_note(row, *clash)
            if record_local_conflict(
                    connection, table=row.table, row_id=row.id, field=field_name,
                    kind="unique_collision", kept_value=str(clash[1]), lost_value=server_value,
                    server_version=row.version, note=note):
                result.collisions += 1
        for raw_row, reason in unreadable:
            parked[str(raw_row.id)] = _parked(raw_row.table, raw_row.id, raw_row.version,
                                              raw_row.values, reason)
        result.parked = len(excluded) + len(failures) + len(unreadable)
        waiting = list(parked.values())
        if waiting != before:  # usually nothing waits, before or after
            replica.set_state(PARKED_KEY, waiting, connection)
        result.conflicts = store_conflicts(connection, conflicts)
    observe_stamps(replica.clock, conflicts)
    return result


def _unpark_applied(parked: dict[str, dict[str, Any]], batches: list[_Batch],
                    not_applied: Container[uuid.UUID]) -> None:
    """Forget parked rows this page applied in the same or a newer version.

    Looked up by the stored hex id, so that a page costs nothing more per row while a few
    rows wait.
    """
    waiting = {uuid.UUID(key).hex: key for key in parked}
    for batch in batches:
        for i in [i for i, p in enumerate(batch.params) if p[-2] in waiting]:
            sent = batch.sent[i]
            key = waiting[batch.params[i][-2]]
            if sent.id not in not_applied and parked[key]["version"] <= sent.version:
                del parked[key]


def _parked(table: str, row_id: uuid.UUID, version: int, values: dict[str, Any],
            reason: str) -> dict[str, Any]:
    return {"table": table, "id": str(row_id), "version": version, "values": values,
            "reason": reason}


def parked_rows(replica: Replica) -> list[wire.PulledRow]:
    """Rows waiting for their parent (or for a unique clash to be resolved)."""
    return [wire.PulledRow(table=p["table"], id=uuid.UUID(p["id"]), version=p["version"],
                           values=p["values"]) for p in replica.get_state(PARKED_KEY, [])]


def parked_reasons(replica: Replica) -> dict[str, str]:
    """Why each parked row (by id) is waiting, for display."""
    return {p["id"]: p["reason"] for p in replica.get_state(PARKED_KEY, [])}


def retry_parked(replica: Replica) -> PageResult:
    """Try the parked rows again (parents may have arrived); the ones still failing stay parked."""
    rows = parked_rows(replica)
    if not rows:
        return PageResult()
    return apply_page(replica, rows)
