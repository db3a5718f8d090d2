"""Which branches a screen, dashboard or report covers: the desk's branch filter (issue 17).

A user who works in several branches (an administrator sees them all) picks "all my branches"
or one of them; every list, dashboard and report then covers that choice. The choice is
remembered per user on this desk (in sync_state, which never syncs), and a single branch chosen
also becomes the desk's current branch, where new students and inquiries go
(`defaults.CURRENT_BRANCH`).

A selection is a tuple of branch ids, or None for "every branch this desk holds" (analytics
and reports then add no branch condition at all).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from institute_core.analytics.period import Db
from institute_core.branches.defaults import CURRENT_BRANCH
from institute_core.replica import Replica
from institute_core.schema import Branch, UserBranch
from institute_core.setup.access import HasRole, may

BranchIds = tuple[uuid.UUID, ...] | None
_CHOICE_KEY = "branch_filter:{user}"
ALL_BRANCHES = "All branches"


@dataclass(frozen=True)
class BranchOption:
    """A branch a user may pick in the branch filter."""

    id: uuid.UUID
    name: str
    code: str


class HasUser(HasRole, Protocol):
    @property
    def user_id(self) -> uuid.UUID: ...


def my_branches(replica: Replica, user: HasUser) -> list[BranchOption]:
    """The branches `user` works in, by name: every branch for who holds
    `branches.all`, else their
    `user_branches` links. More than one means their screens show the branch filter."""
    with replica.read() as session:
        query = select(Branch.id, Branch.name, Branch.code).where(Branch.deleted_at.is_(None))
        if not may(user, "branches.all"):
            query = query.where(Branch.id.in_(select(UserBranch.branch_id).where(
                UserBranch.user_id == user.user_id, UserBranch.deleted_at.is_(None))))
        return [BranchOption(b, n, c) for b, n, c in
                session.execute(query.order_by(Branch.name, Branch.code))]


def scope_of(options: Sequence[BranchOption], chosen: uuid.UUID | None,
             user: HasRole) -> BranchIds:
    """The selection the figures use for a pick: one branch; or all of the user's branches
    (None for an administrator, who sees every branch this desk holds)."""
    if chosen is not None:
        return (chosen,)
    return None if may(user, "branches.all") else tuple(o.id for o in options)


def remembered_choice(replica: Replica, user_id: uuid.UUID) -> uuid.UUID | None:
    """The branch this user last picked on this desk (None: all their branches)."""
    raw = replica.get_state(_CHOICE_KEY.format(user=user_id.hex))
    if not raw:
        return None
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw.startswith('"') else raw
        return uuid.UUID(str(value))
    except ValueError:
        return None


def remember_choice(replica: Replica, user_id: uuid.UUID, branch_id: uuid.UUID | None) -> None:
    """Keep the pick for this user; one branch also becomes where new rows of the desk go."""
    replica.set_state(_CHOICE_KEY.format(user=user_id.hex), branch_id.hex if branch_id else "")
    replica.set_state(CURRENT_BRANCH, str(branch_id) if branch_id else "")


def branch_names(db: Db, branch_ids: Collection[uuid.UUID] | None) -> list[str]:
    """The names of the selected branches, by name (every branch held, for None)."""
    query = select(Branch.name).where(Branch.deleted_at.is_(None)).order_by(Branch.name)
    if branch_ids is not None:
        query = query.where(Branch.id.in_(list(branch_ids)))
    return list(db.execute(query).scalars())


def selection_label(db: Db, branch_ids: Collection[uuid.UUID] | None) -> str:
    """How a report header names what it covers: "All branches", or the branches' names."""
    if branch_ids is None:
        return ALL_BRANCHES
    names = branch_names(db, branch_ids)
    return ("Branch: " if len(names) == 1 else "Branches: ") + ", ".join(names)
