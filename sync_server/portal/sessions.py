"""Portal sign-ins kept in PostgreSQL: create, read, revoke; guardian one-time codes.

The browser holds a random token in a cookie; the database holds its SHA-256 only, so a copy of
the database opens no session. Each session carries a second random value every form must send
back (CSRF). A session ends when it expires, when its user signs out, and with the account's
other sign-ins (a password reset or deactivation: auth/revocation.py ends both kinds).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from institute_core.enums import Role, UserStatus
from institute_core.schema import table_of
from institute_core.sync.scopes import Viewer, visible
from sync_server.clock import now
from sync_server.settings import Settings

_sessions = table_of("portal_sessions")
_codes = table_of("portal_sign_in_codes")
_users = table_of("users")
_students = table_of("students")

STUDENT, GUARDIAN = "student", "guardian"
# A guardian's viewer has no account of its own: the nil id matches no users row.
NO_ACCOUNT = uuid.UUID(int=0)
# Sign-in codes: letters and digits that cannot be mistaken for one another when read aloud or
# typed from paper (no 0/O, 1/I/L); 10 of 31 symbols is about 50 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (a missing one never matches)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass(frozen=True)
class PortalUser:
    """Who a portal request is for: the session, its kind and the students it may read."""

    session_id: uuid.UUID
    kind: str
    user_id: uuid.UUID | None
    student_ids: tuple[uuid.UUID, ...]
    csrf_token: str
    expires_at: datetime

    @property
    def viewer(self) -> Viewer:
        """The sync read scopes' viewer: a student, limited to exactly these student records
        (a guardian's code names one child; a student's account its own records)."""
        return Viewer(user_id=self.user_id or NO_ACCOUNT, role=Role.STUDENT.value,
                      own=self.student_ids)


@dataclass(frozen=True)
class NewSession:
    """A session just opened: the cookie value to hand the browser, once."""

    token: str
    expires_at: datetime


def open_session(engine: Engine, settings: Settings, *, kind: str,
                 user_id: uuid.UUID | None = None,
                 student_id: uuid.UUID | None = None) -> NewSession:
    token = secrets.token_urlsafe(32)
    stamp = now()
    expires = stamp + timedelta(hours=settings.portal_session_hours)
    with engine.begin() as conn:
        conn.execute(insert(_sessions).values(
            id=uuid.uuid4(), token_hash=token_hash(token), kind=kind, user_id=user_id,
            student_id=student_id, csrf_token=secrets.token_urlsafe(24), created_at=stamp,
            last_seen_at=stamp, expires_at=expires))
    return NewSession(token, expires)


def read_session(engine: Engine, token: str | None) -> PortalUser | None:
    """The live session a cookie names, or None (unknown, expired, revoked, account unusable)."""
    if not token or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(_sessions, _users.c.status, _users.c.deleted_at.label("user_deleted_at"),
                   _users.c.role)
            .outerjoin(_users, _users.c.id == _sessions.c.user_id)
            .where(_sessions.c.token_hash == token_hash(token))).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now():
            return None
        students = _students_of(conn, row)
    if not students:
        return None
    return PortalUser(session_id=row.id, kind=row.kind, user_id=row.user_id,
                      student_ids=students, csrf_token=row.csrf_token,
                      expires_at=row.expires_at)


def _students_of(conn: Connection, row: Any) -> tuple[uuid.UUID, ...]:
    """The student records the session may read now, through the students table's read
    scope: an account deactivated or a student record deleted since sign-in reads nothing."""
    if row.kind == STUDENT and row.user_id is not None:
        if row.status != UserStatus.ACTIVE.value or row.user_deleted_at is not None \
                or row.role != Role.STUDENT.value:
            return ()
        viewer = Viewer(user_id=row.user_id, role=Role.STUDENT.value)
    elif row.kind == GUARDIAN and row.student_id is not None:
        viewer = Viewer(user_id=NO_ACCOUNT, role=Role.STUDENT.value, own=(row.student_id,))
    else:
        return ()
    return tuple(conn.execute(select(_students.c.id).where(
        visible("students", viewer), _students.c.deleted_at.is_(None))
        .order_by(_students.c.enrollment_no)).scalars())


def revoke(engine: Engine, session_id: uuid.UUID) -> None:
    with engine.begin() as conn:
        conn.execute(update(_sessions).where(_sessions.c.id == session_id,
                                             _sessions.c.revoked_at.is_(None))
                     .values(revoked_at=now()))


def revoke_for_student(engine: Engine, student_id: uuid.UUID) -> int:
    """End every guardian session of a student (an administrator's "sign out everywhere")."""
    with engine.begin() as conn:
        return int(conn.execute(update(_sessions).where(
            _sessions.c.student_id == student_id,
            _sessions.c.revoked_at.is_(None)).values(revoked_at=now())).rowcount)


# --- guardian codes ---------------------------------------------------------------------------

def normalize_code(typed: str) -> str:
    """A code as typed (any case, with spaces or dashes) in its stored form."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def printable_code(code: str) -> str:
    """Grouped for reading off paper: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


@dataclass(frozen=True)
class IssuedCode:
    code: str
    student_id: uuid.UUID
    expires_at: datetime


def issue_code(engine: Engine, settings: Settings, student_id: uuid.UUID,
               created_by: uuid.UUID | None, lifetime: timedelta | None = None) -> IssuedCode:
    """A new one-time code for a guardian of `student_id`; LookupError if no such student.
    It lasts `lifetime` (a code sent by message), else the printed codes' hours."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    stamp = now()
    expires = stamp + (lifetime or timedelta(hours=settings.portal_code_hours))
    with engine.begin() as conn:
        exists = conn.execute(select(_students.c.id).where(
            _students.c.id == student_id, _students.c.deleted_at.is_(None))).scalar()
        if exists is None:
            raise LookupError(f"no student with id {student_id}")
        conn.execute(insert(_codes).values(
            id=uuid.uuid4(), code_hash=token_hash(code), student_id=student_id,
            created_by=created_by, created_at=stamp, expires_at=expires))
    return IssuedCode(printable_code(code), student_id, expires)


def redeem_code(engine: Engine, typed: str) -> uuid.UUID | None:
    """The student a valid unused code names, marking it used (once: concurrent redemptions
    of one code cannot both succeed); None otherwise."""
    code = normalize_code(typed)
    if len(code) != CODE_LENGTH:
        return None
    stamp = now()
    with engine.begin() as conn:
        student: uuid.UUID | None = conn.execute(
            update(_codes).where(_codes.c.code_hash == token_hash(code),
                                 _codes.c.used_at.is_(None), _codes.c.expires_at > stamp)
            .values(used_at=stamp).returning(_codes.c.student_id)).scalar()
    return student
