"""Which roles may record and decide feedback and points."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import Role
from institute_core.schema import User

DESK = frozenset({Role.COUNSELOR.value, Role.ADMIN.value, Role.SUPER_ADMIN.value})
STAFF = DESK | {Role.FACULTY.value}


class NotAllowed(PermissionError):
    """The user's role may not do this."""


def require_role(session: Session, user_id: uuid.UUID | None, roles: Collection[str],
                 what: str) -> str:
    role = None if user_id is None else session.execute(
        select(User.role).where(User.id == user_id, User.deleted_at.is_(None))).scalar()
    if role not in roles:
        raise NotAllowed(f"{what} is not open to this account ({role or 'unknown'})")
    return str(role)
