"""Roles as data on a desk (issue 17): list them, create and edit them, assign them to accounts.

Every write goes through the replica's unit of work (so the change syncs like any other) and
is refused first, with a clear message, where the server would refuse it anyway
(`permissions.check_grant`; the server enforces the same through the sync policy):
nobody grants a permission they do not hold, only a super admin changes the super admin role,
built-in roles are never deleted nor renamed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.access import permissions as perms
from institute_core.access.check import HasRole, NotAllowed, held_by
from institute_core.replica import Actor, Replica
from institute_core.schema import Branch, RoleRecord, User
from institute_core.schema.types import utcnow
from institute_core.setup.access import require_may_manage
from institute_core.validation import InvalidInput

TABLE = "roles"
# A role's name is the key accounts hold: short, lower case, no spaces (shown in words).
NAME = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


@dataclass(frozen=True)
class RoleRow:
    id: uuid.UUID
    name: str
    label: str
    description: str
    permissions: frozenset[str]  # as stored (not expanded)
    built_in: bool
    branch_id: uuid.UUID | None
    branch_name: str | None
    holders: int  # live accounts holding it


def label_of(name: str) -> str:
    """A role's name in words ("branch_manager" -> "Branch manager")."""
    return perms.BUILT_IN_LABELS.get(name) or name.replace("_", " ").capitalize()


def list_roles(replica: Replica) -> list[RoleRow]:
    """Every live role, built-in ones first, then by name."""
    with replica.read() as session:
        holders: dict[str, int] = {name: int(n) for name, n in session.execute(
            select(User.role, func.count()).where(User.deleted_at.is_(None))
            .group_by(User.role)).all()}
        branches: dict[uuid.UUID, str] = {i: n for i, n in session.execute(
            select(Branch.id, Branch.name)).all()}
        rows = session.execute(select(RoleRecord).where(RoleRecord.deleted_at.is_(None))
                               ).scalars().all()
        found = [RoleRow(r.id, r.name, label_of(r.name), r.description or "",
                         frozenset(p for p in (r.permissions or []) if isinstance(p, str)),
                         bool(r.built_in), r.only_branch_id,
                         None if r.only_branch_id is None else branches.get(r.only_branch_id),
                         int(holders.get(r.name, 0))) for r in rows]
    order = {name: i for i, name in enumerate(perms.BUILT_IN_NAMES)}
    return sorted(found, key=lambda r: (order.get(r.name, len(order)), r.name))


def _refuse(holder: frozenset[str], old: RoleRecord | None, new: dict[str, object]) -> None:
    before = None if old is None else {"name": old.name, "built_in": old.built_in,
                                       "permissions": old.permissions,
                                       "deleted_at": old.deleted_at}
    reason = perms.check_grant(holder, old=before, new=new)
    if reason is not None:
        raise NotAllowed(reason)


def _branch(session: Session, branch_id: uuid.UUID | None) -> uuid.UUID | None:
    if branch_id is not None:
        branch = session.get(Branch, branch_id)
        if branch is None or branch.deleted_at is not None:
            raise InvalidInput(TABLE, "only_branch_id", "is not a branch", str(branch_id))
    return branch_id


def save_role(replica: Replica, actor: Actor, viewer: HasRole, *, name: str,
              permissions: set[str] | frozenset[str], description: str | None = None,
              branch_id: uuid.UUID | None = None, role_id: uuid.UUID | None = None
              ) -> uuid.UUID:
    """Create a role (`role_id` None) or change one's description, permissions and branch
    limit. Its name never changes once made (accounts name it)."""
    try:
        granted = perms.parse(sorted(permissions))
    except perms.UnknownPermission as exc:
        raise InvalidInput(TABLE, "permissions", str(exc)) from None
    holder = held_by(viewer)
    with replica.write(actor) as session:
        old = None if role_id is None else session.get(RoleRecord, role_id)
        if role_id is not None and (old is None or old.deleted_at is not None):
            raise InvalidInput(TABLE, None, "no such role", str(role_id))
        if old is None:
            name = name.strip().lower().replace(" ", "_")
            if not NAME.match(name):
                raise InvalidInput(TABLE, "name", "use 2-50 lower-case letters, digits or "
                                   "underscores, starting with a letter", name)
            if session.execute(select(RoleRecord.id).where(RoleRecord.name == name)).first():
                raise InvalidInput(TABLE, "name", "another role already has this name", name)
        else:
            name = old.name
        new = {"name": name, "built_in": bool(old.built_in) if old else False,
               "permissions": granted}
        _refuse(holder, old, new)
        limit = _branch(session, branch_id)
        text = (description or "").strip() or None
        if old is None:
            row = RoleRecord(id=uuid.uuid4(), name=name, description=text,
                             permissions=granted, built_in=False, only_branch_id=limit)
            session.add(row)
            return row.id
        old.description, old.permissions, old.only_branch_id = text, granted, limit
        return old.id


def delete_role(replica: Replica, actor: Actor, viewer: HasRole, role_id: uuid.UUID) -> None:
    """Delete a custom role no account holds (built-in roles are never deleted)."""
    holder = held_by(viewer)
    with replica.write(actor) as session:
        old = session.get(RoleRecord, role_id)
        if old is None or old.deleted_at is not None:
            raise InvalidInput(TABLE, None, "no such role", str(role_id))
        _refuse(holder, old, {"name": old.name, "built_in": old.built_in,
                              "permissions": old.permissions, "deleted_at": "now"})
        if old.built_in:
            raise NotAllowed(f"the built-in role {old.name} cannot be deleted")
        held = session.execute(select(func.count()).select_from(User).where(
            User.role == old.name, User.deleted_at.is_(None))).scalar_one()
        if held:
            raise InvalidInput(TABLE, None, f"{held} account(s) hold this role; give them "
                               "another role first")
        old.deleted_at = utcnow()


def assign_role(replica: Replica, actor: Actor, viewer: HasRole, user_id: uuid.UUID,
                role: str) -> None:
    """Give account `user_id` the role `role`: refused when the account or the role grants
    something the viewer lacks (or as much as they hold, unless they are a super admin), or
    when it is their own account."""
    if user_id == actor.user_id:
        raise NotAllowed("nobody changes their own role")
    with replica.write(actor) as session:
        user = session.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise InvalidInput("users", None, "no such account", str(user_id))
        for name in (user.role, role):
            row = session.execute(select(RoleRecord).where(
                RoleRecord.name == name, RoleRecord.deleted_at.is_(None))).scalar()
            if row is None:
                raise InvalidInput("users", "role", "is not a role", name)
            require_may_manage(viewer, name, perms.of_role(name, {"permissions":
                                                                  row.permissions}))
        user.role = role


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    name: str
    email: str
    role: str


def list_accounts(replica: Replica) -> list[Account]:
    """Live accounts with their role, by name (the Roles screen's "assign" list)."""
    with replica.read() as session:
        return [Account(u.id, u.full_name, u.email, u.role) for u in session.scalars(
            select(User).where(User.deleted_at.is_(None))
            .order_by(User.first_name, User.last_name))]
