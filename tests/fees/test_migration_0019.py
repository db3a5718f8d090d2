"""Migration 0019 on a populated database, SQLite (a replica) and PostgreSQL (the server): the
expenses and salary payments already entered keep every value and get no delete reason, a
blank reason is refused by the database, and the step undoes and redoes keeping the rows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from institute_core import migrations
from institute_core.schema import MAIN_BRANCH_ID, table_of

TABLES = ("expenses", "salary_payments")


def _populate(engine: Engine) -> None:
    at = datetime(2026, 11, 1, 9, tzinfo=UTC)
    admin = uuid.uuid4()

    def add(table: str, **values: Any) -> None:
        with engine.begin() as conn:
            conn.execute(insert(table_of(table)).values(
                **{"id": uuid.uuid4(), **values}, created_at=at, updated_at=at, version=3))

    add("users", id=admin, email="admin@centre.example.org", first_name="Asha",
        last_name="Rao", role="admin", status="active")
    add("expenses", category="rent", amount=Decimal("25000.00"), spent_on=date(2026, 11, 1),
        note="November rent", entered_by=admin, branch_id=MAIN_BRANCH_ID)
    add("salary_payments", user_id=admin, month=date(2026, 10, 1), basis="fixed",
        amount=Decimal("40000.00"), paid_on=date(2026, 11, 1), entered_by=admin,
        branch_id=MAIN_BRANCH_ID)


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {name: [dict(r) for r in conn.execute(select(*[
            c for c in table_of(name).columns if c.name != "deleted_reason"])).mappings()]
            for name in TABLES}


def test_0019_keeps_expenses_and_salaries_and_undoes_cleanly(migration_engine: Engine) -> None:
    engine = migration_engine
    migrations.upgrade(engine, "0018")
    _populate(engine)
    before = _rows(engine)
    migrations.upgrade(engine, "0019")
    assert _rows(engine) == before
    with engine.connect() as conn:
        for name in TABLES:
            assert conn.execute(select(table_of(name).c.deleted_reason)).scalars().all() \
                == [None]
    # The database itself refuses a blank reason (a desk's bug or a hostile push alike).
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(table_of("expenses")).values(deleted_reason="   "))
    with engine.begin() as conn:
        conn.execute(update(table_of("expenses")).values(deleted_reason="entered twice"))

    migrations.downgrade(engine, "0018")
    assert _rows(engine) == before
    migrations.upgrade(engine, "0019")
    assert _rows(engine) == before
