"""NUL (and a lone surrogate, and NaN or infinity inside JSON) cannot be stored by PostgreSQL:
every text and JSON column refuses them where they are typed.

Without this the desk kept the value and the server refused the change later, so what a person
saved never reached anyone else. Generated from the schema: every synced text and JSON column.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, String

from institute_core.replica import Replica
from institute_core.schema import SYNCED_TABLES, Inquiry, table_of
from institute_core.validation import (
    NONFINITE_REFUSED,
    NUL_REFUSED,
    SURROGATE_REFUSED,
    InvalidInput,
    validate_values,
)
from tests.support.schema_rows import synced_columns

COLUMNS = [(t, c.name) for t in SYNCED_TABLES for c in synced_columns(t)
           if isinstance(c.type, String | JSON)]


def _unstorable(column_type: Any) -> list[tuple[Any, str]]:
    if isinstance(column_type, JSON):
        return [({"note": "a\x00b"}, NUL_REFUSED), ({"a\x00": 1}, NUL_REFUSED),
                (["x\x00"], NUL_REFUSED), ({"note": "a\ud800b"}, SURROGATE_REFUSED),
                ([1, {"x": float("nan")}], NONFINITE_REFUSED),
                ({"rate": float("inf")}, NONFINITE_REFUSED)]
    return [("a\x00b", NUL_REFUSED), ("half \udc80 a pair", SURROGATE_REFUSED)]


@pytest.mark.parametrize(("table", "name"), COLUMNS, ids=[f"{t}.{c}" for t, c in COLUMNS])
def test_what_postgresql_cannot_store_is_refused_by_name(table: str, name: str) -> None:
    column = table_of(table).c[name]
    for value, why in _unstorable(column.type):
        with pytest.raises(InvalidInput) as refused:
            validate_values(table_of(table), {name: value}, partial=True)
        assert (refused.value.field, refused.value.message) == (name, why)


def test_a_note_with_nul_is_refused_when_saved_on_the_desk(replica: Replica) -> None:
    with pytest.raises(InvalidInput, match="notes: must not contain the NUL"), \
            replica.write(replica.actor(None)) as s:
        s.add(Inquiry(student_name="Asha", notes="pasted\x00text"))
    assert replica.pending_changes() == 0
