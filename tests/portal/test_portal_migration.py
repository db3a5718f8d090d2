"""Migration 0012 (portal sessions and sign-in codes) goes down and up again on both
databases, and the models still agree with the result."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from institute_core import migrations
from tests.foundation.test_migrations import _differences

PORTAL_TABLES = {"portal_sessions", "portal_sign_in_codes"}


def test_portal_tables_come_and_go_with_0012(migration_engine: Engine) -> None:
    engine = migration_engine
    migrations.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= PORTAL_TABLES
    migrations.downgrade(engine, "0011")
    assert not PORTAL_TABLES & set(inspect(engine).get_table_names())
    migrations.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= PORTAL_TABLES
    with engine.connect() as connection:
        assert _differences(connection) == []
