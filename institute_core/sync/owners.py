"""Who owns a row: follows the table's `__owner__` rule chain to a users.id."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from institute_core.schema import MODEL_BY_TABLE, table_of

# (table name, row id) -> the row's values, or None when there is no such row.
RowLookup = Callable[[str, Any], Mapping[str, Any] | None]

# Rule chains are short (attendance topic -> attendance -> session -> faculty -> user); the
# bound only guards against a rule cycle introduced by mistake.
_MAX_HOPS = 6


def database_lookup(conn: Connection) -> RowLookup:
    """A RowLookup reading straight from the database."""

    def lookup(table_name: str, row_id: Any) -> Mapping[str, Any] | None:
        table = table_of(table_name)
        row = conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
        return dict(row) if row is not None else None

    return lookup


def owner_of(lookup: RowLookup, table_name: str, values: Mapping[str, Any]) -> uuid.UUID | None:
    """The users.id owning the row with `values` in `table_name`, or None (nobody owns it)."""
    for _hop in range(_MAX_HOPS):
        rule = MODEL_BY_TABLE[table_name].__owner__
        if rule is None:
            return None
        if rule.column is not None:
            owner = values.get(rule.column)
            return owner if isinstance(owner, uuid.UUID) or owner is None else uuid.UUID(
                str(owner))
        assert rule.via is not None and rule.parent is not None
        ref = values.get(rule.via)
        if ref is None:
            return None
        row = lookup(rule.parent, ref)
        if row is None:
            return None
        table_name, values = rule.parent, row
    raise RuntimeError(f"owner rule of {table_name} does not end at a user column")
