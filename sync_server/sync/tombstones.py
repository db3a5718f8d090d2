"""Tombstone compaction: removing soft-deleted rows once no device can still need them.

A soft-deleted row (a tombstone) tells every replica to hide the row. It may be removed from
the server when both hold:

- it was deleted longer ago than the retention window (`INSTITUTE_TOMBSTONE_DAYS`), and
- every *active* device (seen within that window) has pulled past its version.

A device away longer than the window does not hold compaction back; its next pull finds its
cursor below `compacted_version` and is told to download its scope again (`reset_required`),
so it cannot keep, or bring back, a row that is gone. A tombstone that a live row still refers
to (a foreign key) stays. A later push that edits a removed row is refused by name (push.py):
the row is never recreated from a partial edit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, exists, func, select

from institute_core.schema import SYNCED_TABLES, table_of
from institute_core.sync.wire import CompactionResult
from sync_server.clock import now
from sync_server.sync.versions import VersionClock, last_handed_out

_clock = table_of("sync_clock")
_devices = table_of("sync_devices")
_meta = table_of("sync_field_versions")


def _pulled_by_all_active(conn: Connection, since: datetime, clock: int) -> int:
    """The highest version every device seen after `since` has pulled (the clock if none)."""
    lowest = conn.execute(select(func.min(func.coalesce(_devices.c.last_pull_version, 0)))
                          .where(_devices.c.last_seen_at >= since)).scalar()
    return clock if lowest is None else int(lowest)


def _referenced(table: Table) -> list[Any]:
    """Conditions true for a row of `table` that some row of another table points to."""
    conditions = []
    for other in table.metadata.tables.values():
        for fk in other.foreign_keys:
            if fk.column.table is table:
                # An alias, so that a table referring to itself is not correlated away.
                referrer = other.alias()
                conditions.append(exists().where(
                    referrer.c[fk.parent.name] == table.c[fk.column.name]))
    return conditions


def compact(engine: Engine, retention_days: int, *, at: datetime | None = None
            ) -> CompactionResult:
    """Remove the tombstones no device can still need (see the module docstring).

    Holds the writers lock exclusively, so no push or other compaction interleaves; children go
    before parents. Returns what was removed per table and the new `compacted_version`.
    """
    cutoff = (at or now()) - timedelta(days=retention_days)
    removed: dict[str, int] = {}
    with engine.begin() as conn:
        VersionClock(conn, exclusive=True)
        compacted = int(conn.execute(select(_clock.c.compacted_version)).scalar_one())
        limit = _pulled_by_all_active(conn, cutoff, last_handed_out(conn))
        for name in reversed(SYNCED_TABLES):
            table = table_of(name)
            gone = conn.execute(delete(table).where(
                table.c.deleted_at.is_not(None), table.c.deleted_at < cutoff,
                table.c.version <= limit, *(~c for c in _referenced(table)))
                .returning(table.c.id, table.c.version)).all()
            if not gone:
                continue
            removed[name] = len(gone)
            compacted = max(compacted, max(int(r.version) for r in gone))
            ids = [r.id for r in gone]
            for start in range(0, len(ids), 5000):
                conn.execute(delete(_meta).where(and_(
                    _meta.c.table_name == name, _meta.c.row_id.in_(ids[start:start + 5000]))))
        conn.execute(_clock.update().where(_clock.c.id == 1)
                     .values(compacted_version=compacted))
    return CompactionResult(compacted_version=compacted, removed=removed)

