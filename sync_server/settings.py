"""Server settings, each read once from the environment with its type and default."""

from __future__ import annotations

import os
import select
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

DEFAULT_INSTITUTE_NAME = "Institute Desk Demo Institute"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/institute_desk"


def sqlalchemy_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# One line that URL-encodes a password typed at a prompt (so it stays out of shell history).
ENCODE_PASSWORD = ("python3 -c 'import getpass, urllib.parse; "
                   "print(urllib.parse.quote(getpass.getpass(), safe=\"\"))'")


def _unreadable_url(detail: str) -> SystemExit:
    # The URL itself is not repeated: it holds the password.
    return SystemExit(
        f"DATABASE_URL cannot be read as postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
        f"({detail}). A password holding any of @ : / ? # % & or a space must be URL-encoded; "
        f"this prints the encoded form of a password typed at its prompt: {ENCODE_PASSWORD}")


def checked_database_url(url: str) -> str:
    """`url` for SQLAlchemy, or SystemExit saying how to write it when it cannot be meant."""
    try:
        parsed = make_url(sqlalchemy_url(url))
    except ArgumentError as exc:
        raise _unreadable_url("it is not a URL") from exc
    except ValueError as exc:
        # Not the parser's message: it can quote a piece of the password.
        raise _unreadable_url("what follows HOST: is not a port number") from exc
    # An unencoded @ or / in the password still parses, as a wrong host or database name.
    if "@" in (parsed.host or "") or "@" in (parsed.database or ""):
        raise _unreadable_url("an @ is left over after the one before the host")
    if "/" in (parsed.database or ""):
        raise _unreadable_url("a / is left over in the database name")
    return sqlalchemy_url(url)


def database_url() -> str:
    return checked_database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))


def make_engine(url: str, **kwargs: object) -> Engine:
    """The engine, with a pool that hands out no connection the server has closed.

    Not `pool_pre_ping`: its SELECT 1 is a round trip at every checkout, two or three per
    sync. A connection PostgreSQL ended (a restart, `pg_terminate_backend`, a crashed backend)
    has its socket closed by the server, which makes it readable while it sits idle in the
    pool; `_refuse_closed` looks for that without sending anything, and the pool then opens a
    new connection instead of failing the request."""
    engine = create_engine(sqlalchemy_url(url), **kwargs)  # type: ignore[arg-type]
    event.listen(engine, "checkout", _refuse_closed)
    return engine


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Raise DisconnectionError (the pool then connects anew) for a connection whose server
    has gone: closed on our side, or its idle socket readable. Between statements nothing is
    owed to a connection that is in the pool, so anything to read there is the server's
    goodbye (its FATAL message and end of stream); at worst a spurious reconnect."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        raise DisconnectionError("the connection was closed")
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:  # not a socket (SQLite in a tool's test): nothing to look at
        return
    try:
        ready = _readable(fileno())
    except (OSError, ValueError) as exc:
        raise DisconnectionError("the connection's socket is gone") from exc
    if ready:
        raise DisconnectionError("the server closed the connection")


