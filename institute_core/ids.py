"""Identifiers made on the client."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

# Fixed forever: changing it would give "the same" natural-key row a new id on new devices.
NATURAL_KEY_NAMESPACE = uuid.UUID("6f1d2a5e-3c47-5b8e-9a0d-4e2f7c9b1a63")


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def natural_id(table: str, *key: Any) -> uuid.UUID:
    """The id of a row whose identity is a natural key (attendance per session+student, ...).

    Two devices that create the same row offline derive the same id, so the rows merge field by
    field instead of colliding on the UNIQUE constraint.
    """
    if any(part is None for part in key):
        raise ValueError(f"{table}: every part of the natural key is needed to derive the id")
    return uuid.uuid5(NATURAL_KEY_NAMESPACE, table + ":" + ":".join(str(p) for p in key))


def uuid_array_literal(ids: Iterable[uuid.UUID]) -> str:
    """PostgreSQL's text form of a uuid[] (`{a,b,c}`): bound as ONE text parameter and cast,
    where a list would be a parameter per id or an array psycopg dumps id by id in Python.

    The ids are written as 32 hex digits (PostgreSQL reads a uuid with or without hyphens):
    str() of a UUID formats five groups in Python, and a push writes thousands of ids."""
    return "{" + ",".join([f"{i.int:032x}" for i in ids]) + "}"
