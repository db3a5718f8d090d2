"""/v1/health (the process answers) and /v1/ready (its database answers)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from institute_core.sync.wire import SCHEMA_VERSION
from sync_server.clock import now_ms
from sync_server.deps import EngineDep
from sync_server.errors import error_response

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, object]:
    return {"status": "ok", "schema_version": SCHEMA_VERSION, "server_time_ms": now_ms()}


@router.get("/ready", response_model=None)
def ready(engine: EngineDep) -> JSONResponse | dict[str, str]:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return error_response(503, "database_unavailable", "The database does not answer.")
    return {"status": "ready"}
