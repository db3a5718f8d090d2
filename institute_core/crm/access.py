"""Who may work the CRM: counselors and admins. Faculty and students may neither see nor change
inquiries – enforced here for every service call, and by the sync scopes for what reaches a
device (`institute_core.sync.scopes`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import Role
from institute_core.schema import User

CRM_ROLES = frozenset({Role.COUNSELOR.value, Role.ADMIN.value, Role.SUPER_ADMIN.value})


class CrmAccessDenied(PermissionError):
    """The user's role may not see or change inquiries and follow-ups."""


def require_crm_access(session: Session, user_id: uuid.UUID | None) -> str:
    """The user's role, or `CrmAccessDenied` when it is not a CRM role."""
    role = None if user_id is None else session.execute(
        select(User.role).where(User.id == user_id, User.deleted_at.is_(None))).scalar()
    if role not in CRM_ROLES:
        raise CrmAccessDenied(
            f"the inquiry desk is for counselors and admins; this account is {role or 'unknown'}")
    return str(role)
