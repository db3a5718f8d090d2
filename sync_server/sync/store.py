"""The reads and writes of one push, buffered or immediate.

Buffered (the fast path): rows and field stamps of the batch are fetched up front in a few
queries, every write waits in memory (later changes of the same batch read it back from there)
and all writes go out in bulk statements, parents first. The merge checks everything it can in
Python before it writes, so a change that is refused writes nothing. Should the database still
refuse the bulk write (a constraint Python did not foresee), the push is rolled back and redone
immediate: each change under its own SAVEPOINT, written at once, so only that change fails.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Time,
    Uuid,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    select,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.types import TypeDecorator, TypeEngine

from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, table_of

Key = tuple[str, uuid.UUID]

_meta = table_of("sync_field_versions")
_conflicts = table_of("sync_conflicts")
_applied = table_of("sync_applied_changes")
_TABLE_ORDER = {name: i for i, name in enumerate(SYNCED_TABLES)}
# Bind parameters per statement, well below PostgreSQL's limit of 65,535.
_MAX_PARAMS = 30_000
# Column types that travel as a PostgreSQL array unchanged (JSON documents do not: a list
# value would become array elements).
_ARRAY_SAFE = (Uuid, String, Integer, Numeric, Boolean, DateTime, Date, Time)


def _array_safe(kind: TypeEngine[Any]) -> bool:
    return isinstance(kind.impl if isinstance(kind, TypeDecorator) else kind, _ARRAY_SAFE)


def _unnest(table: Table, names: tuple[str, ...], rows: list[dict[str, Any]]) -> Any:
    """SELECT of `rows` from unnest(one array per column): many rows in one statement that
    compiles once per column set. JSON documents go as text (an array would unpack a list
    value) and are cast back; None is JSON null, as SQLAlchemy's JSON type stores it."""
    arrays, columns, selected = [], [], []
    for i, name in enumerate(names):
        kind = table.c[name].type
        if _array_safe(kind):
            arrays.append(bindparam(f"_a{i}", [r[name] for r in rows], type_=ARRAY(kind)))
            columns.append(column(name, kind))
        else:
            arrays.append(bindparam(f"_a{i}", [json.dumps(r[name]) for r in rows],
                                    type_=ARRAY(Text)))
            columns.append(column(name, Text))
    data = func.unnest(*arrays).table_valued(*columns).render_derived("incoming")
    for name in names:
        kind = table.c[name].type
        selected.append(data.c[name] if _array_safe(kind) else cast(data.c[name], kind))
    return select(*selected)


def _bulk_insert(table: Table, rows: list[dict[str, Any]]) -> Any:
    """INSERT ... SELECT FROM unnest(...) of rows that all name the same columns, or None when
    a column left out has a Python-side default (only executemany applies those)."""
    names = tuple(rows[0])
    if any(c.default is not None for c in table.c if c.name not in names):
        return None
    return pg_insert(table).from_select(list(names), _unnest(table, names, rows))


def any_ids(ids: Iterable[uuid.UUID]) -> Any:
    """`= ANY(:ids)` with one array parameter: cheaper to build and send than IN (...) with a
    parameter per id."""
    return any_(bindparam("ids", list(ids), type_=ARRAY(Uuid)))


