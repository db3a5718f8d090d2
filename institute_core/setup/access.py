"""Who may use the setup services: the permission each asks for (issue 17); only who holds
`setup.super_admin` manages accounts whose role grants as much as theirs."""

from __future__ import annotations

from institute_core.access import permissions as perms
from institute_core.access.check import HasRole, NotAllowed, held_by, require

__all__ = ["HasRole", "NotAllowed", "is_admin", "may", "require_admin", "require_may_manage"]


def may(person: HasRole, permission: str) -> bool:
    return permission in held_by(person)


def is_admin(person: HasRole) -> bool:
    """Whether the person manages people (the Setup screens' first question)."""
    return may(person, "setup.people.manage")


def require_admin(person: HasRole, what: str,
                  permission: str = "setup.people.manage") -> None:
    """`NotAllowed` unless the person holds `permission` (what `what` takes)."""
    require(held_by(person), what, permission)


def require_may_manage(person: HasRole, role: str,
                       granted: frozenset[str] | None = None) -> None:
    """Who manages people manages accounts whose role grants less than theirs; only a super
    admin manages accounts whose role grants as much (another administrator's). `granted`:
    what `role` grants (its row in the replica), else its built-in set."""
    require_admin(person, "manage user accounts")
    held = held_by(person)
    role_grants = perms.of_role(role) if granted is None else granted
    if not perms.grants_no_more(held, role_grants,
                                strictly="setup.super_admin" not in held):
        lacking = sorted(role_grants - held)
        if lacking:
            raise NotAllowed(f"you cannot give the role {role}: it grants {lacking[0]!r}, "
                             "which you do not hold yourself")
        raise NotAllowed("only a super admin can create or change administrator accounts")
