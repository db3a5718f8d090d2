"""One small demo institute per test run, shared: in memory, in a replica and in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from institute_core import migrations
from institute_core.demo import DemoData, build_demo_replica, generate, load_into_database
from tests.pg import throwaway_database

SEED = 7


@pytest.fixture(scope="session")
def small_demo() -> DemoData:
    return generate("small", seed=SEED)


@pytest.fixture(scope="session")
def small_replica_dir(tmp_path_factory: pytest.TempPathFactory,
                      small_demo: DemoData) -> Path:
    """A standalone replica built with the small demo (same seed, same day as `small_demo`)."""
    data_dir = tmp_path_factory.mktemp("demo-replica")
    build_demo_replica(data_dir, size="small", seed=SEED)
    return data_dir


@pytest.fixture(scope="session")
def small_replica_engine(small_replica_dir: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{small_replica_dir / 'replica.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def small_pg_engine(pg_admin_url: str, small_demo: DemoData) -> Iterator[Engine]:
    """A migrated PostgreSQL database loaded with the small demo."""
    with throwaway_database(pg_admin_url, prefix="idfound") as url:
        engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        migrations.upgrade(engine)
        load_into_database(engine, size="small", seed=SEED)
        yield engine
        engine.dispose()
