"""Password resets as every desk sees them: a reset newer than a cached offline verifier
makes that verifier stale (the person signs in online once with the new password)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from institute_core.schema import PasswordReset

SIGN_IN_ENDED = ("The server ended this account's sign-in: its password was reset or the "
                 "account deactivated. Connect to the network and sign in online.")
STALE_VERIFIER = ("An administrator reset this account's password. Sign in online once with "
                  "the new password; offline sign-in works again after that.")


def reset_since(session: Session, user_id: uuid.UUID, since: datetime) -> bool:
    """Whether the user's password was reset after `since` (as far as this desk has synced)."""
    return bool(session.scalar(select(exists().where(
        PasswordReset.user_id == user_id, PasswordReset.deleted_at.is_(None),
        PasswordReset.created_at > since))))
