"""Device registration, the bookkeeping every request from a device refreshes, and the
failures its pushes meet (for the admins' device list)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from institute_core.numbering import series_code
from institute_core.schema import table_of
from institute_core.sync import scopes
from institute_core.sync.scopes import Viewer
from institute_core.sync.wire import DeviceInfo, DeviceRegistration, DeviceStatus
from sync_server.clock import now, now_ms
from sync_server.errors import ApiError
from sync_server.principal import Principal
from sync_server.sync.versions import restored_version, server_epoch

_devices = table_of("sync_devices")
MAX_REASON = 500  # the column's length


def _offset(client_time_ms: int | None) -> int | None:
    return None if client_time_ms is None else now_ms() - client_time_ms


DEVICE_OF_ANOTHER_USER = ("This device id is registered to another user: a device belongs to "
                          "the user who registered it first. Sign in with a new device id.")


SERIES_SEQUENCE = "sync_device_series"


def _reclaimed(conn: Connection, claimed: str | None) -> str | None:
    """`claimed` when no device holds it; the sequence then moves past it, so it is never
    given to another device."""
    if claimed is None or conn.execute(select(_devices.c.device_id).where(
            _devices.c.series_code == claimed)).first() is not None:
        return None
    digits = claimed[1:]
    if claimed.startswith("D") and digits.isdigit():
        conn.execute(text(f"SELECT setval('{SERIES_SEQUENCE}', GREATEST(:n, "
                          f"(SELECT last_value FROM {SERIES_SEQUENCE})))"), {"n": int(digits)})
    return claimed


def register(engine: Engine, principal: Principal, body: DeviceRegistration,
             client_time_ms: int | None) -> DeviceInfo:
    """Register (or re-register) a device for the caller; its sequence carries on.

    A device id already registered to another user is refused (409) and nothing moves: its
    sequence numbers are its owner's, and a device that changed hands would have the owner's
    next changes answered "duplicate" and dropped. A desk where another person signs in gets a
    device id of its own (institute_core/sync/account.py).
    """
    values: dict[str, Any] = {"name": body.name, "schema_version": body.schema_version,
                              "last_seen_at": now()}
    if client_time_ms is not None:
        values["clock_offset_ms"] = _offset(client_time_ms)
    with engine.begin() as conn:
        known = conn.execute(select(_devices.c.series_code)
                             .where(_devices.c.device_id == body.device_id)).first()
        # A known device keeps its code (never re-given); a new one takes the next, unless it
        # numbered receipts in a series before that no device holds now (the server was
        # restored from a backup older than its registration): it carries on with that one.
        code = known.series_code if known is not None else None
        if code is None:
            code = _reclaimed(conn, body.series_code) or series_code(int(conn.execute(
                text(f"SELECT nextval('{SERIES_SEQUENCE}')")).scalar_one()))
        new_device = pg_insert(_devices).values(
            device_id=body.device_id, user_id=principal.user_id, registered_at=now(), last_seq=0,
            series_code=code, **values)
        # One statement: of two users racing for a new id, exactly one gets it. A device
        # registered before series existed gets one now (coalesce keeps an existing code).
        statement = new_device.on_conflict_do_update(
            index_elements=["device_id"],
            set_={**values, "series_code": func.coalesce(_devices.c.series_code,
                                                         new_device.excluded.series_code)},
            where=_devices.c.user_id == principal.user_id).returning(_devices.c.last_seq,
                                                                      _devices.c.series_code)
        registered = conn.execute(statement).first()
        epoch, restored = server_epoch(conn), restored_version(conn)
    if registered is None:
        raise ApiError(409, "device_of_another_user", DEVICE_OF_ANOTHER_USER)
    return DeviceInfo(device_id=body.device_id, user_id=principal.user_id,
                      last_seq=int(registered.last_seq), server_time_ms=now_ms(), epoch=epoch,
                      restored_version=restored, series_code=registered.series_code)


def refuse_unless_mine(row: Any, principal: Principal) -> None:
    """404 when the device is not registered (`row` None), 403 when it is another user's."""
    if row is None:
        raise ApiError(404, "device_not_registered",
                       "This device is not registered with the server; connect it again.")
    if row.user_id != principal.user_id:
        raise ApiError(403, "device_of_another_user",
                       "This device is registered to another user; connect it again.")


