"""Device registration and the bookkeeping every request from a device refreshes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from institute_core.schema import table_of
from institute_core.sync.wire import DeviceInfo, DeviceRegistration, DeviceStatus
from sync_server.clock import now, now_ms
from sync_server.errors import ApiError
from sync_server.principal import Principal

_devices = table_of("sync_devices")


def _offset(client_time_ms: int | None) -> int | None:
    return None if client_time_ms is None else now_ms() - client_time_ms


def register(engine: Engine, principal: Principal, body: DeviceRegistration,
             client_time_ms: int | None) -> DeviceInfo:
    """Register (or re-register) a device for the caller; its sequence carries on."""
    values: dict[str, Any] = {"user_id": principal.user_id, "name": body.name,
                              "schema_version": body.schema_version, "last_seen_at": now()}
    if client_time_ms is not None:
        values["clock_offset_ms"] = _offset(client_time_ms)
    with engine.begin() as conn:
        # A replica may change hands (a shared front-desk PC); the device follows its new user.
        statement = pg_insert(_devices).values(device_id=body.device_id, registered_at=now(),
                                               last_seq=0, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=["device_id"], set_=values))
        last_seq = conn.execute(select(_devices.c.last_seq)
                                .where(_devices.c.device_id == body.device_id)).scalar_one()
    return DeviceInfo(device_id=body.device_id, user_id=principal.user_id,
                      last_seq=int(last_seq), server_time_ms=now_ms())


def lock_device(conn: Connection, principal: Principal, device_id: uuid.UUID) -> Any:
    """The caller's device row, locked for this transaction; 404/403 if it is not theirs."""
    row = conn.execute(select(_devices).where(_devices.c.device_id == device_id)
                       .with_for_update()).first()
    if row is None:
        raise ApiError(404, "device_not_registered",
                       "This device is not registered with the server; connect it again.")
    if row.user_id != principal.user_id:
        raise ApiError(403, "device_of_another_user",
                       "This device is registered to another user; connect it again.")
    return row


def touch(conn: Connection, device_id: uuid.UUID, client_time_ms: int | None,
          **values: Any) -> None:
    """Record that the device was seen (and how far its clock is off)."""
    values["last_seen_at"] = now()
    if client_time_ms is not None:
        values["clock_offset_ms"] = _offset(client_time_ms)
    conn.execute(update(_devices).where(_devices.c.device_id == device_id).values(**values))


def list_devices(engine: Engine) -> list[DeviceStatus]:
    """Every device with its owner, last contact and clock offset (for admins), latest first."""
    users = table_of("users")
    with engine.connect() as conn:
        rows = conn.execute(select(_devices, users.c.email)
                            .join(users, users.c.id == _devices.c.user_id)
                            .order_by(_devices.c.last_seen_at.desc().nulls_last())).all()
    return [DeviceStatus(
        device_id=r.device_id, user_id=r.user_id, email=r.email, name=r.name,
        last_seq=r.last_seq, last_seen_at=r.last_seen_at.isoformat() if r.last_seen_at else None,
        clock_offset_ms=r.clock_offset_ms, schema_version=r.schema_version,
        last_pull_version=r.last_pull_version) for r in rows]
