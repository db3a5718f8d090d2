"""The start-up shortcut past Alembic must agree with Alembic itself."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from institute_core import migrations
from institute_core.replica import Replica


def test_head_constant_is_alembics_head() -> None:
    assert migrations.head_revision() == migrations.HEAD


def test_stored_revision_reads_what_alembic_wrote(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        assert migrations.stored_revision(engine) is None
        migrations.upgrade(engine, "0001")
        assert migrations.stored_revision(engine) == "0001"
        assert migrations.stored_revision(engine) == migrations.current_revision(engine)
    finally:
        engine.dispose()


def test_opening_an_older_replica_still_upgrades_it(tmp_path: Path) -> None:
    Replica.open(tmp_path).close()
    engine = create_engine(f"sqlite:///{tmp_path / 'replica.sqlite3'}")
    try:
        migrations.downgrade(engine, "0003")
        assert migrations.stored_revision(engine) == "0003"
        Replica.open(tmp_path).close()
        assert migrations.stored_revision(engine) == migrations.HEAD
    finally:
        engine.dispose()
