"""/v1/devices, /v1/sync/push, /v1/sync/pull and /v1/admin/devices: thin, logic in services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel

from institute_core.sync.wire import (
    MAX_PULL_LIMIT,
    DeviceInfo,
    DeviceRegistration,
    ErrorBody,
    PullResponse,
    PushRequest,
    PushResponse,
)
from sync_server.deps import ClientTime, CurrentUser, EngineDep, SettingsDep
from sync_server.errors import ApiError
from sync_server.sync import devices, pull, push

_errors: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 413, 422, 426)}
router = APIRouter(tags=["sync"], responses=_errors)


@router.post("/devices", response_model=DeviceInfo)
def register_device(body: DeviceRegistration, principal: CurrentUser, engine: EngineDep,
                    client_time: ClientTime) -> DeviceInfo:
    return devices.register(engine, principal, body, client_time)


def _json(model: BaseModel) -> Response:
    """Send a model the service built: FastAPI would validate it a second time otherwise."""
    return Response(content=model.model_dump_json(), media_type="application/json")


@router.post("/sync/push", response_model=PushResponse)
def push_changes(body: PushRequest, principal: CurrentUser, engine: EngineDep,
                 settings: SettingsDep, client_time: ClientTime) -> Response:
    return _json(push.push(engine, settings, principal, body, client_time))


@router.get("/sync/pull", response_model=PullResponse)
def pull_rows(principal: CurrentUser, engine: EngineDep, settings: SettingsDep,
              client_time: ClientTime,
              cursor: Annotated[str, Query(max_length=2000)] = "",
              limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 1000,
              x_device_id: Annotated[uuid.UUID | None, Header()] = None) -> Response:
    device_id = x_device_id or principal.device_id
    return _json(pull.pull(engine, settings, principal, cursor, limit, device_id, client_time))


@router.get("/admin/devices")
def admin_devices(principal: CurrentUser, engine: EngineDep) -> list[dict[str, Any]]:
    if not principal.viewer.is_admin:
        raise ApiError(403, "forbidden", "Only administrators can list devices.")
    return devices.list_devices(engine)
