"""The reads and writes of one push, buffered or immediate.

Buffered (the fast path): rows and field stamps of the batch are fetched up front in a few
queries, every write waits in memory (later changes of the same batch read it back from there)
and all writes go out in bulk statements, parents first. The merge checks everything it can in
Python before it writes, so a change that is refused writes nothing. Should the database still
refuse the bulk write (a constraint Python did not foresee), the push is rolled back and redone
immediate: each change under its own SAVEPOINT, written at once, so only that change fails.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
from sqlalchemy import Connection, Table, Uuid, any_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from institute_core.ids import uuid_array_literal
from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, table_of

Key = tuple[str, uuid.UUID]

_meta = table_of("sync_field_versions")
_conflicts = table_of("sync_conflicts")
_applied = table_of("sync_applied_changes")
_TABLE_ORDER = {name: i for i, name in enumerate(SYNCED_TABLES)}
# The key of the row an UPDATE writes, beside its columns in each document row.
_ROW_ID = "_row_id"


def _plain(value: Any) -> Any:
    """JSON form of the values json.dumps does not know (PostgreSQL casts them back)."""
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot send {type(value).__name__} to PostgreSQL as JSON")


def _document(rows: list[dict[str, Any]]) -> str:
    try:
        # UUIDs, dates, times and enums in C; only Decimal reaches `_plain`.
        return orjson.dumps(rows, default=_plain).decode()
    except TypeError:
        # What orjson refuses (a lone surrogate, an int beyond 64 bits) goes the standard way,
        # so the database, not the encoder, names the value it cannot take.
        return json.dumps(rows, default=_plain, separators=(",", ":"))


@dataclass(frozen=True)
class _Recordset:
    """Rows of `names` read from one JSON document parameter, kept as parts (never re-parsed).

    `source` is the FROM item; `values` holds the SQL expression of each name, in order.
    """

    source: str
    values: dict[str, str]


@functools.cache
def _recordset(table_name: str, names: tuple[str, ...]) -> _Recordset:
    """Many rows travel as one jsonb parameter, built by json.dumps in C and taken apart by
    PostgreSQL (jsonb_to_recordset): a statement per column set, no per-value work in Python
    (psycopg's array dumpers escape every element in Python, a third of a push's time).
    """
    table = table_of(table_name)
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    definitions: list[str] = []
    values: dict[str, str] = {}
    for name in names:
        kind = Uuid() if name == _ROW_ID else table.c[name].type
        definitions.append(f"{quote(name)} {kind.compile(dialect=dialect)}")
        value = f"incoming.{quote(name)}"
        if name != _ROW_ID and isinstance(table.c[name].type.dialect_impl(dialect), JSONB):
            value = f"COALESCE({value}, 'null'::jsonb)"  # None is JSON null, as the ORM stores it
        values[name] = value
    source = f"jsonb_to_recordset(%s::jsonb) AS incoming({', '.join(definitions)})"
    return _Recordset(source, values)


@functools.cache
def _insert_sql(table_name: str, names: tuple[str, ...], conflict: str = "") -> str:
    quote = postgresql.dialect().identifier_preparer.quote
    rows = _recordset(table_name, names)
    return (f"INSERT INTO {quote(table_name)} ({', '.join(quote(n) for n in names)}) "
            f"SELECT {', '.join(rows.values[n] for n in names)} FROM {rows.source} {conflict}")


@functools.cache
def _update_sql(table_name: str, names: tuple[str, ...]) -> str:
    """UPDATE of the rows of one document (parameters: the document, its number of rows).

    The LIMIT (the number of rows, never fewer) is there for the planner: it guesses 100 rows
    from any jsonb_to_recordset and joined them to the table by reading all of it (a
    sequential scan of 13,888 attendance rows, 15 ms, for a push of one mark); told how few
    there are, it looks each one up by its key."""
    quote = postgresql.dialect().identifier_preparer.quote
    rows = _recordset(table_name, (_ROW_ID, *names))
    assignments = ", ".join(f"{quote(n)} = {rows.values[n]}" for n in names)
    return (f"UPDATE {quote(table_name)} SET {assignments} "
            f"FROM (SELECT * FROM {rows.source} LIMIT %s) AS incoming "
            f"WHERE {quote(table_name)}.id = incoming.{quote(_ROW_ID)}")


@functools.cache
def _has_python_defaults(table_name: str, names: frozenset[str]) -> bool:
    """A column left out has a Python-side default (only SQLAlchemy's executemany applies it)."""
    return any(c.default is not None for c in table_of(table_name).c if c.name not in names)


_METAS_SQL = ("SELECT row_id, meta FROM sync_field_versions "
              "WHERE table_name = %s AND row_id = ANY(%s::uuid[])")


@functools.cache
def _rows_sql(table_name: str) -> str:
    return f"SELECT * FROM {table_of(table_name).name} WHERE id = ANY(%s::uuid[])"


@functools.cache
def _lock_sql(table_name: str) -> str:
    return (f"SELECT id FROM {table_of(table_name).name} WHERE id = ANY(%s::uuid[]) "
            "ORDER BY id FOR UPDATE")


@functools.cache
def _lock_rows_sql(table_name: str) -> str:
    return (f"SELECT * FROM {table_of(table_name).name} WHERE id = ANY(%s::uuid[]) "
            "ORDER BY id FOR UPDATE")


def _number(row_id: uuid.UUID) -> int:
    return row_id.int


@functools.cache
def _owner_sql(table_name: str) -> str:
    rule = MODEL_BY_TABLE[table_name].__owner__
    column = None if rule is None else (rule.column or rule.via)
    columns = "id" if column is None else f"id, {column}"
    return f"SELECT {columns} FROM {table_of(table_name).name} WHERE id = ANY(%s::uuid[])"


def _driver_rows(conn: Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as psycopg loads them (UUID, aware datetime in UTC, Decimal, parsed JSON): the same
    values SQLAlchemy's result types give, without a Python call per value on top."""
    result = conn.exec_driver_sql(sql, params)
    names = list(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result.all()]


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
        # Parents read only for their owner rule's column (see prefetch_owners).
        self._owner_rows: dict[Key, dict[str, Any] | None] = {}
        self._metas: dict[Key, dict[str, Any] | None] = {}
        self._pending_rows: dict[Key, tuple[str, dict[str, Any]]] = {}
        self._pending_metas: dict[Key, dict[str, Any]] = {}
        self._pending_conflicts: list[dict[str, Any]] = []
        self._pending_applied: list[dict[str, Any]] = []
        self._iso_of: tuple[datetime, str] | None = None
        # Answers worth remembering for the rest of this push (positive scope checks).
        self.memo: dict[Any, Any] = {}

    # --- reads ------------------------------------------------------------------------------

    def lock(self, changed: Mapping[str, Iterable[uuid.UUID]]) -> None:
        """Lock the rows a batch changes until it commits, tables parents-first and rows by id.

        Pushes from different desks run at once (versions.py); the merge reads a row, decides
        and writes it back, so two pushes on one row must take turns or the second would write
        over the first without merging. One order for every push means no two wait for each
        other in a circle. Rows that do not exist yet are not locked: a second insert of the
        same id waits on the primary key and is then redone as an update.

        Buffered, the locking query also reads the rows (and then their stamps): they are the
        rows the merge reads, and reading them again in `prefetch` cost a query per table."""
        for name in sorted(changed, key=lambda n: _TABLE_ORDER.get(n, len(_TABLE_ORDER))):
            # By the ids' numbers: the order UUIDs compare in, without a Python call per compare.
            ids = sorted(set(changed[name]), key=_number)
            for start in range(0, len(ids), 5000):
                chunk = ids[start:start + 5000]
                if self.buffered:
                    self._load(name, chunk, _lock_rows_sql(name))
                else:
                    self.conn.exec_driver_sql(_lock_sql(name), (uuid_array_literal(chunk),))

    def prefetch(self, wanted: Mapping[str, Iterable[uuid.UUID]]) -> None:
        """Load the named rows in one query per table (rows `lock` did not read already).

        Not their stamps: only a changed row's are read (by the merge), and `lock` read
        those; a parent's would be a query per table for nothing (`meta` reads any other)."""
        if not self.buffered:
            return
        for name, ids in wanted.items():
            missing = [i for i in set(ids) if (name, i) not in self._rows]
            for start in range(0, len(missing), 5000):
                self._load(name, missing[start:start + 5000], _rows_sql(name), metas=False)

    def _load(self, name: str, chunk: list[uuid.UUID], sql: str, *, metas: bool = True) -> None:
        """Read the rows of `chunk` with `sql` (by id), and their stamps, into the cache."""
        ids_text = uuid_array_literal(chunk)
        found = {r["id"]: r for r in _driver_rows(self.conn, sql, ids_text)}
        for row_id in chunk:
            self._rows[(name, row_id)] = found.get(row_id)
        if not metas:
            return
        stamps = {r["row_id"]: r["meta"] for r in _driver_rows(
            self.conn, _METAS_SQL, name, ids_text)}
        for row_id in chunk:
            self._metas[(name, row_id)] = stamps.get(row_id)

    def prefetch_owners(self, wanted: Mapping[str, Iterable[uuid.UUID]]) -> None:
        """Load what the `__owner__` rules of the wanted rows need from their parents, level by
        level (attendance -> session -> ...), so the merge finds each row's owner without a
        query. Only the rule's column of each parent is read (a session row is wide; its
        faculty is all the rule needs); `owner_row` serves them."""
        if not self.buffered:
            return
        level = {name: {i: self._rows.get((name, i)) for i in ids} for name, ids in wanted.items()}
        while level:
            parents: dict[str, set[uuid.UUID]] = {}
            for name, rows in level.items():
                rule = MODEL_BY_TABLE[name].__owner__
                if rule is None or rule.via is None or rule.parent is None:
                    continue
                for row in rows.values():
                    ref = row.get(rule.via) if row else None
                    if isinstance(ref, uuid.UUID) and not self._knows_owner_row(rule.parent, ref):
                        parents.setdefault(rule.parent, set()).add(ref)
            level = {name: self._fetch_owner_rows(name, ids) for name, ids in parents.items()}

    def _knows_owner_row(self, table_name: str, row_id: uuid.UUID) -> bool:
        key = (table_name, row_id)
        return key in self._rows or key in self._owner_rows

    def _fetch_owner_rows(self, table_name: str, ids: set[uuid.UUID]
                          ) -> dict[uuid.UUID, dict[str, Any] | None]:
        found = {r["id"]: r for r in _driver_rows(self.conn, _owner_sql(table_name),
                                                  uuid_array_literal(ids))}
        for row_id in ids:
            self._owner_rows[(table_name, row_id)] = found.get(row_id)
        return {row_id: found.get(row_id) for row_id in ids}

    def holds(self, table_name: str, row_id: uuid.UUID) -> bool:
        """Whether this push has read (or written) the row, or found it missing."""
        return self.buffered and (table_name, row_id) in self._rows

    def held(self, table_name: str, row_id: uuid.UUID) -> dict[str, Any] | None:
        """The row as this push holds it, without asking the database (None: not held)."""
        return self._rows.get((table_name, row_id)) if self.buffered else None

    def owner_row(self, table_name: str, row_id: Any) -> Mapping[str, Any] | None:
        """A row as far as owner rules read it (`owners.RowLookup`): the whole row when this
        push holds it (with its own writes), else the prefetched rule column."""
        if not isinstance(row_id, uuid.UUID):
            row_id = uuid.UUID(str(row_id))
        key = (table_name, row_id)
        if self.buffered and key not in self._rows and key in self._owner_rows:
            return self._owner_rows[key]
        return self.row(table_name, row_id)

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
        self._owner_rows.clear()
        self._metas.clear()

    # --- writes -----------------------------------------------------------------------------

    def insert(self, table_name: str, values: dict[str, Any],
               sent: Mapping[str, Any] | None = None) -> None:
        """Insert a row; `sent` holds the same values as the wire carried them (JSON-ready),
        which a bulk insert writes as they are instead of encoding the decoded ones again."""
        key = (table_name, values["id"])
        if not self.buffered:
            self.conn.execute(insert(table_of(table_name)).values(**values))
            return
        as_sent = sent is not None and not _has_python_defaults(table_name,
                                                                 frozenset(values))
        self._pending_rows[key] = ("insert", dict(sent) if as_sent and sent else dict(values))
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

    def record_applied(self, change_id: uuid.UUID, device_id: uuid.UUID, seq: int,
                       result: dict[str, Any], applied_at: datetime) -> None:
        """Remember a change's result (JSON-ready), so a retried push is answered the same.

        Only what the answer to a retry needs is kept (outcome, version, reason): the
        change's id and seq are columns already, and a result row per change is a fifth of
        what a push writes."""
        kept = {k: result[k] for k in ("outcome", "version", "reason")
                if result.get(k) is not None}
        if self.buffered:
            self._pending_applied.append({
                "change_id": change_id, "device_id": device_id, "seq": seq,
                "result": kept, "applied_at": self._iso(applied_at)})
        else:
            self.conn.execute(insert(_applied).values(
                change_id=change_id, device_id=device_id, seq=seq, result=kept,
                applied_at=applied_at))

    def _iso(self, moment: datetime) -> str:
        """`moment` as ISO text, worked out once: every change of a push records the same."""
        if self._iso_of is None or self._iso_of[0] != moment:
            self._iso_of = (moment, moment.isoformat())
        return self._iso_of[1]

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
                    params = {**values, _ROW_ID: row_id}
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

    def finish(self, last_sql: str, last_params: tuple[Any, ...]) -> None:
        """Flush, and run one more statement (`last_sql`, %s placeholders, no result) with the
        flush's last write where it can: a data-modifying WITH in front of the applied-change
        records' INSERT, one round trip fewer per push (the device's bookkeeping)."""
        applied, self._pending_applied = self._pending_applied, []
        self.flush()
        if applied and not _has_python_defaults(_applied.name, frozenset(applied[0])):
            self._insert_many(_applied, applied, before=(last_sql, last_params))
            return
        if applied:
            self._insert_many(_applied, applied)
        self.conn.exec_driver_sql(last_sql, last_params)

    def _insert_many(self, table: Table, rows: list[dict[str, Any]],
                     before: tuple[str, tuple[Any, ...]] | None = None) -> None:
        """Insert rows that all name the same columns, in one statement where it can; `before`
        (SQL, parameters) runs as a WITH of that statement."""
        names = tuple(rows[0])
        if _has_python_defaults(table.name, frozenset(names)):
            assert before is None, "a statement to run with an executemany"
            self.conn.execute(insert(table), rows)
            return
        sql, params = _insert_sql(table.name, names), (_document(rows),)
        if before is not None:
            sql, params = f"WITH _before AS ({before[0]}) {sql}", (*before[1], *params)
        self.conn.exec_driver_sql(sql, params)

    def _update_many(self, table: Table, columns: tuple[str, ...],
                     rows: list[dict[str, Any]]) -> None:
        """Update many rows in one statement instead of one statement per row."""
        self.conn.exec_driver_sql(_update_sql(table.name, columns),
                                  (_document(rows), len(rows)))

    def _upsert_metas(self, rows: list[dict[str, Any]]) -> None:
        """One INSERT ... ON CONFLICT for all stamps (each (table, row) at most once here)."""
        sql = _insert_sql(_meta.name, ("table_name", "row_id", "meta"),
                          "ON CONFLICT (table_name, row_id) DO UPDATE SET meta = excluded.meta")
        self.conn.exec_driver_sql(sql, (_document(rows),))
