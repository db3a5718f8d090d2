"""One migration history takes an empty SQLite file and an empty PostgreSQL database to head,
agrees with the models on both, and its newest step can be undone and redone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, select
from sqlalchemy.orm import Session

from institute_core import migrations
from institute_core.schema import Base, PasswordReset, SyncClock, SyncDevice
from sync_server.settings import make_engine
from tests.support.server import create_user

# Every table of seed 000, and what replaced its array columns (docs/schema.md).
SEED_000_TABLES = {
    "users", "students", "faculties", "subjects", "topics", "student_subject_enrollments",
    "learning_sessions", "session_attendance", "student_topic_progress", "flexible_batches",
    "batch_session_attendance", "assessments", "crm_inquiries", "follow_ups",
    "rewards_penalties", "feedback", "student_reports", "faculty_reports",
}
DEVIATION_TABLES = {
    "subject_prerequisites", "topic_prerequisites", "attendance_topics",
    "batch_attendance_topics", "inquiry_subjects", "batch_members",
}
POSTGRES_ONLY_INDEXES = {"ix_faculties_specialization"}  # GIN on JSONB


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    else:
        engine = create_engine(request.getfixturevalue("sa_pg_url"))
    yield engine
    engine.dispose()


def _differences(connection: Connection) -> list[Any]:
    dialect = connection.dialect.name

    def include(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        return not (kind == "index" and name in POSTGRES_ONLY_INDEXES and dialect != "postgresql")

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_object": include})
    return list(compare_metadata(context, Base.metadata))


def test_empty_database_upgrades_to_head_with_every_seed_table(empty_engine: Engine) -> None:
    migrations.upgrade(empty_engine)
    assert migrations.current_revision(empty_engine) == migrations.head_revision()
    tables = set(inspect(empty_engine).get_table_names())
    assert tables >= SEED_000_TABLES, SEED_000_TABLES - tables
    assert tables >= DEVIATION_TABLES, DEVIATION_TABLES - tables


def test_models_and_migrations_agree(empty_engine: Engine) -> None:
    migrations.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert _differences(connection) == []


def test_gin_index_exists_only_on_postgresql(empty_engine: Engine) -> None:
    migrations.upgrade(empty_engine)
    names = {ix["name"] for ix in inspect(empty_engine).get_indexes("faculties")}
    on_postgres = empty_engine.dialect.name == "postgresql"
    assert ("ix_faculties_specialization" in names) == on_postgres


def test_newest_migration_downgrades_and_upgrades_again(empty_engine: Engine) -> None:
    head = migrations.head_revision()
    previous = ScriptDirectory.from_config(migrations.alembic_config()).get_revision(head)
    assert previous is not None
    target = previous.down_revision or "base"
    assert isinstance(target, str)
    migrations.upgrade(empty_engine)
    migrations.downgrade(empty_engine, target)
    assert migrations.current_revision(empty_engine) == (None if target == "base" else target)
    migrations.upgrade(empty_engine)
    assert migrations.current_revision(empty_engine) == head
    with empty_engine.connect() as connection:
        assert _differences(connection) == []


# The release before the server revisions of issues 13 and 14 (device failures, epoch, policy):
# `upgrade`'s rollback (docs/deploy.md) may take a server back past all of them.
LAST_RELEASED_SERVER_SCHEMA = "0004"


def test_server_schema_downgrades_past_the_new_revisions_keeping_its_data(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        migrations.upgrade(engine)
        owner = create_user(pg_url, email="owner@example.org", password="Owner-Pass-2026",
                            role="admin")
        device = uuid.uuid4()
        now = datetime.now(UTC)
        with Session(engine) as session, session.begin():
            session.add(SyncDevice(device_id=device, user_id=owner, name="front-desk",
                                   push_failing_since=now, push_failure_ref="1f3a9c0b2e"))
            session.add(PasswordReset(user_id=owner, reset_by=owner, verifier="$argon2id$kept"))
            # Pulled by a desk without its verifier: the old schema cannot hold it.
            session.add(PasswordReset(user_id=owner, reset_by=owner, verifier=None))

        migrations.downgrade(engine, LAST_RELEASED_SERVER_SCHEMA)
        assert migrations.current_revision(engine) == LAST_RELEASED_SERVER_SCHEMA
        migrations.upgrade(engine)
        assert migrations.current_revision(engine) == migrations.head_revision()
        with engine.connect() as connection:
            assert _differences(connection) == []
        with Session(engine) as session:
            kept = session.get(SyncDevice, device)
            assert kept is not None and kept.user_id == owner
            assert kept.push_failure_ref is None  # what 0005 added went with it
            verifiers = session.scalars(select(PasswordReset.verifier)).all()
            assert verifiers == ["$argon2id$kept"]
            assert session.scalar(select(SyncClock.epoch)) is not None
    finally:
        engine.dispose()


def test_replicas_drop_the_verifiers_they_pulled_and_the_server_keeps_its_own(
        empty_engine: Engine) -> None:
    """Before 0007 a pulled password reset brought the argon2 verifier of someone else's new
    password to every desk; upgrading a replica forgets them, the server still needs them."""
    migrations.upgrade(empty_engine, "0006")
    with Session(empty_engine) as session, session.begin():
        user = uuid.uuid4()
        session.execute(Base.metadata.tables["users"].insert().values(
            id=user, email="f@example.org", first_name="F", last_name="Y", role="faculty",
            version=1, created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
        session.execute(Base.metadata.tables["password_resets"].insert().values(
            id=uuid.uuid4(), user_id=user, reset_by=user, verifier="$argon2id$pulled",
            version=1, created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
    migrations.upgrade(empty_engine)
    with Session(empty_engine) as session:
        verifiers = session.scalars(select(PasswordReset.verifier)).all()
    expected = None if empty_engine.dialect.name == "sqlite" else "$argon2id$pulled"
    assert verifiers == [expected]
