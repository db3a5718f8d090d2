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
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Table, bindparam, literal_column, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import IntegrityError

from institute_core.replica import Replica
from institute_core.schema import SYNCED_TABLES, SyncState, table_of
from institute_core.sync import wire
from institute_core.sync.codec import decode_fields
from institute_core.sync.conflicts import (
    observe_stamps,
    record_local_conflict,
    store_conflicts,
)
from institute_core.sync.outbox import pending_rows

CURSOR_KEY = "pull_cursor"
PARKED_KEY = "parked_rows"
APPLIED_AT_KEY = "last_pull_applied_at"

_ORDER = {name: i for i, name in enumerate(SYNCED_TABLES)}
_SERVER_KEYS = frozenset({"id", "version"})
_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")


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
    values: dict[str, Any]       # decoded, with id and version


def _state(connection: Connection, key: str, default: Any) -> Any:
    value = connection.execute(select(SyncState.value).where(SyncState.key == key)).scalar()
    return default if value is None else value


def _decode(rows: Iterable[wire.PulledRow]) -> tuple[list[_Row], list[tuple[wire.PulledRow, str]]]:
    good: list[_Row] = []
    bad: list[tuple[wire.PulledRow, str]] = []
    for row in rows:
        if row.table not in _ORDER:
            bad.append((row, f"unknown table {row.table!r} (is the app older than the server?)"))
            continue
        try:
            values = decode_fields(table_of(row.table), row.values, skip=_SERVER_KEYS)
        except ValueError as exc:
            bad.append((row, f"unreadable value: {exc}"))
            continue
        values["id"] = row.id
        values["version"] = row.version
        good.append(_Row(row.table, row.id, row.version, row.values, values))
    good.sort(key=lambda r: _ORDER[r.table])  # stable: keeps the server's order within a table
    return good, bad


def _upsert_statement(table: Table, keys: tuple[str, ...], skip: frozenset[str]) -> Any:
    statement = insert(table)
    update = {k: statement.excluded[k] for k in keys if k != "id" and k not in skip}
    if not update:
        return statement.on_conflict_do_nothing(index_elements=[table.c.id])
    # A page of an older version (a retried parked row, a repair pass) never regresses a row.
    return statement.on_conflict_do_update(index_elements=[table.c.id], set_=update,
                                           where=table.c.version <= statement.excluded.version)


class _Failure(Exception):
    def __init__(self, row: _Row, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.row = row
        self.error = error


def _write_rows(connection: Connection, rows: list[_Row],
                pending: dict[tuple[str, uuid.UUID], set[str]]) -> list[_Failure]:
    """Upsert rows group by group; a group that fails is retried row by row to find culprits."""
    failures: list[_Failure] = []
    groups: dict[tuple[str, tuple[str, ...], frozenset[str]], list[_Row]] = {}
    for row in rows:
        skip = frozenset(pending.get((row.table, row.id), ()))
        groups.setdefault((row.table, tuple(sorted(row.values)), skip), []).append(row)
    for (name, keys, skip), members in sorted(groups.items(), key=lambda g: _ORDER[g[0][0]]):
        upsert = _compiled_upsert(connection.dialect, name, keys, skip)
        try:
            with connection.begin_nested():
                connection.exec_driver_sql(upsert.sql, [upsert.params(r.values)
                                                        for r in members])
            continue
        except IntegrityError:
            pass
        for row in members:
            try:
                with connection.begin_nested():
                    connection.exec_driver_sql(upsert.sql, [upsert.params(row.values)])
            except IntegrityError as exc:
                failures.append(_Failure(row, exc))
    return failures


@dataclass(frozen=True)
class _Upsert:
    """An upsert compiled once to SQLite's SQL, with each parameter's bind processor.

    A pull applies tens of thousands of rows; executing the SQL text with ready tuples skips
    SQLAlchemy's per-row statement work while the values still go through the column types'
    own conversions.
    """

    sql: str
    order: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def params(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[k] if p is None else p(values[k])
                     for k, p in zip(self.order, self.processors, strict=True))


@functools.cache
def _compiled_upsert(dialect: Dialect, name: str, keys: tuple[str, ...],
                     skip: frozenset[str]) -> _Upsert:
    table = table_of(name)
    statement = _upsert_statement(table, keys, skip).values({k: bindparam(k) for k in keys})
    compiled = statement.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ())
    if sorted(order) != sorted(keys):
        raise RuntimeError(f"unexpected parameters compiling the upsert of {name}: {order}")
    return _Upsert(str(compiled), order,
                   tuple(table.c[k].type.dialect_impl(dialect).bind_processor(dialect)
                         for k in order))


def _fk_violations(connection: Connection, tables: set[str]) -> dict[str, set[uuid.UUID]]:
    out: dict[str, set[uuid.UUID]] = {}
    for name in tables:
        rowids = [r[1] for r in connection.exec_driver_sql(
            f'PRAGMA foreign_key_check("{name}")').fetchall()]
        if not rowids:
            continue
        table = table_of(name)
        ids = connection.execute(
            select(table.c.id).where(literal_column("rowid").in_(rowids))).scalars().all()
        out[name] = set(ids)
    return out


def _collision_note(connection: Connection, row: _Row, error: IntegrityError) -> tuple[str, Any,
                                                                                    Any, str]:
    """(field, local row id, server value, note) describing a unique clash."""
    match = _UNIQUE.search(str(error.orig))
    columns = [c.strip().split(".")[-1] for c in match.group(1).split(",")] if match else []
    field_name = ",".join(columns) or "?"
    table = table_of(row.table)
    local_id = None
    if columns and all(c in row.values for c in columns):
        local_id = connection.execute(select(table.c.id).where(
            *(table.c[c] == row.values[c] for c in columns), table.c.id != row.id)).scalar()
    server_value = {c: row.raw.get(c) for c in columns} if columns else None
    note = (f"{row.table}.{field_name} {server_value} is already used on this device by row "
            f"{local_id} (not yet uploaded); the server's row {row.id} waits until one of them "
            "is changed")
    return field_name, str(local_id) if local_id else None, server_value, note


def apply_page(replica: Replica, rows: Sequence[wire.PulledRow],
               conflicts: Sequence[wire.ConflictRecord] = (), *,
               cursor: str | None = None) -> PageResult:
    """Apply one pulled page (and store `cursor`) in ONE transaction; see the module docstring."""
    result = PageResult()
    decoded, unreadable = _decode(rows)
    for sent in rows:
        result.seen.setdefault(sent.table, set()).add(sent.id)
    with replica.apply_remote() as connection:
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
            failures = _write_rows(connection, todo, pending)
            violations = _fk_violations(connection, {r.table for r in todo})
            page_ids = {r.id for r in todo}
            new = {i for ids in violations.values() for i in ids} & page_ids
            if not new:
                if violations:
                    savepoint.rollback()
                    raise RuntimeError(f"replica has broken links outside the page: {violations}")
                savepoint.commit()
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
            field_name, local_id, server_value, note = _collision_note(connection, row,
                                                                       failure.error)
            reason = "unique value clash" if _UNIQUE.search(str(failure.error.orig)) else \
                f"refused by the replica: {failure.error.orig}"
            parked[str(row.id)] = _parked(row.table, row.id, row.version, row.raw, reason)
            if reason == "unique value clash" and record_local_conflict(
                    connection, table=row.table, row_id=row.id, field=field_name,
                    kind="unique_collision", kept_value=local_id, lost_value=server_value,
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
