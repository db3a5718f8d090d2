"""Request dependencies as `Annotated` aliases: settings, database engine, signed-in caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import Engine

from institute_core.sync.wire import PushRequest
from sync_server.auth import service as auth_service
from sync_server.errors import ApiError
from sync_server.failures import note_device
from sync_server.principal import Principal
from sync_server.settings import Settings


# The dependencies that only read what the app holds are coroutines: FastAPI runs a plain
# function dependency on a worker thread, and each such hop (a thread, then waking the event
# loop) cost more than the request's own work in these.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def get_principal(request: Request, engine: EngineDep, settings: SettingsDep,
                  authorization: Annotated[str | None, Header()] = None) -> Principal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(401, "not_authenticated", "Sign in first (no bearer token was sent).",
                       headers={"WWW-Authenticate": "Bearer"})
    principal = auth_service.authenticate(engine, settings, authorization[7:].strip())
    note_device(request.state, principal.device_id)
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]


# Milliseconds since 1970 up to the end of year 9999: any real clock, and an offset from it
# always fits the column it is stored in.
MAX_CLIENT_TIME_MS = 253_402_300_799_999


async def get_client_time(x_client_time_ms: Annotated[
        int | None, Header(ge=0, le=MAX_CLIENT_TIME_MS)] = None) -> int | None:
    """The device's wall clock at sending (milliseconds), to record its offset."""
    return x_client_time_ms


ClientTime = Annotated[int | None, Depends(get_client_time)]


async def get_push_request(request: Request) -> PushRequest:
    """The push body parsed straight from its bytes by pydantic's JSON parser: FastAPI's own
    body handling decodes to Python objects first and then validates them, twice the work
    on the largest body the server takes. Errors read the same as FastAPI's."""
    try:
        return PushRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc


PushBody = Annotated[PushRequest, Depends(get_push_request)]