# What a successful push notes on its device: how far it applied, when, how far the desk's
# clock is off (when it said), and no failure any more. SQL text so that the push can run it
# as part of its last write (store.BatchStore.finish) instead of a round trip of its own.
_PUSH_SUCCEEDED = (
    "UPDATE sync_devices SET last_seq = %s, schema_version = %s, last_seen_at = %s,"
    " last_push_at = %s, clock_offset_ms = COALESCE(%s, clock_offset_ms),"
    " push_failing_since = NULL, push_failed_at = NULL, push_failure_ref = NULL,"
    " push_failure_reason = NULL"
    " WHERE device_id = %s")


def push_succeeded(device_id: uuid.UUID, client_time_ms: int | None, last_seq: int,
                   schema_version: int) -> tuple[str, tuple[Any, ...]]:
    """The statement (SQL, parameters) recording a successful push on its device."""
    at = now()
    return _PUSH_SUCCEEDED, (last_seq, schema_version, at, at, _offset(client_time_ms),
                             device_id)


# Bookkeeping only: losing it in a crash makes the server think the device pulled less far
# (tombstones are then kept longer), so its commit need not wait for the disk. Run on its own
# (autocommit), set_config in FROM makes this statement's commit asynchronous: one round trip
# where BEGIN, SET LOCAL, a read, the update and COMMIT were five.
_NOTE_PULL = text(
    "UPDATE sync_devices SET last_seen_at = :seen,"
    " clock_offset_ms = COALESCE(:offset, clock_offset_ms),"
    " last_pull_version = COALESCE(:pulled, last_pull_version)"
    " FROM set_config('synchronous_commit', 'off', true)"
    " WHERE device_id = :device AND user_id = :user RETURNING last_seq")


def note_pull(conn: Connection, user_id: uuid.UUID, device_id: uuid.UUID,
              client_time_ms: int | None, finished_at: int | None) -> int | None:
    """Record that `user_id`'s device was seen pulling (and how far, when `finished_at`);
    returns its last applied seq, or None when the server does not know the device as theirs
    (nothing is written then; the desk tells a restored server by this, docs/sync.md).
    `conn` must be in autocommit."""
    seq = conn.execute(_NOTE_PULL, {"seen": now(), "offset": _offset(client_time_ms),
                                    "pulled": finished_at, "device": device_id,
                                    "user": user_id}).scalar()
    return None if seq is None else int(seq)


def record_push_failure(engine: Engine, principal: Principal, device_id: uuid.UUID, ref: str,
                        reason: str) -> None:
    """Note on the caller's device that a push failed (its own transaction: the push's was
    rolled back). The first failure since the last success stays as "failing since"."""
    at = now()
    with engine.begin() as conn:
        conn.execute(update(_devices)
                     .where(_devices.c.device_id == device_id,
                            _devices.c.user_id == principal.user_id)
                     .values(push_failing_since=func.coalesce(_devices.c.push_failing_since, at),
                             push_failed_at=at, push_failure_ref=ref,
                             push_failure_reason=reason[:MAX_REASON], last_seen_at=at))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def list_devices(engine: Engine, viewer: Viewer | None = None) -> list[DeviceStatus]:
    """The devices `viewer` may look after, with their owner, last contact and clock offset,
    latest first: every device for the server's operator (no viewer) and for someone who sees
    every branch; otherwise their own and those of accounts working in one of their
    branches."""
    users = table_of("users")
    query = (select(_devices, users.c.email).join(users, users.c.id == _devices.c.user_id)
             .order_by(_devices.c.last_seen_at.desc().nulls_last()))
    with engine.connect() as conn:
        if viewer is not None and viewer.branch_limited:
            viewer = scopes.with_students(conn, viewer)
            links = table_of("user_branches")
            in_theirs = (select(links.c.user_id)
                         .where(links.c.deleted_at.is_(None),
                                scopes.in_branches("user_branches", viewer)))
            query = query.where(or_(_devices.c.user_id == viewer.user_id,
                                    _devices.c.user_id.in_(in_theirs)))
        rows = conn.execute(query).all()
    return [DeviceStatus(
        device_id=r.device_id, user_id=r.user_id, email=r.email, name=r.name,
        last_seq=r.last_seq, last_seen_at=_iso(r.last_seen_at),
        clock_offset_ms=r.clock_offset_ms, schema_version=r.schema_version,
        last_pull_version=r.last_pull_version, last_push_at=_iso(r.last_push_at),
        push_failing_since=_iso(r.push_failing_since), push_failed_at=_iso(r.push_failed_at),
        push_failure_ref=r.push_failure_ref, push_failure_reason=r.push_failure_reason)
        for r in rows]
