"""/v1/devices, /v1/sync/push, /v1/sync/pull and /v1/admin/*: thin, logic in services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from institute_core.sync.wire import (
    MAX_PULL_LIMIT,
    CompactionResult,
    DeviceInfo,
    DeviceRegistration,
    DeviceStatus,
    ErrorBody,
    PullResponse,
    PushResponse,
)
from sync_server.deps import ClientTime, CurrentUser, EngineDep, PushBody, SettingsDep
from sync_server.errors import ApiError
from sync_server.principal import Principal
from sync_server.sync import devices, pull, push, tombstones

_errors: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 413, 422, 426)}
router = APIRouter(tags=["sync"], responses=_errors)


@router.post("/devices", response_model=DeviceInfo, responses={409: {"model": ErrorBody}})
def register_device(body: DeviceRegistration, principal: CurrentUser, engine: EngineDep,
                    client_time: ClientTime) -> DeviceInfo:
    return devices.register(engine, principal, body, client_time)


@router.post("/sync/push", response_model=PushResponse, openapi_extra={"requestBody": {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}}}})
def push_changes(principal: CurrentUser, body: PushBody, engine: EngineDep,
                 settings: SettingsDep, client_time: ClientTime) -> Response:
    # The caller is checked before the body is read: a stranger gets 401, not a parse error.
    answer = push.push(engine, settings, principal, body, client_time)
    return Response(content=answer, media_type="application/json")


@router.get("/sync/pull", response_model=PullResponse)
def pull_rows(principal: CurrentUser, engine: EngineDep, settings: SettingsDep,
              client_time: ClientTime,
              cursor: Annotated[str, Query(max_length=2000)] = "",
              limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 1000,
              x_device_id: Annotated[uuid.UUID | None, Header()] = None) -> Response:
    device_id = x_device_id or principal.device_id
    page = pull.pull(engine, settings, principal, cursor, limit, device_id, client_time)
    return Response(content=page.to_json(), media_type="application/json",
                    headers=page.headers())


def _admin_only(principal: Principal, what: str) -> None:
    # The devices' health is part of the audit (audit.view).
    if not principal.may("audit.view"):
        raise ApiError(403, "forbidden", f"Only administrators can {what}.")


@router.get("/admin/devices", response_model=list[DeviceStatus])
def admin_devices(principal: CurrentUser, engine: EngineDep) -> list[DeviceStatus]:
    _admin_only(principal, "list devices")
    return devices.list_devices(engine, principal.viewer)


@router.post("/admin/compact", response_model=CompactionResult)
def admin_compact(principal: CurrentUser, engine: EngineDep,
                  settings: SettingsDep) -> CompactionResult:
    """Remove tombstones every active device has pulled past (see sync/tombstones.py)."""
    _admin_only(principal, "compact deleted rows")
    return tombstones.compact(engine, settings.tombstone_days)
