"""The one write path of a replica: a unit of work that captures every change for sync.

Every insert, update and soft delete of a synced table made through `unit_of_work` is validated,
stamped (updated_at, hybrid clock) and recorded in `sync_outbox` in the same transaction. A
guard on the engine refuses any write to a synced table that does not come from such a flush
(or from applying pulled rows), so no code path can change data without it being synced.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import instance_state

from institute_core.audit.capture import AuditTrail
from institute_core.branches.defaults import fill_branch
from institute_core.ids import natural_id
from institute_core.schema import SYNCED_TABLES, AuditEntry, OutboxEntry, Synced
from institute_core.schema.types import utcnow
from institute_core.sync.codec import encode_value
from institute_core.sync.hlc import HybridClock
from institute_core.validation import explain_integrity_error, validate_values


@dataclass(frozen=True)
class Actor:
    """Who is writing, from which device: recorded with every change."""

    user_id: uuid.UUID | None
    device_id: uuid.UUID


class UncapturedWrite(RuntimeError):
    """A write to a synced table that bypassed the unit of work (it would never sync)."""


class HardDeleteRefused(RuntimeError):
    """Synced rows are soft-deleted (deleted_at), never removed."""


# Columns that are bookkeeping, not edits: the server assigns `version`, and `id` is the key.
_NOT_SENT = frozenset({"id", "version"})

_WRITE = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+\"?(\w+)\"?",
    re.IGNORECASE,
)
_SYNCED = frozenset(SYNCED_TABLES)
# Built once: a statement object remembers its cache key, so each flush skips recomputing it.
_INSERT_AUDIT = insert(AuditEntry)
_INSERT_OUTBOX = insert(OutboxEntry)


def install_write_guard(engine: Engine) -> None:
    """Refuse writes to synced tables outside a capturing flush or a sync apply."""

    @event.listens_for(engine, "before_cursor_execute")
    def _guard(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        match = _WRITE.match(statement)
        if match is None or match.group(1) not in _SYNCED:
            return
        if conn.info.get("capturing") or conn.info.get("sync_apply"):
            return
        raise UncapturedWrite(
            f"write to synced table {match.group(1)!r} outside the unit of work; "
            "use Replica.write() so the change is recorded for sync")

    @event.listens_for(engine, "checkin")
    def _forget_flags(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        # A failed flush never reaches after_flush_postexec; never hand a pooled connection
        # out again with its write permission still set.
        record.info.pop("capturing", None)
        record.info.pop("sync_apply", None)


def _values_of(obj: Synced, keys: list[str]) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in keys}


@dataclass(frozen=True)
class _ModelColumns:
    keys: list[str]
    sent: frozenset[str]  # what the outbox carries: not bookkeeping, not device-local
    scalar_defaults: tuple[tuple[str, Any], ...]


# Per model class, worked out once: a flush of 30 rows otherwise walks the mapper 30 times.
_COLUMNS: dict[type, _ModelColumns] = {}


def _columns_of(obj: Synced) -> _ModelColumns:
    model = type(obj)
    found = _COLUMNS.get(model)
    if found is None:
        keys = [attr.key for attr in model.__mapper__.column_attrs]  # type: ignore[attr-defined]
        table = model.__table__  # type: ignore[attr-defined]
        found = _COLUMNS[model] = _ModelColumns(
            keys, frozenset(keys) - _NOT_SENT - model.__local_columns__,
            tuple((column.key, column.default.arg) for column in table.columns
                  if column.default is not None and column.default.is_scalar))
    return found


def _column_keys(obj: Synced) -> list[str]:
    return _columns_of(obj).keys


def _changed_keys(obj: Synced) -> list[str]:
    state = instance_state(obj)
    columns = state.mapper.column_attrs
    return [attr.key for attr in state.attrs if attr.key in columns and attr.history.has_changes()]


def _prepare(session: Session, _context: Any, _instances: Any) -> None:
    """before_flush: refuse hard deletes, stamp times, derive natural ids, validate."""
    now = utcnow()
    for obj in session.deleted:
        if isinstance(obj, Synced):
            raise HardDeleteRefused(
                f"{obj.__tablename__}: rows are never removed; set deleted_at instead")  # type: ignore[attr-defined]
    for obj in session.new:
        if not isinstance(obj, Synced):
            continue
        natural = type(obj).__natural_key__
        if natural and obj.id is None:
            obj.id = natural_id(obj.__tablename__, *(getattr(obj, k) for k in natural))  # type: ignore[attr-defined]
        if obj.id is None:
            obj.id = uuid.uuid4()
        obj.created_at = obj.created_at or now
        obj.updated_at = now
        obj.version = obj.version or 0
        fill_branch(session, obj, session.info["actor"].user_id)
        values = _values_of(obj, _column_keys(obj))
        # Scalar defaults are applied at INSERT time; validate as if they were given.
        for key, default in _columns_of(obj).scalar_defaults:
            if values.get(key) is None:
                values[key] = default
        validate_values(obj.__table__, values)  # type: ignore[attr-defined]
    for obj in session.dirty:
        if not isinstance(obj, Synced) or not session.is_modified(obj):
            continue
        keys = _changed_keys(obj)
        if not keys:
            continue
        obj.updated_at = now
        validate_values(obj.__table__, _values_of(obj, _column_keys(obj)))  # type: ignore[attr-defined]
    session.connection().info["capturing"] = True


def _capture(session: Session, _context: Any) -> None:
    """after_flush: record what this flush wrote, one outbox entry per row."""
    actor: Actor = session.info["actor"]
    clock: HybridClock = session.info["clock"]
    rows: list[dict[str, Any]] = []
    # The audit trail of this flush, in its transaction; its entries sync like any other row.
    trail = AuditTrail(session, actor)
    for obj, keys in _flushed(session):
        sent = _columns_of(obj).sent
        fields = {k: encode_value(getattr(obj, k)) for k in keys if k in sent}
        if not fields:
            continue
        rows.append({
            "change_id": uuid.uuid4(),
            "table_name": obj.__tablename__,  # type: ignore[attr-defined]
            "row_id": obj.id,
            "fields": fields,
            "hlc": clock.now().encode(),
            "author_id": actor.user_id,
            "device_id": actor.device_id,
            "base_version": obj.version or 0,
            "created_at": utcnow(),
        })
        trail.note(obj, fields)
    if trail.entries:
        session.connection().execute(_INSERT_AUDIT, trail.entries)
        rows.extend({
            "change_id": uuid.uuid4(), "table_name": AuditEntry.__tablename__,
            "row_id": entry["id"], "fields": trail.outbox_fields(entry),
            "hlc": clock.now().encode(), "author_id": actor.user_id,
            "device_id": actor.device_id, "base_version": 0, "created_at": entry["created_at"],
        } for entry in trail.entries)
    if rows:
        session.connection().execute(_INSERT_OUTBOX, rows)


def _flushed(session: Session) -> Iterator[tuple[Synced, list[str]]]:
    for obj in session.new:
        if isinstance(obj, Synced):
            yield obj, _column_keys(obj)
    for obj in session.dirty:
        if isinstance(obj, Synced):
            keys = _changed_keys(obj)
            if keys:
                yield obj, keys


def _end_capture(session: Session, _context: Any) -> None:
    session.connection().info.pop("capturing", None)


@contextmanager
def unit_of_work(sessions: sessionmaker[Session], actor: Actor,
                 clock: HybridClock) -> Iterator[Session]:
    """One transaction: everything inside commits together with its outbox entries, or nothing.

    Constraint violations come out as `InvalidInput` naming the table and field.
    """
    session = sessions(info={"actor": actor, "clock": clock})
    event.listen(session, "before_flush", _prepare)
    event.listen(session, "after_flush", _capture)
    event.listen(session, "after_flush_postexec", _end_capture)
    try:
        with session.begin():
            yield session
    except IntegrityError as exc:
        raise explain_integrity_error(exc) from exc
    finally:
        session.close()
