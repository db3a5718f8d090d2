"""Who may handle money on a desk, by permission of the roles catalogue (issue 17):
fees.collect (take payments, print receipts, see dues), fees.all_students (of every student,
not only those one counsels), fees.refund (cancel receipts, refund), fees.configure (fee heads,
discounts' approval, fee settings), fees.expenses (expenses and salaries) and
reports.financial (the money reports). Faculty and students hold none of them.

The permissions are read from the user's role in the replica (`access.check.permissions_of`),
never from the role's name. The desk's check is a convenience (a clear message before anything
is written); the server enforces the same from the sync policy (`FEES_POLICY` in
institute_core/sync/policy.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from institute_core.access.check import permissions_of, role_name

COLLECT, REFUND, CONFIGURE, REPORTS, EXPENSES = (
    "fees.collect", "fees.refund", "fees.configure", "reports.financial", "fees.expenses")
# What a screen asks before showing money at all.
MONEY = COLLECT


class MoneyAccessDenied(PermissionError):
    """The user's role may not see or do this with the institute's money."""


def _who(session: Session, user_id: uuid.UUID | None) -> str:
    return role_name(session, user_id) or "unknown"


def require(session: Session, user_id: uuid.UUID | None, permission: str,
            what: str) -> frozenset[str]:
    """The user's permissions, or `MoneyAccessDenied` naming what they may not do."""
    held = permissions_of(session, user_id)
    if permission not in held:
        raise MoneyAccessDenied(f"{what} needs the {permission} permission; this account is "
                                f"{_who(session, user_id)}")
    return held


def require_money_access(session: Session, user_id: uuid.UUID | None) -> frozenset[str]:
    """The user's permissions, or `MoneyAccessDenied` when they may not handle fees."""
    held = permissions_of(session, user_id)
    if COLLECT not in held:
        raise MoneyAccessDenied("fees are for counselors and admins (the fees.collect "
                                f"permission); this account is {_who(session, user_id)}")
    return held


def require_admin(session: Session, user_id: uuid.UUID | None, what: str,
                  permission: str = CONFIGURE) -> frozenset[str]:
    """The user's permissions, or `MoneyAccessDenied` ("only an admin may ...") without
    `permission`."""
    held = permissions_of(session, user_id)
    if permission not in held:
        raise MoneyAccessDenied(f"only an admin may {what} (it takes the {permission} "
                                "permission)")
    return held


def is_admin(held: frozenset[str]) -> bool:
    """Whether these permissions approve money decisions at once (a discount)."""
    return CONFIGURE in held
