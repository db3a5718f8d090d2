"""Who may manage messages on a desk: the one place the desk asks it (issue 19).

Administrators post announcements and keep templates and triggers; counselors send one-off
messages; faculty cause absence alerts and send nothing themselves. The desk's check is a
convenience (a clear message before anything is written); the server enforces the same from
the sync policy (institute_core/sync/policy.py). When the permission catalogue of issue 17
lands (`messages.manage`, `messages.send`), these two sets become those permissions here and
nowhere else.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from institute_core.engagement.access import require_role
from institute_core.enums import Role

MANAGERS = frozenset({Role.ADMIN.value, Role.SUPER_ADMIN.value})  # messages.manage
SENDERS = MANAGERS | {Role.COUNSELOR.value}  # messages.send


def may_manage(role: str) -> bool:
    """Whether the role keeps announcements, templates and triggers."""
    return role in MANAGERS


def require_manage(session: Session, user_id: uuid.UUID | None, what: str) -> str:
    """The user's role, or NotAllowed naming `what` when they may not manage messages."""
    return require_role(session, user_id, MANAGERS, what)
