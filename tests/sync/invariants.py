"""What must hold on every side after desks and the server have synced, worked out from the
schema: links and unique keys intact, each replica equal to the server for its user, every
change of every device applied exactly once, and a replayed push changing nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, func, select
from sqlalchemy.sql.schema import UniqueConstraint

from institute_core.replica import Replica
from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, table_of
from institute_core.sync.apply import parked_rows
from institute_core.sync.codec import decode_fields, encode_value
from institute_core.sync.scopes import Viewer
from sync_server.settings import make_engine
from tests.sync.builders import comparable, replica_rows, server_rows


def broken_links(connection: Connection, tables: tuple[str, ...] = SYNCED_TABLES) -> list[str]:
    """Every foreign key of the given tables whose value names no row, as 'table.column: n'."""
    found = []
    for name in tables:
        table = table_of(name)
        for fk in table.foreign_keys:
            child, parent = fk.parent, fk.column
            orphans = connection.execute(select(func.count()).select_from(table).where(
                child.isnot(None),
                ~exists().where(parent == child))).scalar_one()
            if orphans:
                found.append(f"{name}.{child.name}: {orphans} row(s) name a missing "
                             f"{parent.table.name}")
    return found


def duplicate_keys(connection: Connection, tables: tuple[str, ...] = SYNCED_TABLES
                   ) -> list[str]:
    """Every unique constraint of the given tables that two rows share a value of."""
    found = []
    for name in tables:
        table = table_of(name)
        for constraint in table.constraints:
            if not isinstance(constraint, UniqueConstraint):
                continue
            columns = list(constraint.columns)
            clashes = connection.execute(
                select(*columns).where(and_(*(c.isnot(None) for c in columns)))
                .group_by(*columns).having(func.count() > 1)).all()
            if clashes:
                found.append(f"{name}({', '.join(c.name for c in columns)}): {clashes}")
    return found


def assert_links_and_keys_hold(connection: Connection, where: str) -> None:
    problems = broken_links(connection) + duplicate_keys(connection)
    assert not problems, f"{where}: " + "; ".join(problems)


def held_rows(replica: Replica) -> dict[str, dict[str, dict[str, Any]]]:
    """The rows a replica holds: its tables, and the rows parked waiting for a parent it may
    not see (docs/sync.md), each value encoded like `replica_rows`."""
    rows = replica_rows(replica)
    for entry in parked_rows(replica):
        local = MODEL_BY_TABLE[entry.table].__local_columns__
        values = decode_fields(table_of(entry.table), {
            k: v for k, v in entry.values.items() if k not in ("id", "version")})
        rows[entry.table][str(entry.id)] = {
            "id": str(entry.id), "version": entry.version,
            **{k: encode_value(v) for k, v in values.items() if k not in local}}
    return rows


def differences(url: str, replica: Replica, viewer: Viewer) -> list[str]:
    """Tables (and the rows) where a replica differs from what the server shows its user,
    compared column by column for every synced table (parked rows count as held)."""
    ours = comparable(held_rows(replica), admin=viewer.sees_private)
    theirs = comparable(server_rows(url, viewer), admin=viewer.sees_private)
    out = []
    for table in SYNCED_TABLES:
        mine, server = ours[table], theirs[table]
        if mine == server:
            continue
        extra = sorted(set(mine) - set(server))
        missing = sorted(set(server) - set(mine))
        changed = {i: {k: (mine[i][k], server[i].get(k)) for k in mine[i]
                       if mine[i][k] != server[i].get(k)}
                   for i in set(mine) & set(server) if mine[i] != server[i]}
        out.append(f"{table}: only here {extra}, missing {missing}, differing {changed}")
    return out


def server_snapshot(url: str) -> dict[str, Any]:
    """Everything a push may change on the server (rows, conflict log, applied changes)."""
    rows = server_rows(url, Viewer(uuid.UUID(int=0), "admin"))
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            for name in ("sync_conflicts", "sync_applied_changes", "sync_field_versions"):
                rows[name] = {"count": c.execute(select(func.count()).select_from(
                    table_of(name))).scalar_one()}
    finally:
        engine.dispose()
    return rows


def device_ledger(engine: Engine, device_id: uuid.UUID) -> tuple[int, int, int, int]:
    """(last_seq the server keeps, changes stored, distinct change ids, highest stored seq)."""
    devices, applied = table_of("sync_devices"), table_of("sync_applied_changes")
    with engine.connect() as c:
        last = c.execute(select(devices.c.last_seq).where(
            devices.c.device_id == device_id)).scalar()
        stored, distinct, top = c.execute(select(
            func.count(), func.count(applied.c.change_id.distinct()),
            func.coalesce(func.max(applied.c.seq), 0)).where(
            applied.c.device_id == device_id)).one()
    return int(last or 0), int(stored), int(distinct), int(top)
