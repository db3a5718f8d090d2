"""Signing in on this device, and creating a standalone institute.

Offline sign-in checks an argon2 verifier kept on this device, never the password itself:
- a `local_credentials` row, cached after an earlier online sign-in on a server-connected device;
- else `users.password_hash` (a local-only column), set on standalone and demo replicas.

Online sign-in belongs to the sync client; after it succeeds the app calls `remember_verifier`
so that the same person can sign in offline later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert

from institute_core.access import permissions as perms
from institute_core.access.check import permissions_of
from institute_core.audit.log import record_login
from institute_core.enums import Role, UserStatus
from institute_core.replica import Replica
from institute_core.schema import LocalCredential, User
from institute_core.schema.types import utcnow
from institute_core.services.common import faculty_id_of, full_name
from institute_core.setup.passwords import SIGN_IN_ENDED, STALE_VERIFIER, reset_since
from institute_core.validation import InvalidInput

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


class LoginProblem(StrEnum):
    """Why a sign-in failed; each has its own message for the person at the keyboard."""

    WRONG_PASSWORD = "wrong_password"
    UNKNOWN_USER = "unknown_user"
    INACTIVE = "inactive"
    UNREACHABLE = "unreachable"
    NO_OFFLINE_VERIFIER = "no_offline_verifier"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


MESSAGES: dict[LoginProblem, str] = {
    LoginProblem.WRONG_PASSWORD: "Wrong password. Check Caps Lock and try again.",
    LoginProblem.UNKNOWN_USER: "No account with this email is known on this computer.",
    LoginProblem.INACTIVE: "This account is not active. Ask your administrator.",
    LoginProblem.UNREACHABLE: ("The sync server cannot be reached. You can sign in offline "
                               "once you have signed in online on this computer."),
    LoginProblem.NO_OFFLINE_VERIFIER: ("This account has never signed in on this computer. "
                                       "Connect to the network and sign in online once."),
    # The server does not say whether the email or the password was wrong (on purpose).
    LoginProblem.REJECTED: ("The server did not accept this email and password. Check both "
                            "(and Caps Lock) and try again."),
    LoginProblem.CANCELLED: ("Download cancelled. What arrived is kept; connect again to "
                             "finish."),
}


class LoginFailed(Exception):
    """A sign-in refused for a reason the user can act on."""

    def __init__(self, problem: LoginProblem, detail: str | None = None) -> None:
        self.problem = problem
        super().__init__(detail or MESSAGES[problem])


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in person, as every screen needs it."""

    user_id: uuid.UUID
    email: str
    name: str
    # Their role's name (a built-in role, or one an owner defined in Setup → Roles).
    role: str
    faculty_id: uuid.UUID | None
    online: bool = False
    # What their role grants, read from the replica at sign-in (None: the built-in role's
    # set). Screens and services ask for these, never for the role's name.
    permissions: frozenset[str] | None = None

    def may(self, permission: str) -> bool:
        granted = self.permissions if self.permissions is not None else perms.of_role(self.role)
        return permission in granted


def _role(name: str) -> str:
    """A built-in role as its `Role` member (screens compare with it), any other by name."""
    return Role(name) if name in perms.BUILT_IN else name


def hash_password(password: str) -> str:
    """An argon2 verifier of `password`."""
    return _HASHER.hash(password)


