"""A JSON column holds the shape its annotation declares; any other shape is refused by name.

One inquiry whose tags were numbers (any desk or client can send them) made the CRM list of
every counselor fail; the declared shape is now checked wherever values are validated (the
desk's unit of work and the server's push).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import JSON

from institute_core.schema import SYNCED_TABLES, table_of
from institute_core.schema.documents import Shape, fits, shape_of
from institute_core.validation import InvalidInput, validate_values
from tests.server.helpers import new_row
from tests.support.schema_rows import values_for

SHAPED = [(t, c.name) for t in SYNCED_TABLES for c in table_of(t).columns
          if isinstance(c.type, JSON) and shape_of(c).container is not None]


def _wrong(shape: Shape) -> list[Any]:
    """Values of every other JSON kind than the shape allows."""
    others: list[Any] = [{"a": 1}, ["a"], "text", 12, 1.5, True]
    wrong = [v for v in others if not fits(shape, v)]
    if shape.container is list and shape.item is str:
        wrong += [[1, 2], ["a", None], [["nested"]], [True]]
    return wrong


def test_every_json_column_declares_a_shape_or_any() -> None:
    assert SHAPED, "the schema has JSON columns with a declared shape"


@pytest.mark.parametrize(("table", "name"), SHAPED, ids=[f"{t}.{c}" for t, c in SHAPED])
def test_values_of_another_shape_are_refused_and_the_declared_ones_kept(table: str,
                                                                       name: str) -> None:
    column = table_of(table).c[name]
    for value in values_for(column):
        validate_values(table_of(table), {name: value}, partial=True)
    for value in _wrong(shape_of(column)):
        with pytest.raises(InvalidInput) as refused:
            validate_values(table_of(table), {name: value}, partial=True)
        assert (refused.value.table, refused.value.field) == (table, name)
        assert refused.value.message == f"must be {shape_of(column).describe()}"


def test_a_push_with_tags_that_are_not_text_is_refused_by_name(device, staff,  # type: ignore[no-untyped-def]
                                                               server_db) -> None:
    admin = device("admin@example.org")
    good, numbers, document = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    results = admin.push(
        admin.change("crm_inquiries", numbers, new_row(student_name="Asha", tags=[1, 2])),
        admin.change("crm_inquiries", document, new_row(student_name="Ravi", tags={"a": 1})),
        admin.change("crm_inquiries", good, new_row(student_name="Meera", tags=["hot, lead"])),
    )
    assert [r["outcome"] for r in results] == ["rejected", "rejected", "applied"]
    assert all(r["reason"].startswith("crm_inquiries.tags: must be a list of text")
               for r in results[:2])
    later = admin.push(admin.change("crm_inquiries", good, {"tags": [3]},
                                    base_version=results[2]["version"]))
    assert later[0]["outcome"] == "rejected" and "tags" in later[0]["reason"]
