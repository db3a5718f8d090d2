"""The SQL of every read scope, for viewers whose students, branches and own records were read
once: each such list is one constant array compared with `= ANY`, never `IN (SELECT unnest())`.

A constant array is hashed by PostgreSQL whatever its row estimates; the unnest subquery let the
planner, misled by a freshly loaded table's statistics, loop over the array once per row (a
one-branch counselor's first sync of the large demo timed out on a 10 s page of 33 million
comparisons). Generated over every synced table and the built-in roles.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy.dialects import postgresql

from institute_core.access.permissions import of_role
from institute_core.enums import Role
from institute_core.ids import uuid_array_literal
from institute_core.schema import SYNCED_TABLES
from institute_core.sync.scopes import Viewer, visible

_IDS = tuple(uuid.UUID(int=i) for i in range(1, 40))
_VIEWERS = {
    role.value: Viewer(user_id=uuid.UUID(int=900), role=role.value,
                       faculty_id=uuid.UUID(int=901) if role is Role.FACULTY else None,
                       students=_IDS, branches=_IDS[:2], own=_IDS[:1] if role is Role.STUDENT
                       else (), permissions=of_role(role.value))
    for role in Role
}


@pytest.mark.parametrize("role", sorted(_VIEWERS))
def test_ids_read_once_are_one_hashed_array(role: str) -> None:
    # One test per role over every table: a test per pair costs its collection, 280 of them.
    wrong: list[str] = []
    for table_name in SYNCED_TABLES:
        compiled = visible(table_name, _VIEWERS[role]).compile(dialect=postgresql.dialect())
        if "unnest" in str(compiled).lower():
            wrong.append(f"{table_name}: IN (SELECT unnest(...))")
        # However many students, each list read once is a single parameter.
        if len(compiled.params) >= 40:
            wrong.append(f"{table_name}: {len(compiled.params)} parameters")
    assert not wrong, f"{role}: " + "; ".join(wrong)


def test_the_check_sees_an_id_list_as_one_array() -> None:
    compiled = visible("students", _VIEWERS[Role.COUNSELOR.value]).compile(
        dialect=postgresql.dialect())
    arrays = [v for v in compiled.params.values()
              if isinstance(v, str) and _IDS[-1].hex in v.replace("-", "")]
    assert arrays and "= ANY (CAST(" in str(compiled)


def test_an_id_array_literal_reads_back_as_the_same_ids(pg_url: str) -> None:
    # The ids a push locks and reads go to PostgreSQL as one literal: every id, the nil and
    # the highest one too, must come back as itself or a push would read other rows.
    ids = [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), *(uuid.uuid4() for _ in range(50))]
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT %s::uuid[]", (uuid_array_literal(ids),)).fetchone()
    assert row is not None and row[0] == ids
