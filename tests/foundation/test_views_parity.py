"""The three views of seed 000 give the same numbers on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from institute_core.analytics.views import VIEWS, view_rows


def normalized(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as sorted tuples, Decimals to two places (SQLite keeps fewer trailing zeros)."""
    def value(v: Any) -> Any:
        return v.quantize(Decimal("0.01")) if isinstance(v, Decimal) else v

    return sorted((tuple((k, value(v)) for k, v in row.items()) for row in rows), key=repr)


@pytest.mark.parametrize("name", VIEWS)
def test_view_is_identical_on_both_dialects(name: str, small_replica_engine: Engine,
                                            small_pg_engine: Engine) -> None:
    on_sqlite = normalized(view_rows(small_replica_engine, VIEWS[name]()))
    on_postgres = normalized(view_rows(small_pg_engine, VIEWS[name]()))
    assert on_sqlite, "the demo gives every view rows"
    assert on_sqlite == on_postgres


def test_attendance_percentage_leaves_out_excused(small_replica_engine: Engine) -> None:
    for row in view_rows(small_replica_engine, VIEWS["attendance_analytics_view"]()):
        counted = row["present_count"] + row["late_count"] + row["absent_count"]
        if counted == 0:
            assert row["attendance_percentage"] is None
            continue
        expected = (Decimal(row["present_count"] + row["late_count"]) * 100 / counted)
        assert abs(row["attendance_percentage"] - expected) <= Decimal("0.005")


def test_progress_view_counts_completed_and_mastered(small_replica_engine: Engine) -> None:
    rows = view_rows(small_replica_engine, VIEWS["student_progress_view"]())
    finished = [r for r in rows if r["enrollment_status"] == "completed"]
    # A finished batch completes the course of members who missed a few topics, so a completed
    # enrollment need not be at 100 %; its percentage is still its topics' share.
    assert any(r["completed_topics"] == r["subject_topics"] for r in finished)
    for r in finished:
        share = Decimal(r["completed_topics"] * 100) / r["subject_topics"]
        assert abs(r["completion_percentage"] - share) <= Decimal("0.005")
        if r["completed_topics"] == r["subject_topics"]:
            assert r["completion_percentage"] == Decimal("100")
