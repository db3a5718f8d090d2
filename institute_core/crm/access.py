"""Who may work the CRM: who holds `crm.inquiry.edit` (counselors and admins built in). Faculty
and students may neither see nor change inquiries – enforced here for every service call, and
by the sync scopes for what reaches a device (`institute_core.sync.scopes`)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from institute_core.access.check import permissions_of, role_name

CRM = "crm.inquiry.edit"


class CrmAccessDenied(PermissionError):
    """The user's role may not see or change inquiries and follow-ups."""


def require_crm_access(session: Session, user_id: uuid.UUID | None) -> frozenset[str]:
    """The user's permissions, or `CrmAccessDenied` when they may not work inquiries."""
    held = permissions_of(session, user_id)
    if CRM not in held:
        raise CrmAccessDenied(
            "the inquiry desk needs the permission crm.inquiry.edit (counselors and admins "
            f"have it); this account is {role_name(session, user_id) or 'unknown'}")
    return held


def counsels(held: frozenset[str]) -> bool:
    """Whether they work as a counselor (their own inquiries and students are theirs), as
    opposed to managing everyone's."""
    return "students.counsel" in held and "students.manage" not in held
