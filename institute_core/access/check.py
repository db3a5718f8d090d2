"""What the signed-in person may do on this desk, from their role's row in the replica.

Every service asks for a permission of the catalogue, never a role name. The desk's check is a
convenience (a clear message before anything is written); the server enforces the same from
the sync policy, whatever a desk sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from institute_core.access import permissions as perms
from institute_core.schema import RoleRecord, User


class NotAllowed(PermissionError):
    """The signed-in person may not do this; the message says what it takes."""


class HasRole(Protocol):
    @property
    def role(self) -> str: ...


def held_by(person: HasRole) -> frozenset[str]:
    """The permissions of a signed-in person: those read at sign-in (`permissions`), else
    their built-in role's."""
    granted: Any = getattr(person, "permissions", None)
    if isinstance(granted, frozenset):
        return granted
    return perms.of_role(str(person.role))


def role_permissions(session: Session, name: str | None) -> frozenset[str] | None:
    """What role `name` grants in this replica (None: no live role of that name)."""
    if name is None:
        return None
    row = session.execute(select(RoleRecord).where(RoleRecord.name == name,
                                                   RoleRecord.deleted_at.is_(None))).scalar()
    if row is None:
        return None
    return perms.of_role(name, {"permissions": row.permissions})


def role_name(session: Session, user_id: uuid.UUID | None) -> str | None:
    """The role account `user_id` holds (None: unknown or deleted account)."""
    if user_id is None:
        return None
    return session.execute(select(User.role).where(User.id == user_id,
                                                   User.deleted_at.is_(None))).scalar()


def permissions_of(session: Session, user_id: uuid.UUID | None) -> frozenset[str]:
    """What account `user_id` may do now (nothing for an unknown or deleted account)."""
    return role_permissions(session, role_name(session, user_id)) or frozenset()


def _describe(names: Iterable[str]) -> str:
    return " or ".join(f"{n} ({perms.PERMISSION_BY_NAME[n].description.split(':')[0]})"
                       for n in names)


def require(held: frozenset[str], what: str, *any_of: str) -> None:
    """`NotAllowed` unless `held` has one of `any_of`."""
    if not held & set(any_of):
        raise NotAllowed(f"you may not {what}: it takes the permission {_describe(any_of)}")


def require_of(session: Session, user_id: uuid.UUID | None, what: str, *any_of: str
               ) -> frozenset[str]:
    """`require` for account `user_id` as the replica has it; their permissions."""
    held = permissions_of(session, user_id)
    require(held, what, *any_of)
    return held


def counselling_roles(session: Session) -> list[str]:
    """Names of the live roles whose holders counsel students as their work (hold
    students.counsel without managing every student): who appears as a counselor to choose."""
    rows = session.execute(select(RoleRecord.name, RoleRecord.permissions)
                           .where(RoleRecord.deleted_at.is_(None))).all()
    return sorted(name for name, granted in rows
                  if {"students.counsel"} <= perms.of_role(name, {"permissions": granted})
                  and "students.manage" not in perms.of_role(name, {"permissions": granted}))


def roles_holding(session: Session | Connection, permission: str) -> list[str]:
    """The names of the live roles of this replica that grant `permission` (built-in or an
    owner's), for finding the accounts that may do something without naming a role."""
    rows = session.execute(select(RoleRecord.name, RoleRecord.permissions)
                           .where(RoleRecord.deleted_at.is_(None))).all()
    return sorted(name for name, granted in rows
                  if permission in perms.of_role(name, {"permissions": granted}))
