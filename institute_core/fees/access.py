"""Who may handle money on a desk, as the four permissions of the roles catalogue: fees.collect
(take payments, print receipts, see dues), fees.refund (cancel receipts, refund), fees.configure
(fee heads, discounts' approval, fee settings, expenses and salaries) and reports.financial
(the money reports). Faculty and students see no money.

This module is the ONE place a desk turns a role into those permissions (`MONEY_PERMISSIONS`):
the permission catalogue (institute_core/access/permissions.py, issue 17's roles work) was not
on main when fees were finished, so when it lands, `allows` asks it instead and nothing else
changes – every service and screen asks `allows`/`require` by permission name.

The desk's check is a convenience (a clear message before anything is written); the server
enforces the same from the sync policy (`FEES_POLICY` in institute_core/sync/policy.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import Role
from institute_core.schema import User

COLLECT, REFUND, CONFIGURE, REPORTS = ("fees.collect", "fees.refund", "fees.configure",
                                       "reports.financial")
MONEY_ROLES = frozenset({Role.COUNSELOR.value, Role.ADMIN.value, Role.SUPER_ADMIN.value})
ADMIN_ROLES = frozenset({Role.ADMIN.value, Role.SUPER_ADMIN.value})
# Which roles hold each money permission until roles are data.
MONEY_PERMISSIONS: dict[str, frozenset[str]] = {
    COLLECT: MONEY_ROLES, REFUND: ADMIN_ROLES, CONFIGURE: ADMIN_ROLES, REPORTS: ADMIN_ROLES}


class MoneyAccessDenied(PermissionError):
    """The user's role may not see or do this with the institute's money."""


def allows(role: str | None, permission: str) -> bool:
    """Whether `role` holds the money `permission` (one of MONEY_PERMISSIONS)."""
    return role in MONEY_PERMISSIONS[permission]


def role_of(session: Session, user_id: uuid.UUID | None) -> str | None:
    return None if user_id is None else session.execute(
        select(User.role).where(User.id == user_id, User.deleted_at.is_(None))).scalar()


def require(session: Session, user_id: uuid.UUID | None, permission: str, what: str) -> str:
    """The user's role, or `MoneyAccessDenied` naming what they may not do."""
    role = role_of(session, user_id)
    if not allows(role, permission):
        raise MoneyAccessDenied(f"{what} needs the {permission} permission; this account is "
                                f"{role or 'unknown'}")
    return str(role)


def require_money_access(session: Session, user_id: uuid.UUID | None) -> str:
    """The user's role, or `MoneyAccessDenied` when it may not handle fees."""
    role = role_of(session, user_id)
    if not allows(role, COLLECT):
        raise MoneyAccessDenied(f"fees are for counselors and admins; this account is "
                                f"{role or 'unknown'}")
    return str(role)


def require_admin(session: Session, user_id: uuid.UUID | None, what: str,
                  permission: str = CONFIGURE) -> str:
    """The user's role, or `MoneyAccessDenied` ("only an admin may ...") without `permission`."""
    role = role_of(session, user_id)
    if not allows(role, permission):
        raise MoneyAccessDenied(f"only an admin may {what}")
    return str(role)


def is_admin(role: str | None) -> bool:
    """Whether `role` configures fees (approves discounts, sees every money screen)."""
    return allows(role, CONFIGURE)
