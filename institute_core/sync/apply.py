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
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError

from institute_core.replica import Replica
from institute_core.schema import SYNCED_TABLES, SyncState, table_of
from institute_core.sync import wire
from institute_core.sync.conflicts import (
    observe_stamps,
    record_local_conflict,
    store_conflicts,
)
from institute_core.sync.outbox import pending_rows
from institute_core.sync.storage import to_storage

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
    # id of every row the server sent, per table (the repair pass deletes the others)
    seen: dict[str, set[uuid.UUID]] = field(default_factory=dict)


@dataclass
class _Row:
    table: str
    id: uuid.UUID
    version: int
    raw: dict[str, Any]          # as sent (codec-encoded, may hold id/version), for parking
    stored: dict[str, Any]       # as SQLite stores it, with id and version

    @property
    def key(self) -> str:
        return str(self.stored["id"])


def _state(connection: Connection, key: str, default: Any) -> Any:
    value = connection.execute(select(SyncState.value).where(SyncState.key == key)).scalar()
    return default if value is None else value


def _decode(dialect: Dialect, rows: Iterable[wire.PulledRow]
            ) -> tuple[list[_Row], list[tuple[wire.PulledRow, str]]]:
    good: dict[tuple[str, uuid.UUID], _Row] = {}
    bad: list[tuple[wire.PulledRow, str]] = []
    for row in rows:
        if row.table not in _ORDER:
            bad.append((row, f"unknown table {row.table!r} (is the app older than the server?)"))
            continue
        try:
            stored = to_storage(table_of(row.table), dialect, row.values, skip=_SERVER_KEYS)
        except ValueError as exc:
            bad.append((row, f"unreadable value: {exc}"))
            continue
        stored["id"] = row.id.hex
        stored["version"] = row.version
        seen = good.get((row.table, row.id))
        if seen is None or seen.version <= row.version:
            good[(row.table, row.id)] = _Row(row.table, row.id, row.version, row.values, stored)
    # stable: keeps the server's order within a table
    return sorted(good.values(), key=lambda r: _ORDER[r.table]), bad


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


