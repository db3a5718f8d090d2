"""Which permissions may record and decide feedback and points (issue 17: never role names)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.orm import Session

from institute_core.access.check import NotAllowed, permissions_of

# Who looks after students (counselors, and who manages every student).
DESK = frozenset({"students.counsel", "students.manage"})
# ... and who teaches them.
STAFF = DESK | {"attendance.mark"}

__all__ = ["DESK", "STAFF", "NotAllowed", "require_any"]


def require_any(session: Session, user_id: uuid.UUID | None, any_of: Collection[str],
                what: str) -> frozenset[str]:
    """The user's permissions, or `NotAllowed` unless they hold one of `any_of`."""
    held = permissions_of(session, user_id)
    if not held & set(any_of):
        raise NotAllowed(f"{what} is not open to this account (it takes one of "
                         f"{', '.join(sorted(any_of))})")
    return held
