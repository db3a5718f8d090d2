"""Who may handle money on a desk: counselors take payments and see dues; admins also
configure fees, approve discounts, cancel and refund. Faculty and students see no money.

The desk's check is a convenience (a clear message before anything is written); the server
enforces the same from the sync policy (`FEES_POLICY` in institute_core/sync/policy.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import Role
from institute_core.schema import User

MONEY_ROLES = frozenset({Role.COUNSELOR.value, Role.ADMIN.value, Role.SUPER_ADMIN.value})
ADMIN_ROLES = frozenset({Role.ADMIN.value, Role.SUPER_ADMIN.value})


class MoneyAccessDenied(PermissionError):
    """The user's role may not see or do this with the institute's money."""


def role_of(session: Session, user_id: uuid.UUID | None) -> str | None:
    return None if user_id is None else session.execute(
        select(User.role).where(User.id == user_id, User.deleted_at.is_(None))).scalar()


def require_money_access(session: Session, user_id: uuid.UUID | None) -> str:
    """The user's role, or `MoneyAccessDenied` when it may not handle fees."""
    role = role_of(session, user_id)
    if role not in MONEY_ROLES:
        raise MoneyAccessDenied(f"fees are for counselors and admins; this account is "
                                f"{role or 'unknown'}")
    return str(role)


def require_admin(session: Session, user_id: uuid.UUID | None, what: str) -> str:
    role = role_of(session, user_id)
    if role not in ADMIN_ROLES:
        raise MoneyAccessDenied(f"only an admin may {what}")
    return str(role)


def is_admin(role: str | None) -> bool:
    return role in ADMIN_ROLES
