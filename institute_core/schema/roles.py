"""Roles as data (issue 17; seeds 002 and 004 define roles and permissions as data).

A role is a named set of permissions of the catalogue (institute_core/access/permissions.py),
optionally limited to one branch. `users.role` names a role; the five built-in roles keep the
names users.role held before, so existing accounts keep their meaning.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.schema.base import Base, Synced
from institute_core.schema.rules import checks, not_blank
from institute_core.schema.types import JsonDoc


class RoleRecord(Synced, Base):
    """A role: what its holders may do. Its name is the key accounts hold, so it never
    changes; built-in roles are made by the installation (migration 0014) and never deleted."""

    __tablename__ = "roles"
    __table_args__ = (
        UniqueConstraint("name"),
        *checks(not_blank("name")),
    )

    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    # A JSON list of permission names, validated against the catalogue by the desk's service
    # and by the server's policy (an unknown name is refused, never silently granted).
    permissions: Mapped[list[str]] = mapped_column(JsonDoc)
    built_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The branch the role is limited to (None: wherever its holder works). Not `branch_id`:
    # a role lives in no branch (every desk holds every role), it only limits its holders.
    only_branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
