"""Who may handle money on a desk, by permission (issue 17): `fees.collect` takes payments and
sees dues of the students one counsels, `fees.all_students` of every student; `fees.configure`
configures fees and approves discounts, `fees.refund` cancels and refunds, `reports.financial`
sees the money reports. Faculty and students hold none of them.

The desk's check is a convenience (a clear message before anything is written); the server
enforces the same from the sync policy (`FEES_POLICY` in institute_core/sync/policy.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from institute_core.access.check import permissions_of, role_name

# What a permission check on money asks for, named once for the screens.
MONEY = "fees.collect"
APPROVES = "fees.configure"


class MoneyAccessDenied(PermissionError):
    """The user's role may not see or do this with the institute's money."""


def require_money_access(session: Session, user_id: uuid.UUID | None) -> frozenset[str]:
    """The user's permissions, or `MoneyAccessDenied` when they may not handle fees."""
    held = permissions_of(session, user_id)
    if MONEY not in held:
        raise MoneyAccessDenied("fees need the permission fees.collect (counselors and admins "
                                f"have it); this account is "
                                f"{role_name(session, user_id) or 'unknown'}")
    return held


def require_admin(session: Session, user_id: uuid.UUID | None, what: str,
                  permission: str = APPROVES) -> frozenset[str]:
    """The user's permissions, or `MoneyAccessDenied` unless they hold `permission`."""
    held = permissions_of(session, user_id)
    if permission not in held:
        raise MoneyAccessDenied(f"only an admin may {what} (it takes the permission "
                                f"{permission})")
    return held


def is_admin(held: frozenset[str]) -> bool:
    """Whether these permissions approve money decisions at once (a discount)."""
    return APPROVES in held
