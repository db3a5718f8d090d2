"""The FastAPI application: routers under /v1, error handlers, request guards.

`uvicorn sync_server.app:build_app --factory` builds it from the environment; every process
builds its own engine and keeps no other state, so several workers can share one database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from institute_core.collector import freeze_startup_objects
from institute_core.sync.wire import SCHEMA_VERSION, PushRequest
from sync_server.auth.router import router as auth_router
from sync_server.errors import install_error_handlers
from sync_server.failures import FailureMiddleware
from sync_server.health import router as health_router
from sync_server.messages.router import router as messages_router
from sync_server.middleware import AccessLogMiddleware, GuardMiddleware, LoginThrottleMiddleware
from sync_server.openapi_refusals import document_refusals
from sync_server.portal.codes_api import router as portal_codes_router
from sync_server.portal.router import router as portal_router
from sync_server.portal.verify import router as verify_router
from sync_server.settings import Settings, make_engine
from sync_server.sync.router import router as sync_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app for `settings` (default: from the environment)."""
    settings = (settings or Settings()).checked()
    # hide_parameters: a failure's traceback goes to the log (sync_server/failures.py), and the
    # values of the statement it failed on (people's names, phones) must not go with it.
    # Every connection the pool opens stays open (no overflow): with overflow, a busy server
    # closed the connections above the pool's size as each request returned them and opened
    # new ones for the next, a PostgreSQL backend started (and its caches and prepared
    # statements lost) for most requests under 200 desks.
    engine = make_engine(settings.database_url, pool_size=2 * settings.db_pool_size,
                         max_overflow=0, hide_parameters=True)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_objects()
        yield
        engine.dispose()

    app = FastAPI(title="Institute Desk sync server", version=str(SCHEMA_VERSION),
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)
    app.add_middleware(GuardMiddleware, max_body_bytes=settings.max_body_bytes,
                       min_schema=settings.min_client_schema)
    app.add_middleware(LoginThrottleMiddleware)
    # Around every other layer (the sign-in throttle reads the database too), inside the
    # access log, which then records the 500 it answers.
    app.add_middleware(FailureMiddleware)
    app.add_middleware(AccessLogMiddleware)  # outermost: refused requests are logged too
    v1 = APIRouter(prefix="/v1")
    v1.include_router(health_router)
    v1.include_router(auth_router)
    v1.include_router(sync_router)
    v1.include_router(portal_codes_router)
    v1.include_router(messages_router)
    app.include_router(v1)
    app.include_router(portal_router)  # HTML pages for students and guardians (/portal)
    app.include_router(verify_router)  # the public certificate check (/portal/verify)
    _document_bodies_parsed_by_hand(app)
    return app


def _document_bodies_parsed_by_hand(app: FastAPI) -> None:
    """Put the schemas of bodies a dependency parses itself (the push) into /openapi.json,
    which FastAPI only fills from declared body parameters."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (PushRequest,):
                document = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(document.pop("$defs", {}))
                components[model.__name__] = document
            document_refusals(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_app() -> FastAPI:
    """Uvicorn factory entry point (`--factory`)."""
    return create_app()
