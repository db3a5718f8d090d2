"""Who may use the setup services: admins; only a super admin manages admin accounts."""

from __future__ import annotations

from typing import Protocol

from institute_core.enums import Role

ADMIN_ROLES = frozenset({Role.ADMIN.value, Role.SUPER_ADMIN.value})


class NotAllowed(PermissionError):
    """The signed-in person may not do this; the message says who may."""


class HasRole(Protocol):
    @property
    def role(self) -> str: ...


def is_admin(person: HasRole) -> bool:
    return str(person.role) in ADMIN_ROLES


def require_admin(person: HasRole, what: str) -> None:
    if not is_admin(person):
        raise NotAllowed(f"only administrators can {what}")


def require_may_manage(person: HasRole, role: str) -> None:
    """Admins manage staff and students; admin and super admin accounts need a super admin."""
    require_admin(person, "manage user accounts")
    if role in ADMIN_ROLES and str(person.role) != Role.SUPER_ADMIN.value:
        raise NotAllowed("only a super admin can create or change administrator accounts")
