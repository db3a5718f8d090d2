"""Migration 0012 (portal sessions and sign-in codes) goes down and up again on both
databases, and the models still agree with the result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect

from institute_core import migrations
from tests.foundation.test_migrations import _differences

PORTAL_TABLES = {"portal_sessions", "portal_sign_in_codes"}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'portal.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("sa_pg_url"))
    made = create_engine(url)
    yield made
    made.dispose()


def test_portal_tables_come_and_go_with_0012(engine: Engine) -> None:
    migrations.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= PORTAL_TABLES
    migrations.downgrade(engine, "0011")
    assert not PORTAL_TABLES & set(inspect(engine).get_table_names())
    migrations.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= PORTAL_TABLES
    with engine.connect() as connection:
        assert _differences(connection) == []
