"""/v1/health (the process answers) and /v1/ready (its database answers, at the newest schema).

A load balancer sends traffic only to ready processes: one whose database is down or not yet
migrated to the schema this code expects answers 503 with the reason.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from institute_core import migrations
from institute_core.sync.wire import SCHEMA_VERSION
from sync_server.clock import now_ms
from sync_server.deps import EngineDep
from sync_server.errors import error_response

router = APIRouter(tags=["health"])


@cache
def expected_revision() -> str:
    """The migration head this code was written for (read once from the scripts)."""
    return migrations.head_revision()


@router.get("/health")
def health() -> dict[str, object]:
    return {"status": "ok", "schema_version": SCHEMA_VERSION, "server_time_ms": now_ms()}


@router.get("/ready", response_model=None)
def ready(engine: EngineDep) -> JSONResponse | dict[str, str]:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            revision = migrations.current_revision(conn)
    except SQLAlchemyError:
        return error_response(503, "database_unavailable", "The database does not answer.")
    head = expected_revision()
    if revision != head:
        return error_response(
            503, "schema_not_migrated",
            f"The database schema is at {revision or 'nothing'} but this server needs {head}: "
            f"run `institute-sync-server upgrade` first (it takes a restore point; a new "
            f"database: `migrate`).")
    return {"status": "ready"}