class BatchStore:
    """Row, stamp, conflict and applied-change storage for one push transaction."""

    def __init__(self, conn: Connection, *, buffered: bool) -> None:
        self.conn = conn
        self.buffered = buffered
        self._rows: dict[Key, dict[str, Any] | None] = {}
        self._metas: dict[Key, dict[str, Any] | None] = {}
        self._pending_rows: dict[Key, tuple[str, dict[str, Any]]] = {}
        self._pending_metas: dict[Key, dict[str, Any]] = {}
        self._pending_conflicts: list[dict[str, Any]] = []
        self._pending_applied: list[dict[str, Any]] = []
        # Answers worth remembering for the rest of this push (positive scope checks).
        self.memo: dict[Any, Any] = {}

    # --- reads ------------------------------------------------------------------------------

    def prefetch(self, wanted: Mapping[str, Iterable[uuid.UUID]]) -> None:
        """Load the named rows (and their stamps) in one query per table."""
        if not self.buffered:
            return
        for name, ids in wanted.items():
            missing = [i for i in set(ids) if (name, i) not in self._rows]
            if not missing:
                continue
            table = table_of(name)
            for start in range(0, len(missing), 5000):
                chunk = missing[start:start + 5000]
                found = {r["id"]: dict(r) for r in self.conn.execute(
                    select(table).where(table.c.id == any_ids(chunk))).mappings()}
                metas = dict(self.conn.execute(select(_meta.c.row_id, _meta.c.meta).where(
                    _meta.c.table_name == name, _meta.c.row_id == any_ids(chunk))
                ).tuples().all())
                for row_id in chunk:
                    self._rows[(name, row_id)] = found.get(row_id)
                    self._metas[(name, row_id)] = metas.get(row_id)

    def prefetch_owners(self, wanted: Mapping[str, Iterable[uuid.UUID]]) -> None:
        """Load the parents the `__owner__` rules of the wanted rows lead to, level by level
        (attendance -> session -> ...), so the merge finds each row's owner without a query."""
        if not self.buffered:
            return
        level = {name: set(ids) for name, ids in wanted.items()}
        while level:
            parents: dict[str, set[uuid.UUID]] = {}
            for name, ids in level.items():
                rule = MODEL_BY_TABLE[name].__owner__
                if rule is None or rule.via is None or rule.parent is None:
                    continue
                for row_id in ids:
                    row = self._rows.get((name, row_id))
                    ref = row.get(rule.via) if row else None
                    if isinstance(ref, uuid.UUID) and (rule.parent, ref) not in self._rows:
                        parents.setdefault(rule.parent, set()).add(ref)
            self.prefetch(parents)
            level = parents

    def row(self, table_name: str, row_id: Any) -> dict[str, Any] | None:
        """The row as this push sees it (including its own earlier writes)."""
        if not isinstance(row_id, uuid.UUID):
            row_id = uuid.UUID(str(row_id))
        key = (table_name, row_id)
        if self.buffered and key in self._rows:
            return self._rows[key]
        table = table_of(table_name)
        found = self.conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
        row = dict(found) if found is not None else None
        if self.buffered:
            self._rows[key] = row
        return row

    def meta(self, table_name: str, row_id: uuid.UUID) -> dict[str, Any] | None:
        key = (table_name, row_id)
        if self.buffered and key in self._metas:
            return self._metas[key]
        meta = self.conn.execute(select(_meta.c.meta).where(
            _meta.c.table_name == table_name, _meta.c.row_id == row_id)).scalar()
        if self.buffered:
            self._metas[key] = meta
        return meta

    def connection(self) -> Connection:
        """The connection for a query that must see this push's writes (flushes them first)."""
        self.flush()
        return self.conn

    def forget(self) -> None:
        """Drop cached rows (after a bulk UPDATE that bypassed the cache); flushes first."""
        self.flush()
        self._rows.clear()
        self._metas.clear()

    # --- writes -----------------------------------------------------------------------------

    def insert(self, table_name: str, values: dict[str, Any]) -> None:
        key = (table_name, values["id"])
        if not self.buffered:
            self.conn.execute(insert(table_of(table_name)).values(**values))
            return
        self._pending_rows[key] = ("insert", dict(values))
        self._rows[key] = dict(values)

    def update(self, table_name: str, row_id: uuid.UUID, values: dict[str, Any]) -> None:
        key = (table_name, row_id)
        if not self.buffered:
            table = table_of(table_name)
            self.conn.execute(update(table).where(table.c.id == row_id).values(**values))
            return
        op, pending = self._pending_rows.get(key, ("update", {}))
        pending.update(values)
        self._pending_rows[key] = (op, pending)
        current = self._rows.get(key)
        if current is not None:
            current.update(values)

    def save_meta(self, table_name: str, row_id: uuid.UUID, meta: dict[str, Any]) -> None:
        key = (table_name, row_id)
        if not self.buffered:
            self._upsert_metas([{"table_name": table_name, "row_id": row_id, "meta": meta}])
            return
        self._pending_metas[key] = meta
        self._metas[key] = meta

    def log_conflict(self, row: dict[str, Any]) -> None:
        if self.buffered:
            self._pending_conflicts.append(row)
        else:
            self.conn.execute(insert(_conflicts).values(**row))

    def record_applied(self, row: dict[str, Any]) -> None:
        if self.buffered:
            self._pending_applied.append(row)
        else:
            self.conn.execute(insert(_applied).values(**row))

    def flush(self) -> None:
        """Write everything pending in bulk: inserts parents first, then updates, then the rest."""
        if not self.buffered:
            return
        if self._pending_rows:
            inserts: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
            updates: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
            for (name, row_id), (op, values) in self._pending_rows.items():
                if op == "insert":
                    inserts.setdefault((name, tuple(sorted(values))), []).append(values)
                else:
                    params = {**values, "_row_id": row_id}
                    updates.setdefault((name, tuple(sorted(values))), []).append(params)
            for (name, _cols), rows in sorted(inserts.items(),
                                               key=lambda item: _TABLE_ORDER[item[0][0]]):
                self._insert_many(table_of(name), rows)
            for (name, columns), rows in updates.items():
                self._update_many(table_of(name), columns, rows)
            self._pending_rows.clear()
        if self._pending_metas:
            self._upsert_metas([{"table_name": n, "row_id": i, "meta": m}
                                for (n, i), m in self._pending_metas.items()])
            self._pending_metas.clear()
        if self._pending_conflicts:
            self.conn.execute(insert(_conflicts), self._pending_conflicts)
            self._pending_conflicts = []
        if self._pending_applied:
            self._insert_many(_applied, self._pending_applied)
            self._pending_applied = []

    def _insert_many(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows that all name the same columns, in one statement where it can."""
        statement = _bulk_insert(table, rows)
        if statement is None:
            self.conn.execute(insert(table), rows)
        else:
            self.conn.execute(statement)

    def _update_many(self, table: Table, columns: tuple[str, ...],
                     rows: list[dict[str, Any]]) -> None:
        """Update many rows in one statement instead of one statement per row."""
        if all(_array_safe(table.c[c].type) for c in columns):
            self._update_unnest(table, columns, rows)
            return
        per_chunk = max(1, _MAX_PARAMS // (len(columns) + 1))
        for start in range(0, len(rows), per_chunk):
            self._update_values(table, columns, rows[start:start + per_chunk])

    def _update_unnest(self, table: Table, columns: tuple[str, ...],
                       rows: list[dict[str, Any]]) -> None:
        """UPDATE ... FROM unnest(arrays): a parameter per column, not per value, so the
        statement compiles once per column set and PostgreSQL parses it once."""
        data = func.unnest(
            bindparam("_ids", [r["_row_id"] for r in rows], type_=ARRAY(Uuid)),
            *(bindparam(f"_c{i}", [r[c] for r in rows], type_=ARRAY(table.c[c].type))
              for i, c in enumerate(columns)),
        ).table_valued(column("_row_id", Uuid),
                       *(column(c, table.c[c].type) for c in columns)
                       ).render_derived("incoming")
        self.conn.execute(update(table).where(table.c.id == data.c._row_id)
                          .values({c: data.c[c] for c in columns}))

    def _update_values(self, table: Table, columns: tuple[str, ...],
                       chunk: list[dict[str, Any]]) -> None:
        """UPDATE ... FROM (VALUES ...): for JSON documents, which an array would unpack."""
        data = values(column("_row_id", Uuid), *(column(c, table.c[c].type) for c in columns),
                      name="incoming").data([(r["_row_id"], *(r[c] for c in columns))
                                             for r in chunk])
        # CAST: a NULL in VALUES has no type of its own (it would be taken as text).
        self.conn.execute(update(table).where(table.c.id == data.c._row_id)
                          .values({c: cast(data.c[c], table.c[c].type) for c in columns}))

    def _upsert_metas(self, rows: list[dict[str, Any]]) -> None:
        """One INSERT ... ON CONFLICT for all stamps (each (table, row) at most once here)."""
        statement = _bulk_insert(_meta, rows)
        assert statement is not None  # the stamps table has no Python-side defaults
        self.conn.execute(statement.on_conflict_do_update(
            index_elements=["table_name", "row_id"], set_={"meta": statement.excluded.meta}))