def _verify(verifier: str, password: str) -> bool:
    try:
        return _HASHER.verify(verifier, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login_offline(replica: Replica, email: str, password: str) -> CurrentUser:
    """Sign in against the verifier kept on this device; raises `LoginFailed`."""
    email = email.strip().lower()
    with replica.read() as session:
        user = session.execute(select(User).where(func.lower(User.email) == email,
                                                  User.deleted_at.is_(None))).scalar_one_or_none()
        credential = session.execute(select(LocalCredential).where(
            func.lower(LocalCredential.email) == email)).scalar_one_or_none()
        if user is None:
            raise LoginFailed(LoginProblem.UNKNOWN_USER)
        if credential is not None and not credential.verifier:
            raise LoginFailed(LoginProblem.NO_OFFLINE_VERIFIER, SIGN_IN_ENDED)
        verifier = credential.verifier if credential is not None else user.password_hash
        if not verifier:
            raise LoginFailed(LoginProblem.NO_OFFLINE_VERIFIER)
        if credential is not None and reset_since(session, user.id, credential.verified_at):
            raise LoginFailed(LoginProblem.NO_OFFLINE_VERIFIER, STALE_VERIFIER)
        if not _verify(verifier, password):
            raise LoginFailed(LoginProblem.WRONG_PASSWORD)
        if user.status != UserStatus.ACTIVE:
            raise LoginFailed(LoginProblem.INACTIVE)
        signed_in = CurrentUser(user_id=user.id, email=user.email,
                                name=full_name(user.first_name, user.last_name),
                                role=_role(user.role), faculty_id=faculty_id_of(session, user.id),
                                permissions=permissions_of(session, user.id))
    record_login(replica, signed_in.user_id, online=False)
    return signed_in


def current_user(replica: Replica, user_id: uuid.UUID, *, online: bool = False) -> CurrentUser:
    """The value object of a user known in the replica (after an online sign-in and sync)."""
    with replica.read() as session:
        user = session.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise LoginFailed(LoginProblem.UNKNOWN_USER)
        if user.status != UserStatus.ACTIVE:
            raise LoginFailed(LoginProblem.INACTIVE)
        found = CurrentUser(user_id=user.id, email=user.email,
                            name=full_name(user.first_name, user.last_name),
                            role=_role(user.role), faculty_id=faculty_id_of(session, user.id),
                            online=online, permissions=permissions_of(session, user.id))
    if online:  # called right after a successful online sign-in
        record_login(replica, found.user_id, online=True)
    return found


def remember_verifier(replica: Replica, user_id: uuid.UUID, email: str, password: str) -> None:
    """Keep an argon2 verifier of a password that just signed in online, for offline use."""
    values = {"user_id": user_id, "email": email.strip().lower(),
              "verifier": hash_password(password), "verified_at": utcnow()}
    statement = insert(LocalCredential).values(**values).on_conflict_do_update(
        index_elements=["user_id"], set_={k: v for k, v in values.items() if k != "user_id"})
    with replica.engine.begin() as connection:
        # Another account may have used this email before on this device: one verifier per email.
        connection.execute(LocalCredential.__table__.delete().where(  # type: ignore[attr-defined]
            LocalCredential.email == values["email"], LocalCredential.user_id != user_id))
        connection.execute(statement)


def forget_verifier(replica: Replica, email: str) -> None:
    """Stop signing `email` in offline here: the server ended their sign-in, which it does when
    an administrator resets the password or deactivates the account. The row stays, emptied,
    so that the refusal can say why (SIGN_IN_ENDED) instead of "never signed in here"."""
    with replica.engine.begin() as connection:
        connection.execute(LocalCredential.__table__.update().where(  # type: ignore[attr-defined]
            LocalCredential.email == email.strip().lower()).values(verifier=""))


def has_accounts(replica: Replica) -> bool:
    """Whether anyone could sign in here yet (decides whether the login shows first-run choices)."""
    with replica.read() as session:
        users = session.execute(select(func.count()).select_from(User).where(
            User.password_hash.is_not(None))).scalar_one()
        cached = session.execute(select(func.count()).select_from(LocalCredential)).scalar_one()
    return bool(users or cached)


def create_standalone_institute(replica: Replica, *, email: str, password: str,
                                first_name: str, last_name: str = "") -> CurrentUser:
    """Start an institute on this PC with no server: its first account is the admin.

    Raises `InvalidInput` for a short password or a bad email and writes nothing then.
    """
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("users", "email", "must be an email address", email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("users", "password",
                           f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    user_id = uuid.uuid4()
    with replica.write(replica.actor(user_id)) as session:
        session.add(User(id=user_id, email=email, password_hash=hash_password(password),
                         first_name=first_name.strip(), last_name=last_name.strip(),
                         role=Role.ADMIN, status=UserStatus.ACTIVE))
    replica.set_state("standalone", True)
    return CurrentUser(user_id=user_id, email=email, name=full_name(first_name, last_name),
                       role=Role.ADMIN, faculty_id=None,
                       permissions=perms.of_role(Role.ADMIN.value))
