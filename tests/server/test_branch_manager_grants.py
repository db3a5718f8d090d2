"""A branch manager cannot grant what they lack, whatever their desk pushes (issue 17).

The desk's Roles screen refuses it first (tests/setup/test_roles.py); here a script holding the
manager's token pushes straight to the server: a role with a permission the manager lacks, the
same permission added to their own role, and an account moved to a role above theirs are each
refused with a reason stating the rule broken, and PostgreSQL keeps what it had; a role within
their permissions is accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import insert, select

from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from sync_server.settings import make_engine
from sync_server.sync.versions import VersionClock
from tests.server.conftest import Staff
from tests.server.helpers import PASSWORD, Device, new_row
from tests.support.server import create_user

MANAGER = ["setup.roles.manage", "setup.people.manage", "students.manage", "reports.view"]


def _role(url: str, name: str, permissions: list[str]) -> uuid.UUID:
    role_id = uuid.uuid4()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            stamp = utcnow()
            conn.execute(insert(table_of("roles")).values(
                id=role_id, name=name, permissions=permissions, built_in=False,
                created_at=stamp, updated_at=stamp, version=VersionClock(conn).next()))
    finally:
        engine.dispose()
    return role_id


def _stored(url: str, table: str, row_id: uuid.UUID) -> dict[str, object] | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            t = table_of(table)
            row = conn.execute(select(t).where(t.c.id == row_id)).mappings().first()
            return None if row is None else dict(row)
    finally:
        engine.dispose()


def test_a_branch_manager_cannot_grant_what_they_lack(
        server_db: str, staff: Staff, device: Callable[[str], Device]) -> None:
    role_id = _role(server_db, "branch_manager", MANAGER)
    create_user(server_db, email="manager@example.org", password=PASSWORD,
                role="branch_manager")
    manager = device("manager@example.org")
    before = _stored(server_db, "roles", role_id)
    refunder, helper = uuid.uuid4(), uuid.uuid4()
    results = manager.push(
        manager.change("roles", refunder, new_row(
            name="refunder", permissions=["fees.refund"], built_in=False)),
        manager.change("roles", role_id, {"permissions": [*MANAGER, "fees.refund"]},
                       base_version=int(before["version"])),  # type: ignore[index, call-overload]
        manager.change("users", staff.counselor, {"role": "admin"},
                       base_version=int(_stored(server_db, "users", staff.counselor)["version"])),  # type: ignore[index, call-overload]
        manager.change("roles", helper, new_row(
            name="report_reader", permissions=["reports.view"], built_in=False)))
    refused = results[:3]
    assert [r["outcome"] for r in results] == ["rejected", "rejected", "rejected", "applied"], \
        results
    assert all(r["reason"].startswith("not allowed: ") for r in refused), refused
    # The reason states the rule broken (the server's reasons name rules, not values).
    assert all("only permissions they hold" in r["reason"] for r in refused[:2]), refused
    # Nothing of the refused changes reached PostgreSQL.
    assert _stored(server_db, "roles", refunder) is None
    assert _stored(server_db, "roles", role_id)["permissions"] == MANAGER  # type: ignore[index]
    assert _stored(server_db, "users", staff.counselor)["role"] == "counselor"  # type: ignore[index]
    assert _stored(server_db, "roles", helper)["permissions"] == ["reports.view"]  # type: ignore[index]
