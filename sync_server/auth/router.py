"""/v1/auth: login, refresh, logout, me."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from institute_core.sync.wire import ErrorBody, LoginRequest, RefreshRequest, TokenPair, UserInfo
from sync_server.auth import service
from sync_server.deps import CurrentUser, EngineDep, SettingsDep

router = APIRouter(prefix="/auth", tags=["auth"],
                   responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                              422: {"model": ErrorBody}})


@router.post("/login", response_model=TokenPair, responses={429: {"model": ErrorBody}})
async def login(body: LoginRequest, engine: EngineDep, settings: SettingsDep) -> TokenPair:
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await run_in_threadpool(service.login, engine, settings, body)


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, engine: EngineDep, settings: SettingsDep) -> TokenPair:
    return service.refresh(engine, settings, body.refresh_token)


@router.post("/logout", status_code=204)
def logout(principal: CurrentUser, engine: EngineDep) -> None:
    service.logout(engine, principal)


@router.get("/me", response_model=UserInfo)
def me(principal: CurrentUser, engine: EngineDep) -> UserInfo:
    return service.me(engine, principal)
