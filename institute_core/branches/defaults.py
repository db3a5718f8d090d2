"""Which branch a row created on this desk belongs to, when the code creating it does not say.

A session or batch follows its student or faculty member; a new student, faculty member or
inquiry goes to the desk's current branch (the one its branch filter shows, `CURRENT_BRANCH`
in sync_state), else the first branch its user works in, else Main. The unit of work asks this
for every new row, so no screen or import has to know about branches to stay correct.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.schema import (
    MAIN_BRANCH_ID,
    MODEL_BY_TABLE,
    Branch,
    Faculty,
    FlexibleBatch,
    LearningSession,
    Student,
    SyncState,
    UserBranch,
)
from institute_core.sync.policy import BRANCH_OF

CURRENT_BRANCH = "current_branch"


def _pending_or_stored(session: Session, model: type[Any], row_id: Any) -> Any:
    for obj in session.new:
        if isinstance(obj, model) and obj.id == row_id:
            return obj
    return None if row_id is None else session.get(model, row_id)


def desk_branch(session: Session, user_id: uuid.UUID | None) -> uuid.UUID | None:
    """The branch new people and inquiries of this desk go to."""
    state = session.get(SyncState, CURRENT_BRANCH)
    if state is not None and state.value:
        return uuid.UUID(str(state.value))
    if user_id is not None:
        first = session.execute(
            select(UserBranch.branch_id).where(UserBranch.user_id == user_id,
                                               UserBranch.deleted_at.is_(None))
            .order_by(UserBranch.created_at, UserBranch.branch_id).limit(1)).scalar()
        if first is not None:
            return first
    if session.get(Branch, MAIN_BRANCH_ID) is not None:
        return MAIN_BRANCH_ID
    return session.execute(select(Branch.id).where(Branch.deleted_at.is_(None))
                           .order_by(Branch.code).limit(1)).scalar()


def empty_branch_is_everywhere(table: str) -> bool:
    """Whether a row of `table` without a branch is meant for every branch (policy.BRANCH_OF),
    so neither the desk nor the server gives it a default one."""
    how = BRANCH_OF.get(table)
    return how is not None and how.empty_is_everywhere


def fill_branch(session: Session, obj: Any, user_id: uuid.UUID | None) -> None:
    """Give a new row without a branch the one it belongs to (see the module's rules)."""
    if getattr(obj, "branch_id", False) is not None:
        return  # not a branch-scoped row, or its branch is given
    if empty_branch_is_everywhere(getattr(obj, "__tablename__", "")):
        return  # no branch: every branch (an announcement for the whole institute)
    parent: Any = None
    if isinstance(obj, LearningSession):
        parent = _pending_or_stored(session, Student, obj.student_id)
    elif isinstance(obj, FlexibleBatch):
        parent = _pending_or_stored(session, Faculty, obj.faculty_id)
    if parent is not None and parent.branch_id is not None:
        obj.branch_id = parent.branch_id
        return
    obj.branch_id = desk_branch(session, user_id)


def branch_of_row(session: Session, table: str, row_id: uuid.UUID) -> uuid.UUID | None:
    """The branch a stored row lives in, as the policy declares it (`BRANCH_OF`: its own
    column, or its parent's branch); None for a row of every branch (the syllabus, an
    account, an announcement for the whole institute) or one not on this desk."""
    how, model = BRANCH_OF.get(table), MODEL_BY_TABLE.get(table)
    row = session.get(model, row_id) if model is not None else None
    if how is None or row is None:
        return None
    value = getattr(row, how.column, None)
    if how.parent is None or value is None:
        return value if isinstance(value, uuid.UUID) else None
    return branch_of_row(session, how.parent, value)
