"""The shape of each JSON column, read from its declared annotation, and the check of a value.

A JSON column is declared `Mapped[list[str] | None]` (labels) or `Mapped[dict[str, Any] | None]`
(a document): that annotation is the one declaration of what the column holds. Code reading the
column relies on it (the CRM list joins the tags as text), so a value of another shape, which
any desk or client could send, is refused by name like any other invalid value.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column

from institute_core.schema.base import Base


@dataclass(frozen=True)
class Shape:
    """What a JSON column holds: `container` (list or dict; None: any JSON) and, for a list,
    the type of its items (None: any)."""

    container: type | None
    item: type | None = None

    def describe(self) -> str:
        if self.container is list:
            return "a list of text" if self.item is str else "a list"
        if self.container is dict:
            return "an object (a JSON document with named fields)"
        return "any JSON value"


ANY = Shape(None)


def _shape_of(annotation: Any) -> Shape:
    inner = typing.get_args(annotation)[0] if typing.get_args(annotation) else Any
    options = [a for a in typing.get_args(inner) if a is not type(None)] \
        if isinstance(inner, types.UnionType) or typing.get_origin(inner) is typing.Union \
        else [inner]
    if len(options) != 1:
        return ANY
    kind = options[0]
    origin = typing.get_origin(kind) or kind
    if origin is list:
        items = typing.get_args(kind)
        return Shape(list, items[0] if items and items[0] is not Any else None)
    if origin is dict:
        return Shape(dict)
    return ANY


@functools.cache
def _shapes(table_name: str) -> dict[str, Shape]:
    """Column name -> declared shape, for the JSON columns of a mapped table."""
    model = next((m.class_ for m in Base.registry.mappers
                  if getattr(m.class_, "__tablename__", None) == table_name), None)
    if model is None:
        return {}
    hints = typing.get_type_hints(model)
    table = model.__table__
    return {c.name: _shape_of(hints.get(c.key, Any)) for c in table.columns
            if isinstance(c.type, JSON)}


def shape_of(column: Column[Any]) -> Shape:
    """The declared shape of a JSON column (ANY for columns declared `Any`)."""
    return _shapes(column.table.name).get(column.name, ANY)


def fits(shape: Shape, value: Any) -> bool:
    """Whether a decoded JSON value has the shape (None is left to the NULL rules)."""
    if value is None or shape.container is None:
        return True
    if not isinstance(value, shape.container):
        return False
    if isinstance(value, list) and shape.item is not None:
        return all(isinstance(v, shape.item) and not isinstance(v, bool) for v in value)
    return True
