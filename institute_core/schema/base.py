"""Declarative base, naming convention and the columns every synced table carries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, MetaData, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from institute_core.schema.types import UTCDateTime, utcnow

# Named constraints make errors readable ("uq_students_enrollment_no") and let Alembic's batch
# mode on SQLite find constraints again when it rebuilds a table.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        uuid.UUID: Uuid(as_uuid=True),
        datetime: UTCDateTime(),
    }


class OwnerRule:
    """Which user's edits win a concurrent conflict on a row.

    Either a column of the row that holds a users.id (`column`), or a foreign key to a parent
    row whose owner is this row's owner too (`via` + `parent`). No rule: nobody owns the row and
    the later hybrid timestamp decides.
    """

    def __init__(self, column: str | None = None, *, via: str | None = None,
                 parent: str | None = None) -> None:
        if (column is None) == (via is None):
            raise ValueError("an owner rule names either a user column or a parent foreign key")
        self.column = column
        self.via = via
        self.parent = parent

    def describe(self) -> str:
        if self.column:
            return f"users.id in {self.column}"
        return f"owner of {self.parent} via {self.via}"


class Synced:
    """Columns and declarations shared by every table that syncs between replicas and server.

    - `id`: a UUID made on the client (offline creation without collisions). Natural-key tables
      derive it from their key with `natural_id` so that two devices make the same id.
    - `created_at`/`updated_at`: timezone-aware UTC, kept by the data layer.
    - `deleted_at`: soft delete; the app never hard-deletes a synced row.
    - `version`: the server's version of the row when this copy last saw it (0 = never synced);
      a client edit is based on it, which is how the server detects a concurrent edit.
    """

    __owner__: ClassVar[OwnerRule | None] = None
    # Columns that never leave the device or the server they were written on (password hashes).
    __local_columns__: ClassVar[frozenset[str]] = frozenset()
    # Natural-key tables: the columns their id is derived from, in order.
    __natural_key__: ClassVar[tuple[str, ...] | None] = None

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # Indexed: pulls read "everything changed since version N" table by table.
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)
