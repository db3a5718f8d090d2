"""The post-sync check (Anki's sanity check): do the server and this replica hold as many rows?

Local counts take every row (soft-deleted too, as the server counts them), minus rows created
here and not uploaded yet, plus rows parked waiting for a parent. A table that still differs
after one more pull is repaired: the whole scope is pulled again and local rows the server no
longer sends (and that have no edit waiting) are removed – that is how rows that left this
user's scope disappear.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import and_, delete, func, select

from institute_core.replica import Replica
from institute_core.schema import SYNCED_TABLES, OutboxEntry, table_of
from institute_core.sync.apply import PARKED_KEY


def local_counts(replica: Replica) -> dict[str, int]:
    """Rows per synced table as the server should count them for this replica."""
    parked: dict[str, set[str]] = {}
    for entry in replica.get_state(PARKED_KEY, []):
        parked.setdefault(entry["table"], set()).add(entry["id"])
    counts: dict[str, int] = {}
    with replica.engine.connect() as connection, connection.begin():
        for name in SYNCED_TABLES:
            table = table_of(name)
            not_uploaded = select(OutboxEntry.row_id).where(OutboxEntry.table_name == name)
            counts[name] = int(connection.execute(
                select(func.count()).select_from(table).where(
                    ~and_(table.c.version == 0, table.c.id.in_(not_uploaded)))).scalar_one())
            waiting = parked.get(name)
            if waiting:
                present = connection.execute(select(func.count()).select_from(table).where(
                    table.c.id.in_([uuid.UUID(i) for i in waiting]))).scalar_one()
                counts[name] += len(waiting) - int(present)
    return counts


def mismatches(server: Mapping[str, int], local: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    """Tables whose counts differ: name -> (server, local). A table the server omits counts 0."""
    return {name: (server.get(name, 0), local.get(name, 0)) for name in SYNCED_TABLES
            if server.get(name, 0) != local.get(name, 0)}


def remove_unsent(replica: Replica, seen: Mapping[str, set[uuid.UUID]]) -> dict[str, int]:
    """After a full pull: delete local rows the server did not send and no edit waits for.

    Children first (the reverse of SYNCED_TABLES), in one transaction. Returns rows removed per
    table (only tables where something was removed).
    """
    removed: dict[str, int] = {}
    with replica.apply_remote() as connection:
        waiting = {(t, r) for t, r in connection.execute(
            select(OutboxEntry.table_name, OutboxEntry.row_id))}
        for name in reversed(SYNCED_TABLES):
            table = table_of(name)
            sent = seen.get(name, set())
            extra = [row_id for row_id in connection.execute(select(table.c.id)).scalars()
                     if row_id not in sent and (name, row_id) not in waiting]
            for start in range(0, len(extra), 500):
                connection.execute(delete(table).where(table.c.id.in_(extra[start:start + 500])))
            if extra:
                removed[name] = len(extra)
    return removed