def _local_rows(connection: Connection, name: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of `name` among `ids` (hex), as SQLite holds them."""
    result = connection.exec_driver_sql(
        f"SELECT * FROM {_quoted(connection.dialect, name)} "
        "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
    columns = list(result.keys())
    return {row[0]: dict(zip(columns, row, strict=True)) for row in result}


@dataclass
class _Writes:
    """What applying rows wrote: per table, the rows and the columns each one set."""

    rows: dict[str, list[tuple[_Row, tuple[str, ...]]]] = field(default_factory=dict)
    failures: list[_Failure] = field(default_factory=list)


def _plan(connection: Connection, name: str, members: list[_Row],
          pending: dict[tuple[str, uuid.UUID], set[str]]
          ) -> tuple[dict[tuple[str, ...], list[_Row]], dict[tuple[str, ...], list[_Row]]]:
    """Rows to insert and rows to update, each grouped by the columns they set.

    Only the columns whose stored value differs are written: rewriting a whole row touches
    every index and foreign key of the table and costs ten times more in SQLite. A row never
    goes back to an older version, and fields with edits waiting in the outbox keep the local
    value (they are pushed next time).
    """
    local = _local_rows(connection, name, [r.key for r in members])
    inserts: dict[tuple[str, ...], list[_Row]] = {}
    updates: dict[tuple[str, ...], list[_Row]] = {}
    for row in members:
        have = local.get(row.key)
        if have is None:
            inserts.setdefault(tuple(row.stored), []).append(row)
            continue
        if have["version"] > row.version:
            continue
        skip = pending.get((name, row.id), ())
        changed = tuple(k for k, v in row.stored.items()
                        if k != "id" and k not in skip and have.get(k) != v)
        if changed:
            updates.setdefault(changed, []).append(row)
    return inserts, updates


def _run_group(connection: Connection, sql: str, group: list[_Row],
               params: Callable[[_Row], tuple[Any, ...]], writes: _Writes,
               keys: tuple[str, ...]) -> None:
    """Execute one statement for a group; if it fails, row by row to find the culprits."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(sql, [params(r) for r in group])
        writes.rows.setdefault(group[0].table, []).extend((r, keys) for r in group)
        return
    except IntegrityError:
        pass
    for row in group:
        try:
            with connection.begin_nested():
                connection.exec_driver_sql(sql, [params(row)])
            writes.rows.setdefault(row.table, []).append((row, keys))
        except IntegrityError as exc:
            writes.failures.append(_Failure(row, exc))


def _insert_params(keys: tuple[str, ...], row: _Row) -> tuple[Any, ...]:
    return tuple(row.stored[k] for k in keys)


def _update_params(keys: tuple[str, ...], row: _Row) -> tuple[Any, ...]:
    return (*(row.stored[k] for k in keys), row.stored["id"])


def _write_rows(connection: Connection, rows: list[_Row],
                pending: dict[tuple[str, uuid.UUID], set[str]]) -> _Writes:
    """Insert new rows and update changed columns, table by table, parents first."""
    writes = _Writes()
    dialect = connection.dialect
    by_table: dict[str, list[_Row]] = {}
    for row in rows:
        by_table.setdefault(row.table, []).append(row)
    for name, members in sorted(by_table.items(), key=lambda item: _ORDER[item[0]]):
        inserts, updates = _plan(connection, name, members, pending)
        for keys, group in inserts.items():
            _run_group(connection, _insert_sql(dialect, name, keys), group,
                       functools.partial(_insert_params, keys), writes, keys)
        for keys, group in updates.items():
            _run_group(connection, _update_sql(dialect, name, keys), group,
                       functools.partial(_update_params, keys), writes, keys)
    return writes


def _orphans(connection: Connection, writes: _Writes) -> set[uuid.UUID]:
    """Rows just written whose parent row is not on this device (their foreign key fails).

    Only the written rows and the links they set are checked (PRAGMA foreign_key_check would
    scan whole tables on every page); foreign keys stay deferred to the commit as the backstop.
    """
    dialect = connection.dialect
    orphans: set[uuid.UUID] = set()
    for name, written in writes.rows.items():
        for fk in table_of(name).foreign_keys:
            column = fk.parent.name
            refs = {row.stored[column]: row for row, keys in written
                    if column in keys and row.stored.get(column) is not None}
            if not refs:
                continue
            parent = fk.column.table.name
            found = {r[0] for r in connection.exec_driver_sql(
                f"SELECT {_quoted(dialect, fk.column.name)} FROM {_quoted(dialect, parent)} "
                f"WHERE {_quoted(dialect, fk.column.name)} IN "
                "(SELECT value FROM json_each(?))", (json.dumps(list(refs)),))}
            missing = set(refs) - found
            orphans.update(row.id for row, keys in written
                           if column in keys and row.stored.get(column) in missing)
    return orphans


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
               cursor: str | None = None) -> PageResult:
    """Apply one pulled page (and store `cursor`) in ONE transaction; see the module docstring."""
    result = PageResult()
    for sent in rows:
        result.seen.setdefault(sent.table, set()).add(sent.id)
    with replica.apply_remote() as connection:
        decoded, unreadable = _decode(connection.dialect, rows)
        # Write first: the page transaction takes SQLite's write lock before it reads the
        # outbox, so no local edit can commit between that read and these writes.
        replica.set_state(APPLIED_AT_KEY, datetime.now(UTC).isoformat(), connection)
        if cursor is not None:
            replica.set_state(CURSOR_KEY, cursor, connection)
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        pending: dict[tuple[str, uuid.UUID], set[str]] = {}
        by_table: dict[str, list[uuid.UUID]] = {}
        for row in decoded:
            by_table.setdefault(row.table, []).append(row.id)
        for name, ids in by_table.items():
            for row_id, fields in pending_rows(connection, name, ids).items():
                pending[(name, row_id)] = fields
        excluded: dict[uuid.UUID, str] = {}
        while True:
            todo = [r for r in decoded if r.id not in excluded]
            savepoint = connection.begin_nested()
            writes = _write_rows(connection, todo, pending)
            new = _orphans(connection, writes)
            if not new:
                savepoint.commit()
                failures = writes.failures
                break
            savepoint.rollback()
            for row_id in new:
                excluded[row_id] = "its parent row is not on this device yet"
        parked = {p["id"]: p for p in _state(connection, PARKED_KEY, [])}
        failed = {f.row.id for f in failures}
        for row in decoded:
            if row.id not in excluded and row.id not in failed:
                old = parked.get(str(row.id))
                if old is not None and old["version"] <= row.version:
                    del parked[str(row.id)]
                result.applied += 1
        for row in decoded:
            if row.id in excluded:
                parked[str(row.id)] = _parked(row.table, row.id, row.version, row.raw,
                                              excluded[row.id])
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
        replica.set_state(PARKED_KEY, list(parked.values()), connection)
        result.conflicts = store_conflicts(connection, conflicts)
    observe_stamps(replica.clock, conflicts)
    return result


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
