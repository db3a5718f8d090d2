"""Alembic migrations: one history for the SQLite replica and the PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent

# The newest revision, so that opening a replica already at head needs no Alembic import
# (a third of a second at start-up). tests/core/test_migration_head.py proves it equals
# Alembic's head: bump it with every new revision.
HEAD = "0020"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that needs no alembic.ini: the scripts ship inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(step: Callable[[Config, str], None], bind: Engine | Connection, revision: str) -> None:
    config = alembic_config()
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)
    else:
        config.attributes["connection"] = bind
        step(config, revision)


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    from alembic import command

    _run(command.upgrade, bind, revision)


def downgrade(bind: Engine | Connection, revision: str) -> None:
    from alembic import command

    _run(command.downgrade, bind, revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(bind: Engine | Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    return MigrationContext.configure(bind).get_current_revision()


def stored_revision(bind: Engine) -> str | None:
    """The revision recorded in the database, read with plain SQL (no Alembic import)."""
    with bind.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