def _readable(fd: int) -> bool:
    """Whether socket `fd` has something to read now (never waits). poll() where there is one:
    select() refuses descriptors past FD_SETSIZE (1024), which a busy server reaches; Windows
    has only select(), for sockets."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    readable, _writable, _failed = select.select([fd], [], [], 0)
    return bool(readable)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{name} must be 1 or 0 (true or false), got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told, from environment variables (names in comments)."""

    # DATABASE_URL
    database_url: str = field(default_factory=database_url)
    # INSTITUTE_SECRET_KEY: signs access tokens; all processes of one server must share it.
    secret_key: str = field(default_factory=lambda: os.environ.get("INSTITUTE_SECRET_KEY", ""))
    # INSTITUTE_HOST / INSTITUTE_PORT
    host: str = field(default_factory=lambda: os.environ.get("INSTITUTE_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: _env_int("INSTITUTE_PORT", 8765))
    # INSTITUTE_ACCESS_TOKEN_SECONDS / INSTITUTE_REFRESH_TOKEN_DAYS
    access_token_seconds: int = field(
        default_factory=lambda: _env_int("INSTITUTE_ACCESS_TOKEN_SECONDS", 15 * 60))
    refresh_token_days: int = field(
        default_factory=lambda: _env_int("INSTITUTE_REFRESH_TOKEN_DAYS", 30))
    # INSTITUTE_LOGIN_MAX_FAILURES failed sign-ins per email within
    # INSTITUTE_LOGIN_WINDOW_SECONDS, then 429 until the window has passed.
    login_max_failures: int = field(
        default_factory=lambda: _env_int("INSTITUTE_LOGIN_MAX_FAILURES", 5))
    login_window_seconds: int = field(
        default_factory=lambda: _env_int("INSTITUTE_LOGIN_WINDOW_SECONDS", 15 * 60))
    # INSTITUTE_LOGIN_MAX_FAILURES_PER_IP failed sign-ins from one client address (any emails)
    # within the same window, then 429: slows down guessing across many accounts.
    login_max_failures_per_ip: int = field(
        default_factory=lambda: _env_int("INSTITUTE_LOGIN_MAX_FAILURES_PER_IP", 30))
    # INSTITUTE_MAX_BODY_BYTES: larger request bodies get 413 before any database work.
    max_body_bytes: int = field(
        default_factory=lambda: _env_int("INSTITUTE_MAX_BODY_BYTES", 5 * 1024 * 1024))
    # INSTITUTE_MIN_CLIENT_SCHEMA: older clients are told to update (426).
    min_client_schema: int = field(
        default_factory=lambda: _env_int("INSTITUTE_MIN_CLIENT_SCHEMA", 1))
    # INSTITUTE_TOMBSTONE_DAYS: how long soft-deleted rows are guaranteed to be kept.
    tombstone_days: int = field(default_factory=lambda: _env_int("INSTITUTE_TOMBSTONE_DAYS", 90))
    # INSTITUTE_DB_POOL_SIZE: connections per server process.
    db_pool_size: int = field(default_factory=lambda: _env_int("INSTITUTE_DB_POOL_SIZE", 10))
    # INSTITUTE_BACKUP_DIR: where `upgrade` writes its restore point before migrating.
    backup_dir: str = field(default_factory=lambda: os.environ.get(
        "INSTITUTE_BACKUP_DIR", "/var/backups/institute-desk"))

    # INSTITUTE_PORTAL_SESSION_HOURS: how long a portal sign-in lasts.
    portal_session_hours: int = field(
        default_factory=lambda: _env_int("INSTITUTE_PORTAL_SESSION_HOURS", 12))
    # INSTITUTE_PORTAL_CODE_HOURS: how long a printed guardian sign-in code stays usable.
    portal_code_hours: int = field(
        default_factory=lambda: _env_int("INSTITUTE_PORTAL_CODE_HOURS", 72))
    # INSTITUTE_PORTAL_SENT_CODE_MINUTES: how long a code sent by SMS or email stays usable.
    portal_sent_code_minutes: int = field(
        default_factory=lambda: _env_int("INSTITUTE_PORTAL_SENT_CODE_MINUTES", 30))
    # INSTITUTE_PORTAL_CODE_REQUESTS: codes sent to one phone or email per sign-in window.
    portal_code_requests: int = field(
        default_factory=lambda: _env_int("INSTITUTE_PORTAL_CODE_REQUESTS", 3))
    # INSTITUTE_PORTAL_SECURE_COOKIES: portal cookies only over HTTPS (1, the default, behind
    # the TLS proxy of docs/deploy.md); 0 only for a plain-HTTP trial on one machine.
    portal_secure_cookies: bool = field(
        default_factory=lambda: _env_bool("INSTITUTE_PORTAL_SECURE_COOKIES", True))

    # INSTITUTE_NAME / INSTITUTE_ADDRESS: printed at the top of PDFs the server makes (the
    # portal's monthly report, certificates).
    institute_name: str = field(default_factory=lambda: os.environ.get(
        "INSTITUTE_NAME", "").strip() or DEFAULT_INSTITUTE_NAME)
    institute_address: str | None = field(
        default_factory=lambda: os.environ.get("INSTITUTE_ADDRESS", "").strip() or None)
    # INSTITUTE_GSTIN / INSTITUTE_STATE / INSTITUTE_RECEIPT_PAPER (A4 or A5): what a receipt
    # the portal reprints says of the institute's GST (the desks keep the same in their fee
    # settings).
    institute_gstin: str | None = field(
        default_factory=lambda: os.environ.get("INSTITUTE_GSTIN", "").strip() or None)
    institute_state: str | None = field(
        default_factory=lambda: os.environ.get("INSTITUTE_STATE", "").strip() or None)
    receipt_paper: str = field(
        default_factory=lambda: os.environ.get("INSTITUTE_RECEIPT_PAPER", "A5").strip())

    def checked(self) -> Settings:
        """These settings, or SystemExit naming what is missing."""
        if len(self.secret_key) < 16:
            raise SystemExit("INSTITUTE_SECRET_KEY must be set to a secret of at least 16 "
                             "characters (the same for every server process)")
        return self
