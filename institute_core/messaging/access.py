"""Who may manage messages on a desk: the one place the desk asks it (issue 19), by permission
(issue 17): `messages.manage` posts announcements and keeps templates and triggers;
`messages.send` sends one-off messages; faculty cause absence alerts and send nothing
themselves. The desk's check is a convenience (a clear message before anything is written);
the server enforces the same from the sync policy (institute_core/sync/policy.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from institute_core.access import permissions as perms
from institute_core.engagement.access import require_any

MANAGE, SEND = "messages.manage", "messages.send"


def may_manage(role: str) -> bool:
    """Whether a built-in role keeps announcements, templates and triggers (screens with a
    signed-in user ask `user.may(MANAGE)`)."""
    return MANAGE in perms.of_role(role)


def require_manage(session: Session, user_id: uuid.UUID | None, what: str) -> frozenset[str]:
    """The user's permissions, or NotAllowed naming `what` when they may not manage messages."""
    return require_any(session, user_id, {MANAGE}, what)
