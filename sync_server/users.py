"""Creating server-side users (create-admin, tests): the row gets a version so it syncs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from institute_core.access import permissions as perms
from institute_core.enums import Role
from institute_core.ids import natural_id
from institute_core.schema import MAIN_BRANCH_ID, table_of
from institute_core.schema.types import utcnow
from institute_core.validation import validate_values
from sync_server.auth.passwords import hash_password
from sync_server.sync.versions import VersionClock


def create_user(conn: Connection, *, email: str, password: str, role: str,
                first_name: str, last_name: str, status: str = "active",
                employee_id: str | None = None,
                branches: Sequence[uuid.UUID] = (MAIN_BRANCH_ID,)
                ) -> tuple[uuid.UUID, uuid.UUID | None]:
    """Insert a user (and, for faculty, their faculties row); returns (user id, faculty id).

    A staff account works in `branches` (the first is a faculty member's home branch)."""
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
    if role != Role.STUDENT.value and branches:
        conn.execute(insert(table_of("user_branches")), [
            {"id": natural_id("user_branches", user_id, branch), "user_id": user_id,
             "branch_id": branch, "created_at": stamp, "updated_at": stamp, "version": version}
            for branch in branches])
    faculty_id: uuid.UUID | None = None
    if "attendance.mark" in _grants(conn, role):  # teaching needs a faculty profile
        faculty_id = uuid.uuid4()
        conn.execute(insert(table_of("faculties")).values(
            id=faculty_id, user_id=user_id, branch_id=branches[0] if branches else MAIN_BRANCH_ID,
            employee_id=employee_id or f"EMP-{user_id.hex[:8].upper()}",
            created_at=stamp, updated_at=stamp, version=version))
    return user_id, faculty_id


def _grants(conn: Connection, role: str) -> frozenset[str]:
    """What role `role` grants on this server: its `roles` row (an owner's role too), else the
    built-in set."""
    roles = table_of("roles")
    row = conn.execute(select(roles.c.permissions, roles.c.deleted_at)
                       .where(roles.c.name == role)).mappings().first()
    return perms.of_role(role, dict(row) if row is not None else None)
