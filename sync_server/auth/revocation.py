"""Sign-ins a synced change makes untrustworthy, ended in the push that applies it.

A password reset is what an administrator does when a laptop is stolen or a password leaked:
the thief's refresh token must stop working with it, not 30 days later. A deactivated or
deleted account is refused on every request already (service.authenticate), but its sessions
must not come back to life when it is reactivated.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, update

from institute_core.enums import UserStatus
from institute_core.schema import table_of
from sync_server.clock import now

_sessions = table_of("auth_sessions")
_portal_sessions = table_of("portal_sessions")


def account_to_sign_out(table: str, old: Mapping[str, Any] | None,
                        new: Mapping[str, Any]) -> uuid.UUID | None:
    """The account whose sessions the change ends, if any: the user of a new password reset,
    or an account the change leaves inactive or deleted."""
    if table == "password_resets" and old is None:
        return uuid.UUID(str(new["user_id"]))
    if table == "users" and old is not None:
        usable = (str(new.get("status")) == UserStatus.ACTIVE.value
                  and new.get("deleted_at") is None)
        if not usable:
            return uuid.UUID(str(new["id"]))
    return None


def end_sessions(conn: Connection, user_id: uuid.UUID, *, keep: uuid.UUID) -> None:
    """Revoke every live session of `user_id` except `keep` (the one making the change: a
    super admin resetting their own password stays signed in on that desk), and every portal
    session of theirs."""
    conn.execute(update(_sessions).where(_sessions.c.user_id == user_id,
                                         _sessions.c.id != keep,
                                         _sessions.c.revoked_at.is_(None))
                 .values(revoked_at=now()))
    # The same account's portal sign-ins end with them (a leaked student password).
    conn.execute(update(_portal_sessions).where(_portal_sessions.c.user_id == user_id,
                                                _portal_sessions.c.revoked_at.is_(None))
                 .values(revoked_at=now()))
