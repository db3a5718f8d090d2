"""Reading and writing synced rows and their field stamps on the server (SQLAlchemy Core)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, UniqueConstraint, and_, select

from institute_core.schema import MODEL_BY_TABLE, table_of
from institute_core.sync.merge import FieldStamp

_meta = table_of("sync_field_versions")
DEFAULT_FIELD = "*"


def _stamp(raw: list[Any]) -> FieldStamp:
    version, hlc, author, device = raw
    return FieldStamp(int(version), hlc or "",
                      uuid.UUID(author) if author else None,
                      uuid.UUID(device) if device else None)


def stamps_for(meta: Mapping[str, list[Any]] | None, row_version: int,
               names: Iterable[str]) -> dict[str, FieldStamp]:
    """The server's stamp of each field of `names` (the fields a change sets).

    A row nobody pushed to (loaded by an import or seed) has no meta: every field is as old as
    the row itself. Once a row has meta, "*" keeps the version the row had when meta began and
    stands for every field without a stamp of its own. Only the named fields' stamps are read:
    a wide row's other stamps are none of this change's business.
    """
    if not meta:
        default = FieldStamp(row_version)
        return {name: default for name in names}
    raw = meta.get(DEFAULT_FIELD)
    default = _stamp(raw) if raw is not None else FieldStamp(row_version)
    return {name: _stamp(meta[name]) if name in meta else default for name in names}


def stamp_json(version: int, hlc: str, author: uuid.UUID | None,
               device: uuid.UUID | None) -> list[Any]:
    return [version, hlc, id_text(author) if author else None,
            id_text(device) if device else None]


@functools.lru_cache(maxsize=1024)
def id_text(value: uuid.UUID) -> str:
    """The text of an id that recurs on every change of a push (its author, its device)."""
    return str(value)


def unique_columns(table_name: str, changed: set[str]) -> list[list[str]]:
    """The UNIQUE constraints (as column lists) a change of `changed` columns could break."""
    return [list(columns) for columns, members in _clashable_constraints(table_name)
            if not members.isdisjoint(changed)]


@functools.cache
def _clashable_constraints(table_name: str) -> tuple[tuple[tuple[str, ...], frozenset[str]], ...]:
    """The table's UNIQUE constraints except one on exactly its natural key, which cannot
    clash: the same key gives the same id on every device, so such rows meet as one row and
    merge."""
    natural = frozenset(MODEL_BY_TABLE[table_name].__natural_key__ or ())
    found = []
    for constraint in table_of(table_name).constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = tuple(c.name for c in constraint.columns)
            if frozenset(columns) != natural:
                found.append((columns, frozenset(columns)))
    return tuple(found)


def unique_clash(conn: Connection, table: Table, row: Mapping[str, Any],
                 constraints: list[list[str]]) -> tuple[list[str], uuid.UUID] | None:
    """(columns, id of the existing row) when `row` would break one of `constraints`."""
    for columns in constraints:
        if any(row.get(c) is None for c in columns):
            continue
        other = conn.execute(select(table.c.id).where(
            and_(*(table.c[c] == row[c] for c in columns)), table.c.id != row["id"])
        ).scalar()
        if other is not None:
            return columns, other
    return None
