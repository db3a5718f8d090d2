"""Sign-in logic: login with throttling, refresh with rotation, logout, token checks."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from institute_core.enums import UserStatus
from institute_core.schema import table_of
from institute_core.sync.wire import LoginRequest, TokenPair, UserInfo
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
_resets = table_of("password_resets")

WRONG_CREDENTIALS = "Wrong email or password."
INACTIVE = "Account inactive: ask an administrator to reactivate it."


def _user_info(row: object) -> UserInfo:
    return UserInfo(id=row.id, email=row.email, first_name=row.first_name,  # type: ignore[attr-defined]
                    last_name=row.last_name, role=row.role, status=row.status)  # type: ignore[attr-defined]


def _check_throttle(conn: Connection, settings: Settings, email: str) -> None:
    row = conn.execute(select(_failures).where(_failures.c.email == email)).first()
    if row is None or row.failures < settings.login_max_failures:
        return
    until = row.first_failed_at + timedelta(seconds=settings.login_window_seconds)
    wait = (until - now()).total_seconds()
    if wait > 0:
        raise ApiError(429, "too_many_attempts",
                       f"Too many failed sign-ins for this email; try again in "
                       f"{math.ceil(wait / 60)} minute(s).",
                       headers={"Retry-After": str(math.ceil(wait))})


def _record_failure(engine: Engine, settings: Settings, email: str) -> None:
    stamp = now()
    window_start = stamp - timedelta(seconds=settings.login_window_seconds)
    with engine.begin() as conn:
        row = conn.execute(select(_failures).where(_failures.c.email == email)
                           .with_for_update()).first()
        if row is None:
            # Two processes may race to insert the first failure; the loser just counts again.
            conn.execute(insert(_failures).values(email=email, failures=1,
                                                  first_failed_at=stamp, last_failed_at=stamp))
        elif row.first_failed_at < window_start:
            conn.execute(update(_failures).where(_failures.c.email == email).values(
                failures=1, first_failed_at=stamp, last_failed_at=stamp))
        else:
            conn.execute(update(_failures).where(_failures.c.email == email).values(
                failures=_failures.c.failures + 1, last_failed_at=stamp))


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
    """
    reset = conn.execute(
        select(_resets.c.verifier)
        .where(_resets.c.user_id == user.id, _resets.c.deleted_at.is_(None))
        .order_by(_resets.c.created_at.desc()).limit(1)).scalar()
    return str(reset) if reset is not None else user.password_hash


def login(engine: Engine, settings: Settings, request: LoginRequest) -> TokenPair:
    """Tokens for a correct email and password; 401, 403 or 429 otherwise."""
    email = request.email.strip().lower()
    with engine.begin() as conn:
        _check_throttle(conn, settings, email)
        user = conn.execute(select(_users).where(func.lower(_users.c.email) == email,
                                                 _users.c.deleted_at.is_(None))).first()
        stored = _current_verifier(conn, user) if user is not None else None
    if user is None or not verify_password(stored, request.password):
        _record_failure(engine, settings, email)
        raise ApiError(401, "invalid_credentials", WRONG_CREDENTIALS)
    if user.status != UserStatus.ACTIVE.value:
        raise ApiError(403, "account_inactive", INACTIVE)
    with engine.begin() as conn:
        conn.execute(delete(_failures).where(_failures.c.email == email))
        session_id = uuid.uuid4()
        stamp = now()
        conn.execute(insert(_sessions).values(
            id=session_id, user_id=user.id, device_id=request.device_id,
            refresh_hash=f"pending:{session_id}", created_at=stamp, expires_at=stamp))
        return _issue(conn, settings, user, session_id)


def refresh(engine: Engine, settings: Settings, refresh_token: str) -> TokenPair:
    """A new token pair for a live session; the old refresh token stops working (rotation)."""
    with engine.begin() as conn:
        session = conn.execute(
            select(_sessions).where(_sessions.c.refresh_hash == hash_refresh_token(refresh_token))
            .with_for_update()).first()
        if session is None or session.revoked_at is not None:
            raise ApiError(401, "invalid_token", "This sign-in is no longer valid; sign in again.")
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
        row = conn.execute(
            select(_sessions.c.revoked_at, _sessions.c.device_id, _users.c.email,
                   _users.c.role, _users.c.status, _users.c.deleted_at,
                   _faculties.c.id.label("faculty_id"))
            .join(_users, _users.c.id == _sessions.c.user_id)
            .outerjoin(_faculties, (_faculties.c.user_id == _users.c.id)
                       & _faculties.c.deleted_at.is_(None))
            .where(_sessions.c.id == claims.session_id,
                   _sessions.c.user_id == claims.user_id)).first()
    if row is None or row.revoked_at is not None:
        raise ApiError(401, "token_revoked", "This sign-in was ended; sign in again.",
                       headers={"WWW-Authenticate": "Bearer"})
    if row.status != UserStatus.ACTIVE.value or row.deleted_at is not None:
        raise ApiError(403, "account_inactive", INACTIVE)
    return Principal(user_id=claims.user_id, session_id=claims.session_id,
                     device_id=row.device_id, email=row.email, role=row.role,
                     faculty_id=row.faculty_id)


def me(engine: Engine, principal: Principal) -> UserInfo:
    with engine.connect() as conn:
        user = conn.execute(select(_users).where(_users.c.id == principal.user_id)).one()
    return _user_info(user)
