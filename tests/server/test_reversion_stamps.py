"""Re-versioning a student's history (a new viewer comes to see them), on a real PostgreSQL.

Every row of the student's history takes the new version; a row that can still merge keeps,
as its stamp, the version it had before (a desk's edit based on that version is then not taken
for a concurrent one); rows of tables nobody may edit never merge and get no stamp
(policy.insert_only). Which tables are which is worked out from the declarations."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, insert, select

from institute_core import migrations
from institute_core.schema import table_of
from institute_core.sync.policy import insert_only
from sync_server.sync import reversion
from sync_server.sync.versions import VersionClock
from tests.pg import throwaway_database
from tests.support.schema_rows import build_chain

_STUDENT_TABLES = reversion._BY_STUDENT


@pytest.fixture
def engine(pg_admin_url: str) -> Iterator[Engine]:
    with throwaway_database(pg_admin_url, prefix="idrever") as url:
        made = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        migrations.upgrade(made)
        yield made
        made.dispose()


def _student_in_every_table(engine: Engine) -> uuid.UUID:
    """One student with a row in every table of their history, each row with its parents
    (tests/support/schema_rows: made from the schema, no table named here)."""
    with engine.begin() as conn:
        chain = build_chain("students")
        _insert(conn, chain)
        student = chain[-1][1]["id"]
        for name in _STUDENT_TABLES:
            _insert(conn, build_chain(name, fixed=_theirs(name, student)))
    return uuid.UUID(str(student))


def _theirs(name: str, student: Any) -> Callable[[str], Mapping[str, Any]]:
    """Values fixed per table of a chain: the row of `name` itself is the student's."""
    return lambda table: {"student_id": student} if table == name else {}


def _insert(conn: Connection, rows: list[tuple[str, dict[str, Any]]]) -> None:
    for table, row in rows:
        conn.execute(insert(table_of(table)).values(**row))


def _history(engine: Engine, student: uuid.UUID) -> dict[str, dict[uuid.UUID, int]]:
    """Per by-student table: the student's rows and their versions."""
    with engine.connect() as conn:
        return {name: {row.id: int(row.version) for row in conn.execute(
            select(table_of(name).c.id, table_of(name).c.version)
            .where(table_of(name).c.student_id == student))}
            for name in _STUDENT_TABLES}


def _stamps(engine: Engine, table: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    stamps = table_of("sync_field_versions")
    with engine.connect() as conn:
        return {row.row_id: row.meta for row in conn.execute(
            select(stamps.c.row_id, stamps.c.meta).where(
                stamps.c.table_name == table, stamps.c.row_id.in_(ids)))}


def test_a_student_history_takes_the_new_version_and_stamps_only_rows_that_merge(
        engine: Engine) -> None:
    student = _student_in_every_table(engine)
    before = _history(engine, student)
    held = {name for name, rows in before.items() if rows}
    assert held == set(_STUDENT_TABLES), set(_STUDENT_TABLES) - held
    assert any(insert_only(name) for name in held), "no table of a history is insert-only"

    with engine.begin() as conn:
        version = VersionClock(conn).next()
        reversion.reversion_student(conn, student, version)

    after = _history(engine, student)
    for name in held:
        assert set(after[name].values()) == {version}, f"{name}: not re-versioned"
        stamps = _stamps(engine, name, list(before[name]))
        if insert_only(name):
            assert stamps == {}, f"{name}: nobody may edit its rows, yet they got stamps"
        else:
            assert {row_id: meta["*"][0] for row_id, meta in stamps.items()} == before[name], \
                f"{name}: a row's stamp must keep the version it had before"
