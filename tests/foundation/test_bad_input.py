"""Bad input is refused with an error naming table and field, and nothing is half-written:
through the replica's unit of work, and straight into the database on both dialects."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, func, select
from sqlalchemy.exc import IntegrityError

from institute_core import migrations
from institute_core.replica import Replica
from institute_core.schema import MAIN_BRANCH_ID, MODEL_BY_TABLE, OutboxEntry, table_of
from institute_core.validation import InvalidInput, explain_integrity_error

USER = uuid.UUID("00000000-0000-4000-8000-000000000001")
STUDENT = uuid.UUID("00000000-0000-4000-8000-000000000002")
SUBJECT = uuid.UUID("00000000-0000-4000-8000-000000000003")
TOPICS = [uuid.UUID(f"00000000-0000-4000-8000-00000000001{i}") for i in range(3)]
MISSING = uuid.UUID("00000000-0000-4000-8000-0000000000ff")


def _insert_parents(connection: Connection) -> None:
    def put(table: str, **values: Any) -> None:
        connection.execute(table_of(table).insert(), [values])

    put("users", id=USER, email="asha@example.org", first_name="Asha", last_name="Rao",
        role="student")
    put("students", id=STUDENT, user_id=USER, enrollment_no="ENR-1",
        admission_date=date(2026, 6, 1), branch_id=MAIN_BRANCH_ID)
    put("subjects", id=SUBJECT, name="Python", code="PY101", duration_hours=40)
    for i, topic in enumerate(TOPICS):
        put("topics", id=topic, subject_id=SUBJECT, name=f"Topic {i}", order_index=i + 1,
            estimated_duration_minutes=60)


def _student(n: int, **changes: Any) -> dict[str, Any]:
    return {"user_id": USER, "enrollment_no": f"ENR-{n + 100}", "status": "active",
            "admission_date": date(2026, 7, 1), "branch_id": MAIN_BRANCH_ID, **changes}


def _progress(n: int, **changes: Any) -> dict[str, Any]:
    return {"student_id": STUDENT, "topic_id": TOPICS[n], "competency_level": 3,
            "status": "in_progress", **changes}


def _feedback(n: int, **changes: Any) -> dict[str, Any]:
    return {"student_id": STUDENT, "rating": 4, "feedback_type": "session",
            "comments": f"good {n}", **changes}


@dataclass(frozen=True)
class Case:
    """One kind of bad input: a good row maker, what makes the third row bad, the field named."""

    table: str
    row: Callable[..., dict[str, Any]]
    bad: dict[str, Any]
    field: str


CASES = {
    "competency 7": Case("student_topic_progress", _progress, {"competency_level": 7},
                         "competency_level"),
    "rating 0": Case("feedback", _feedback, {"rating": 0}, "rating"),
    "unknown status": Case("students", _student, {"status": "expelled"}, "status"),
    "duplicate enrollment number": Case("students", _student, {"enrollment_no": "ENR-1"},
                                        "enrollment_no"),
    "missing required field": Case("students", _student, {"admission_date": None},
                                   "admission_date"),
    "unknown foreign key": Case("students", _student, {"user_id": MISSING}, "user_id"),
}


def _count(connection: Connection, table: str) -> int:
    return int(connection.execute(select(func.count()).select_from(table_of(table)))
               .scalar_one())


def _rows(case: Case) -> list[dict[str, Any]]:
    return [case.row(0), case.row(1), case.row(2, **case.bad)]


def _assert_names(error: InvalidInput, case: Case) -> None:
    assert error.table == case.table
    # SQLite does not say which foreign key failed: the message names the row's references
    # ("branch_id or user_id"), the bad one among them.
    assert case.field in error.field.split(" or "), str(error)
    assert case.field in str(error)


@pytest.fixture
def seeded_replica(replica: Replica) -> Replica:
    with replica.apply_remote() as connection:
        _insert_parents(connection)
    return replica


@pytest.mark.parametrize("name", CASES)
def test_unit_of_work_refuses_and_writes_nothing(seeded_replica: Replica, name: str) -> None:
    case = CASES[name]
    model = MODEL_BY_TABLE[case.table]
    with seeded_replica.engine.connect() as connection:
        before = _count(connection, case.table)
    with pytest.raises(InvalidInput) as caught, \
            seeded_replica.write(seeded_replica.actor(USER)) as session:
        session.add_all([model(**row) for row in _rows(case)])
    _assert_names(caught.value, case)
    with seeded_replica.engine.connect() as connection:
        assert _count(connection, case.table) == before
        assert _count(connection, OutboxEntry.__tablename__) == 0


@pytest.fixture(params=["sqlite", "postgresql"])
def raw_connection(request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    """A factory of transactions that write without any Python validation."""
    if request.param == "sqlite":
        replica: Replica = request.getfixturevalue("replica")
        with replica.apply_remote() as connection:
            _insert_parents(connection)
        yield replica.apply_remote
        return
    engine = create_engine(request.getfixturevalue("sa_pg_url"))
    migrations.upgrade(engine)
    with engine.begin() as connection:
        _insert_parents(connection)
    yield engine.begin
    engine.dispose()


@pytest.mark.parametrize("name", CASES)
def test_database_itself_refuses_and_rolls_back(raw_connection: Callable[[], Any],
                                                name: str) -> None:
    case = CASES[name]
    with raw_connection() as connection:
        before = _count(connection, case.table)
    with pytest.raises(IntegrityError) as caught, raw_connection() as connection:
        connection.execute(table_of(case.table).insert(), _rows(case))
    _assert_names(explain_integrity_error(caught.value), case)
    with raw_connection() as connection:
        assert _count(connection, case.table) == before
