"""Migration 0014 on a populated institute, SQLite (a replica) and PostgreSQL (the server):
roles become data with nothing lost. Every account keeps its role's name and exactly its old
meaning, the built-in roles are the same rows on every database, a custom role can be assigned
afterwards, and the step undoes cleanly (refusing while an account holds a custom role)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from institute_core import migrations
from institute_core.access import permissions as perms
from institute_core.schema import table_of

BEFORE = "0013"


def _populate(engine: Engine) -> None:
    at = datetime(2026, 6, 1, 9, tzinfo=UTC)
    with engine.begin() as conn:
        for role in perms.BUILT_IN_NAMES:
            conn.execute(insert(table_of("users")).values(
                id=uuid.uuid4(), email=f"{role}@centre.example.org", first_name=role,
                last_name="X", role=role, status="active", created_at=at, updated_at=at,
                version=7))


def _users(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return sorted((dict(r) for r in conn.execute(select(table_of("users"))).mappings()),
                      key=lambda r: r["email"])


def test_roles_become_data_with_nothing_lost_and_back(migration_engine: Engine) -> None:
    engine = migration_engine
    migrations.upgrade(engine, BEFORE)
    _populate(engine)
    before = _users(engine)

    migrations.upgrade(engine)
    assert _users(engine) == before  # every account, every value, versions included
    roles = table_of("roles")
    with engine.connect() as conn:
        seeded = {r["name"]: r for r in conn.execute(select(roles)).mappings()}
    assert set(seeded) == set(perms.BUILT_IN_NAMES)
    for name, row in seeded.items():
        # The same id everywhere, and exactly the meaning the fixed role had.
        assert row["id"] == perms.built_in_role_id(name)
        assert row["built_in"] is True
        assert perms.of_role(name, row) == perms.of_role(name), name
        # A replica leaves them "never synced"; the server gives them a version to pull.
        assert (row["version"] == 0) == (engine.dialect.name == "sqlite")
    assert "setup.super_admin" in perms.of_role("super_admin", seeded["super_admin"])
    assert "setup.super_admin" not in perms.of_role("admin", seeded["admin"])

    # A custom role can be held now that the CHECK listing five names is gone.
    with engine.begin() as conn:
        conn.execute(insert(roles).values(id=uuid.uuid4(), name="accountant",
                                          permissions=["fees.all_students"], built_in=False))
        conn.execute(update(table_of("users")).where(table_of("users").c.role == "student")
                     .values(role="accountant"))
    with pytest.raises(RuntimeError, match="custom role"):
        migrations.downgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(update(table_of("users")).where(table_of("users").c.role == "accountant")
                     .values(role="student"))
        conn.execute(delete(roles).where(roles.c.name == "accountant"))

    migrations.downgrade(engine, BEFORE)
    assert _users(engine) == before
    migrations.upgrade(engine)
    assert _users(engine) == before
