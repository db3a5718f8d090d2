"""Sign-in logic: login with throttling, refresh with rotation, logout, token checks."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Uuid, bindparam, func, insert, select, update

from institute_core.access import permissions as perms
from institute_core.enums import UserStatus
from institute_core.schema import table_of
from institute_core.sync.wire import SIGN_IN_REVOKED, LoginRequest, TokenPair, UserInfo
from sync_server.auth import throttle
from sync_server.auth.passwords import verify_password
from sync_server.auth.tokens import (
    AccessClaims,
    TokenError,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    read_access_token,
)
from sync_server.clock import now, now_ms
from sync_server.errors import ApiError
from sync_server.principal import Principal
from sync_server.settings import Settings

_users = table_of("users")
_sessions = table_of("auth_sessions")
_failures = table_of("auth_login_failures")
_faculties = table_of("faculties")
_roles = table_of("roles")
_resets = table_of("password_resets")
_devices = table_of("sync_devices")

WRONG_CREDENTIALS = "Wrong email or password."
INACTIVE = "Account inactive: ask an administrator to reactivate it."


def _user_info(row: object) -> UserInfo:
    return UserInfo(id=row.id, email=row.email, first_name=row.first_name,  # type: ignore[attr-defined]
                    last_name=row.last_name, role=row.role, status=row.status)  # type: ignore[attr-defined]


def _issue(conn: Connection, settings: Settings, user: object,
           session_id: uuid.UUID) -> TokenPair:
    refresh = new_refresh_token()
    stamp = now()
    conn.execute(update(_sessions).where(_sessions.c.id == session_id).values(
        refresh_hash=hash_refresh_token(refresh), last_used_at=stamp,
        expires_at=stamp + timedelta(days=settings.refresh_token_days)))
    claims = AccessClaims(session_id, user.id,  # type: ignore[attr-defined]
                          now_ms() + settings.access_token_seconds * 1000)
    return TokenPair(access_token=issue_access_token(settings.secret_key, claims),
                     refresh_token=refresh, expires_in=settings.access_token_seconds,
                     user=_user_info(user))


def _current_verifier(conn: Connection, user: Any) -> str | None:
    """The password hash sign-in checks: the newest synced reset, else the account's own.

    An administrator resets a password on a desk (possibly offline); the reset reaches the
    server as a `password_resets` row, and from then on only the new password signs in.
    "Newest" is the order the server applied them in (`version`): `created_at` is the desk's
    word, and a reset dated in the year 2999 would otherwise outlast every later one.
    """
    reset = conn.execute(
        select(_resets.c.verifier)
        .where(_resets.c.user_id == user.id, _resets.c.deleted_at.is_(None))
        .order_by(_resets.c.version.desc()).limit(1)).scalar()
    return str(reset) if reset is not None else user.password_hash


def check_credentials(engine: Engine, settings: Settings, email: str, password: str) -> Any:
    """The active user row an email and password name; 401, 403 or 429 (ApiError) otherwise.

    Shared by the API's sign-in and the portal's. The attempt is counted before the password
    is checked (atomically, see throttle.py), and an unknown email or an account without a
    password is checked against a dummy hash of the same cost: the answer and its timing tell
    nothing about which emails exist.
    """
    email = email.strip().lower()
    throttle.count_attempt(engine, email, settings.login_max_failures,
                           settings.login_window_seconds)
    with engine.connect() as conn:
        user = conn.execute(select(_users).where(func.lower(_users.c.email) == email,
                                                 _users.c.deleted_at.is_(None))).first()
        stored = _current_verifier(conn, user) if user is not None else None
    # Always verified, even without a user: skipping the hash was what told emails apart.
    if not verify_password(stored, password) or user is None:
        raise ApiError(401, "invalid_credentials", WRONG_CREDENTIALS)
    if user.status != UserStatus.ACTIVE.value:
        raise ApiError(403, "account_inactive", INACTIVE)
    throttle.forget(engine, email)
    return user


def login(engine: Engine, settings: Settings, request: LoginRequest) -> TokenPair:
    """Tokens for a correct email and password; 401, 403 or 429 otherwise (see
    `check_credentials`)."""
    user = check_credentials(engine, settings, request.email, request.password)
    with engine.begin() as conn:
        session_id = uuid.uuid4()
        stamp = now()
        conn.execute(insert(_sessions).values(
            id=session_id, user_id=user.id, device_id=_own_device(conn, user.id,
                                                                  request.device_id),
            refresh_hash=f"pending:{session_id}", created_at=stamp, expires_at=stamp))
        return _issue(conn, settings, user, session_id)


def _own_device(conn: Connection, user_id: uuid.UUID,
                device_id: uuid.UUID | None) -> uuid.UUID | None:
    """`device_id` unless it is registered to another user: a session never names a device
    its user does not own (the desk registers its own id right after signing in)."""
    if device_id is None:
        return None
    owner = conn.execute(select(_devices.c.user_id)
                         .where(_devices.c.device_id == device_id)).scalar()
    return device_id if owner is None or owner == user_id else None


def refresh(engine: Engine, settings: Settings, refresh_token: str) -> TokenPair:
    """A new token pair for a live session; the old refresh token stops working (rotation)."""
    with engine.begin() as conn:
        session = conn.execute(
            select(_sessions).where(_sessions.c.refresh_hash == hash_refresh_token(refresh_token))
            .with_for_update()).first()
        if session is None:
            raise ApiError(401, "invalid_token", "This sign-in is no longer valid; sign in again.")
        if session.revoked_at is not None:
            # Only a sign-out or an administrator's change (auth/revocation.py) revokes a
            # session: the desk then stops trusting what it cached of the old password.
            raise ApiError(401, SIGN_IN_REVOKED, "This sign-in was ended (signed out, or the "
                           "password was reset or the account deactivated); sign in again.")
        if session.expires_at <= now():
            raise ApiError(401, "token_expired", "This sign-in has expired; sign in again.")
        user = conn.execute(select(_users).where(_users.c.id == session.user_id)).first()
        if user is None or user.status != UserStatus.ACTIVE.value or user.deleted_at is not None:
            raise ApiError(403, "account_inactive", INACTIVE)
        return _issue(conn, settings, user, session.id)


def logout(engine: Engine, principal: Principal) -> None:
    with engine.begin() as conn:
        conn.execute(update(_sessions).where(_sessions.c.id == principal.session_id,
                                             _sessions.c.revoked_at.is_(None))
                     .values(revoked_at=now()))


# The caller of a request, read on every push and pull: built once (building the statement
# and its cache key each time cost more than PostgreSQL's answering it).
_CALLER = (
    select(_sessions.c.revoked_at, _sessions.c.device_id, _users.c.email, _users.c.role,
           _users.c.status, _users.c.deleted_at, _faculties.c.id.label("faculty_id"),
           _roles.c.permissions, _roles.c.only_branch_id)
    .join(_users, _users.c.id == _sessions.c.user_id)
    .outerjoin(_faculties, (_faculties.c.user_id == _users.c.id)
               & _faculties.c.deleted_at.is_(None))
    # What the role grants is read on every request: a change to the role (or the account's
    # role) applies at the user's next push or pull.
    .outerjoin(_roles, (_roles.c.name == _users.c.role) & _roles.c.deleted_at.is_(None))
    .where(_sessions.c.id == bindparam("session_id", type_=Uuid),
           _sessions.c.user_id == bindparam("user_id", type_=Uuid)))


def authenticate(engine: Engine, settings: Settings, token: str) -> Principal:
    """The caller of a request bearing `token`; 401/403 if it is not (or no longer) valid."""
    try:
        claims = read_access_token(settings.secret_key, token, now_ms())
    except TokenError as exc:
        if exc.expired:
            raise ApiError(401, "token_expired", "The access token has expired; refresh it.",
                           headers={"WWW-Authenticate": "Bearer"}) from exc
        raise ApiError(401, "invalid_token", "The access token is not valid.",
                       headers={"WWW-Authenticate": "Bearer"}) from exc
    with engine.connect() as conn:
        # One read: autocommit spares it the BEGIN and ROLLBACK round trips around it.
        conn.execution_options(isolation_level="AUTOCOMMIT")
        row = conn.execute(_CALLER, {"session_id": claims.session_id,
                                     "user_id": claims.user_id}).first()
    if row is None or row.revoked_at is not None:
        raise ApiError(401, "token_revoked", "This sign-in was ended; sign in again.",
                       headers={"WWW-Authenticate": "Bearer"})
    if row.status != UserStatus.ACTIVE.value or row.deleted_at is not None:
        raise ApiError(403, "account_inactive", INACTIVE)
    return Principal(user_id=claims.user_id, session_id=claims.session_id,
                     device_id=row.device_id, email=row.email, role=row.role,
                     faculty_id=row.faculty_id,
                     # No live role of that name grants nothing (never the built-in set).
                     permissions=perms.of_role(row.role, {"permissions": row.permissions or []}),
                     branch_limit=row.only_branch_id)


def me(engine: Engine, principal: Principal) -> UserInfo:
    with engine.connect() as conn:
        user = conn.execute(select(_users).where(_users.c.id == principal.user_id)).one()
    return _user_info(user)
