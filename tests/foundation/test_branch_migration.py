"""Migration 0009 on a populated single-centre institute, SQLite (a replica) and PostgreSQL (the
server): everything moves into one "Main" branch with nothing lost, every staff account works
there, the server gives the new rows a version desks will pull, and the step undoes cleanly."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, insert, select

from institute_core import migrations
from institute_core.ids import natural_id
from institute_core.schema import MAIN_BRANCH_ID, table_of

BEFORE = "0008"
BRANCHED = ("students", "faculties", "learning_sessions", "flexible_batches", "crm_inquiries")


def _populate(engine: Engine) -> dict[str, uuid.UUID]:
    """A small centre at revision 0008: staff, a student with a session, a batch, an inquiry."""
    at = datetime(2026, 6, 1, 9, tzinfo=UTC)
    ids = {name: uuid.uuid4() for name in (
        "admin", "faculty_user", "counselor", "student_user", "student", "faculty", "subject",
        "session", "batch", "inquiry")}

    def add(table: str, **values: Any) -> None:
        with engine.begin() as conn:
            # The models' tables: their types store UUIDs and times as each database does.
            conn.execute(insert(table_of(table)).values(
                created_at=at, updated_at=at, version=7, **values))

    for key, role in (("admin", "admin"), ("faculty_user", "faculty"),
                      ("counselor", "counselor"), ("student_user", "student")):
        add("users", id=ids[key], email=f"{key}@centre.example.org", first_name=key,
            last_name="X", role=role, status="active")
    add("subjects", id=ids["subject"], name="Python", code="PY101", duration_hours=40)
    add("faculties", id=ids["faculty"], user_id=ids["faculty_user"], employee_id="EMP-1")
    add("students", id=ids["student"], user_id=ids["student_user"], enrollment_no="ENR-1",
        admission_date=date(2026, 1, 5), counselor_id=ids["counselor"], status="active")
    add("learning_sessions", id=ids["session"], student_id=ids["student"],
        faculty_id=ids["faculty"], subject_id=ids["subject"], session_date=date(2026, 6, 2),
        start_time=time(10), end_time=time(11), duration_minutes=60)
    add("flexible_batches", id=ids["batch"], name="Morning", subject_id=ids["subject"],
        faculty_id=ids["faculty"], batch_type="workshop", start_date=date(2026, 6, 1))
    add("crm_inquiries", id=ids["inquiry"], student_name="Asha", counselor_id=ids["counselor"],
        student_id=ids["student"])
    return ids


def _rows(engine: Engine) -> dict[str, Any]:
    """Every row of the tables 0009 changes, every column they had before it."""
    out = {}
    with engine.connect() as conn:
        for name in ("users", "subjects", *BRANCHED):
            table = table_of(name)
            columns = [c for c in table.columns if c.name != "branch_id"]
            out[name] = sorted((dict(r) for r in conn.execute(select(*columns)).mappings()),
                               key=lambda r: str(r["id"]))
    return out


def test_a_single_centre_moves_into_main_with_nothing_lost_and_back(
        migration_engine: Engine) -> None:
    engine = migration_engine
    migrations.upgrade(engine, BEFORE)
    ids = _populate(engine)
    before = _rows(engine)

    migrations.upgrade(engine)
    assert _rows(engine) == before  # every value of every row kept, versions included
    with engine.connect() as conn:
        for name in BRANCHED:
            table = table_of(name)
            assert set(conn.execute(select(table.c.branch_id)).scalars()) == {MAIN_BRANCH_ID}, \
                name
        branches = conn.execute(select(table_of("branches"))).mappings().all()
        links = table_of("user_branches")
        linked = conn.execute(select(links.c.id, links.c.user_id, links.c.version)).all()
    assert [(b["id"], b["name"], b["code"]) for b in branches] == [(MAIN_BRANCH_ID, "Main",
                                                                    "MAIN")]
    # Staff work in Main; a student belongs to a branch through their record, not a link.
    assert {row.user_id for row in linked} == {ids["admin"], ids["faculty_user"],
                                               ids["counselor"]}
    # The same ids on every database, so an offline replica agrees with the server.
    assert {row.id for row in linked} == {natural_id("user_branches", u, MAIN_BRANCH_ID)
                                          for u in (ids["admin"], ids["faculty_user"],
                                                    ids["counselor"])}
    # On the server the new rows take a fresh version (pulled by every desk); a replica
    # leaves them at 0, "never synced", until that pull.
    fresh = {branches[0]["version"], *(row.version for row in linked)}
    assert fresh == ({0} if engine.dialect.name == "sqlite" else {1})

    migrations.downgrade(engine, BEFORE)
    assert _rows(engine) == before
    migrations.upgrade(engine)
    assert _rows(engine) == before
