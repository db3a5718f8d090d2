"""The local conflict log: every overwritten or refused value, kept for people to see."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects.sqlite import insert

from institute_core.schema import ConflictLogEntry
from institute_core.sync import wire
from institute_core.sync.hlc import HybridClock, Timestamp


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _row(record: wire.ConflictRecord) -> dict[str, Any]:
    return {
        "id": record.id, "table_name": record.table, "row_id": record.row_id,
        "field": record.field, "kind": record.kind,
        "kept_value": record.kept_value, "lost_value": record.lost_value,
        "kept_by": record.kept_by, "lost_by": record.lost_by,
        "kept_hlc": record.kept_hlc, "lost_hlc": record.lost_hlc,
        "kept_device": record.kept_device, "lost_device": record.lost_device,
        "server_version": record.server_version, "note": None,
        "created_at": _when(record.created_at) or datetime.now(UTC),
        "resolved_at": _when(record.resolved_at), "resolved_by": None,
    }


def store_conflicts(connection: Connection, records: Iterable[wire.ConflictRecord]) -> int:
    """Insert records by id (a record seen again only updates whether it was resolved)."""
    rows = [_row(r) for r in records]
    if not rows:
        return 0
    table = cast(Table, ConflictLogEntry.__table__)
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id], set_={"resolved_at": statement.excluded.resolved_at})
    connection.execute(statement, rows)
    return len(rows)


def record_local_conflict(connection: Connection, *, table: str, row_id: uuid.UUID, field: str,
                          kind: str, kept_value: Any, lost_value: Any, server_version: int,
                          note: str, kept_by: uuid.UUID | None = None) -> bool:
    """Log a conflict found on this device (a unique clash while applying a pulled row).

    Its id is derived from the row, field and server version so that meeting the same clash on
    every sync logs it once. True when it is new.
    """
    entry_id = uuid.uuid5(uuid.NAMESPACE_URL, f"local-conflict:{table}:{row_id}:{field}:"
                                              f"{server_version}")
    table_ = cast(Table, ConflictLogEntry.__table__)
    exists = connection.execute(select(table_.c.id).where(table_.c.id == entry_id)).first()
    if exists:
        return False
    connection.execute(insert(table_).values(
        id=entry_id, table_name=table, row_id=row_id, field=field, kind=kind,
        kept_value=kept_value, lost_value=lost_value, kept_by=kept_by, lost_by=None,
        kept_hlc=None, lost_hlc=None, kept_device=None, lost_device=None,
        server_version=server_version, note=note, created_at=datetime.now(UTC)))
    return True


def observe_stamps(clock: HybridClock, records: Iterable[wire.ConflictRecord]) -> None:
    """Move the clock past the stamps of edits seen in conflict records (unreadable ones skip)."""
    for record in records:
        for stamp in (record.kept_hlc, record.lost_hlc):
            if stamp:
                with contextlib.suppress(ValueError):
                    clock.observe(Timestamp.parse(stamp))
