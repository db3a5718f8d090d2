"""Creating server-side users (create-admin, tests): the row gets a version so it syncs."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert

from institute_core.enums import Role
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from institute_core.validation import validate_values
from sync_server.auth.passwords import hash_password
from sync_server.sync.versions import VersionClock


def create_user(conn: Connection, *, email: str, password: str, role: str,
                first_name: str, last_name: str, status: str = "active",
                employee_id: str | None = None) -> tuple[uuid.UUID, uuid.UUID | None]:
    """Insert a user (and, for faculty, their faculties row); returns (user id, faculty id)."""
    clock = VersionClock(conn)
    version = clock.next()
    stamp = utcnow()
    user_id = uuid.uuid4()
    values = {"id": user_id, "email": email.strip().lower(), "first_name": first_name,
              "last_name": last_name, "role": role, "status": status,
              "password_hash": hash_password(password), "created_at": stamp,
              "updated_at": stamp, "version": version}
    validate_values(table_of("users"), values)
    conn.execute(insert(table_of("users")).values(**values))
    faculty_id: uuid.UUID | None = None
    if role == Role.FACULTY.value:
        faculty_id = uuid.uuid4()
        conn.execute(insert(table_of("faculties")).values(
            id=faculty_id, user_id=user_id,
            employee_id=employee_id or f"EMP-{user_id.hex[:8].upper()}",
            created_at=stamp, updated_at=stamp, version=version))
    return user_id, faculty_id
