"""Migration 0011 (messages) undoes and redoes on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from institute_core import migrations

TABLES = {"guardians", "message_consents", "message_templates", "message_triggers",
          "messages", "message_deliveries"}


def test_0011_downgrades_to_0010_and_upgrades_again(migration_engine: Engine) -> None:
    engine = migration_engine
    migrations.upgrade(engine, "0011")
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrations.downgrade(engine, "0010")
    assert not TABLES & set(inspect(engine).get_table_names())
    assert "students" in inspect(engine).get_table_names()
    migrations.upgrade(engine, "0011")
    assert set(inspect(engine).get_table_names()) >= TABLES
