"""Migration 0011 (messages) undoes and redoes on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect

from institute_core import migrations

TABLES = {"guardians", "message_consents", "message_templates", "message_triggers",
          "messages", "message_deliveries"}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'm.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("sa_pg_url"))
    made = create_engine(url)
    yield made
    made.dispose()


def test_0011_downgrades_to_0010_and_upgrades_again(engine: Engine) -> None:
    migrations.upgrade(engine, "0011")
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrations.downgrade(engine, "0010")
    assert not TABLES & set(inspect(engine).get_table_names())
    assert "students" in inspect(engine).get_table_names()
    migrations.upgrade(engine, "0011")
    assert set(inspect(engine).get_table_names()) >= TABLES
