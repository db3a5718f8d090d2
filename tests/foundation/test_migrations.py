"""One migration history takes an empty SQLite file and an empty PostgreSQL database to head,
agrees with the models on both, and its newest step can be undone and redone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.orm import Session

from institute_core import migrations
from institute_core.replica import database
from institute_core.replica.database import migration_engine
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


def _differences(connection: Connection) -> list[Any]:
    dialect = connection.dialect.name

    def include(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        return not (kind == "index" and name in POSTGRES_ONLY_INDEXES and dialect != "postgresql")

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_object": include})
    return list(compare_metadata(context, Base.metadata))


def test_empty_database_upgrades_to_head_with_every_seed_table(migration_engine: Engine) -> None:
    migrations.upgrade(migration_engine)
    assert migrations.current_revision(migration_engine) == migrations.head_revision()
    tables = set(inspect(migration_engine).get_table_names())
    assert tables >= SEED_000_TABLES, SEED_000_TABLES - tables
    assert tables >= DEVIATION_TABLES, DEVIATION_TABLES - tables


def test_models_and_migrations_agree(migration_engine: Engine) -> None:
    migrations.upgrade(migration_engine)
    with migration_engine.connect() as connection:
        assert _differences(connection) == []


def test_gin_index_exists_only_on_postgresql(migration_engine: Engine) -> None:
    migrations.upgrade(migration_engine)
    names = {ix["name"] for ix in inspect(migration_engine).get_indexes("faculties")}
    on_postgres = migration_engine.dialect.name == "postgresql"
    assert ("ix_faculties_specialization" in names) == on_postgres


def test_newest_migration_downgrades_and_upgrades_again(migration_engine: Engine) -> None:
    head = migrations.head_revision()
    previous = ScriptDirectory.from_config(migrations.alembic_config()).get_revision(head)
    assert previous is not None
    target = previous.down_revision or "base"
    assert isinstance(target, str)
    migrations.upgrade(migration_engine)
    migrations.downgrade(migration_engine, target)
    assert migrations.current_revision(migration_engine) == (None if target == "base" else target)
    migrations.upgrade(migration_engine)
    assert migrations.current_revision(migration_engine) == head
    with migration_engine.connect() as connection:
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
        migration_engine: Engine) -> None:
    """Before 0007 a pulled password reset brought the argon2 verifier of someone else's new
    password to every desk; upgrading a replica forgets them, the server still needs them."""
    migrations.upgrade(migration_engine, "0006")
    with Session(migration_engine) as session, session.begin():
        user = uuid.uuid4()
        session.execute(Base.metadata.tables["users"].insert().values(
            id=user, email="f@example.org", first_name="F", last_name="Y", role="faculty",
            version=1, created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
        session.execute(Base.metadata.tables["password_resets"].insert().values(
            id=uuid.uuid4(), user_id=user, reset_by=user, verifier="$argon2id$pulled",
            version=1, created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
    migrations.upgrade(migration_engine)
    with Session(migration_engine) as session:
        verifiers = session.scalars(select(PasswordReset.verifier)).all()
    expected = None if migration_engine.dialect.name == "sqlite" else "$argon2id$pulled"
    assert verifiers == [expected]


def test_a_replica_upgrade_that_fails_halfway_leaves_the_file_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A desk's upgrade is one transaction: a step that fails (or a desk killed) midway leaves
    no half-made schema behind that the next start could not upgrade."""
    path = tmp_path / "desk.sqlite3"
    engine = migration_engine(path)
    migrations.upgrade(engine, "0008")
    tables = set(inspect(engine).get_table_names())

    def fail_in_0009(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # after 0009 has made the branches table and its index
        if statement.lstrip().upper().startswith("CREATE TABLE STUDENT_BRANCH_MOVES"):
            raise RuntimeError("power cut in the middle of 0009")

    event.listen(engine, "before_cursor_execute", fail_in_0009)
    monkeypatch.setattr(database, "migration_engine", lambda _path: engine)
    with pytest.raises(RuntimeError, match="power cut"):
        database.upgrade_replica(path)
    monkeypatch.undo()

    check = create_engine(f"sqlite:///{path}")
    assert migrations.stored_revision(check) == "0008"
    assert set(inspect(check).get_table_names()) == tables
    database.upgrade_replica(path)  # the next start upgrades it from where it was
    assert migrations.stored_revision(check) == migrations.HEAD
    check.dispose()
