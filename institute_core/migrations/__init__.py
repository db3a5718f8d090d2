"""Alembic migrations: one history for the SQLite replica and the PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that needs no alembic.ini: the scripts ship inside the package."""
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
    _run(command.upgrade, bind, revision)


def downgrade(bind: Engine | Connection, revision: str) -> None:
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
