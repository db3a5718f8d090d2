"""Announcements: posted by an administrator, shown on the home screen of every desk in their
audience, read receipts visible to the author; optionally also sent to the guardians of the
students in the audience through the message channels.

The server decides what reaches a desk (policy `their_audience`, in their branches); the board
filters the replica with the same SQL (`scopes.audience_clause`), so an administrator, whose
desk holds every announcement, sees on their board only what is for them or theirs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from institute_core.enums import Audience, MessageEvent, Role, StudentStatus
from institute_core.ids import natural_id
from institute_core.messaging.access import require_manage
from institute_core.messaging.contacts import opted_out, recipient
from institute_core.messaging.queue import Outgoing, queue
from institute_core.messaging.triggers import primary_guardian
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    Announcement,
    AnnouncementRead,
    BatchMember,
    Branch,
    FlexibleBatch,
    Student,
    User,
)
from institute_core.schema.types import utcnow
from institute_core.sync.scopes import Viewer, audience_clause
from institute_core.validation import InvalidInput

TITLE_LIMIT = 200


@dataclass(frozen=True)
class Notice:
    """One announcement as the board shows it."""

    id: uuid.UUID
    title: str
    body: str
    audience: str
    audience_role: str | None
    batch_id: uuid.UUID | None
    branch_id: uuid.UUID | None
    pinned: bool
    expires_at: datetime | None
    posted_at: datetime
    author: str
    author_id: uuid.UUID | None
    read: bool
    reads: int  # receipts the desk holds (all of them on the author's desk)

    @property
    def audience_text(self) -> str:
        if self.audience == Audience.ROLE:
            return f"{(self.audience_role or '').replace('_', ' ')}s"
        if self.audience == Audience.BATCH:
            return "one batch"
        return "everyone"


@dataclass(frozen=True)
class Receipt:
    """Who read an announcement, and when."""

    user_id: uuid.UUID
    name: str
    read_at: datetime


def _check(title: str, body: str, audience: str, audience_role: str | None,
           batch_id: uuid.UUID | None, expires_at: datetime | None, now: datetime) -> None:
    """Refuse what would make a notice nobody can read, naming the field."""
    if not title.strip():
        raise InvalidInput("announcements", "title", "is empty")
    if len(title) > TITLE_LIMIT:
        raise InvalidInput("announcements", "title", f"is longer than {TITLE_LIMIT} characters")
    if not body.strip():
        raise InvalidInput("announcements", "body", "is empty")
    if audience not in {a.value for a in Audience}:
        raise InvalidInput("announcements", "audience", "is not everyone, role or batch",
                           audience)
    if audience == Audience.ROLE and not (audience_role or "").strip():
        raise InvalidInput("announcements", "audience_role", "names no role")
    if audience == Audience.BATCH and batch_id is None:
        raise InvalidInput("announcements", "batch_id", "names no batch")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("announcements", "expires_at", "is already past",
                           expires_at.isoformat())


def post(replica: Replica, actor: Actor, *, title: str, body: str,
         audience: str = Audience.EVERYONE.value, audience_role: str | None = None,
         batch_id: uuid.UUID | None = None, branch_id: uuid.UUID | None = None,
         pinned: bool = False, expires_at: datetime | None = None,
         send_to_guardians: bool = False, announcement_id: uuid.UUID | None = None,
         now: datetime | None = None) -> uuid.UUID:
    """Post (or, with `announcement_id`, edit) an announcement; with `send_to_guardians`, also
    queue it to the primary guardian of each student in its audience. Bad input: InvalidInput
    naming the field, nothing written."""
    now = now or utcnow()
    _check(title, body, audience, audience_role, batch_id, expires_at, now)
    with replica.write(actor) as session:
        require_manage(session, actor.user_id, "Posting an announcement")
        if batch_id is not None and session.get(FlexibleBatch, batch_id) is None:
            raise InvalidInput("announcements", "batch_id", "is not a batch", str(batch_id))
        row = session.get(Announcement, announcement_id) if announcement_id else None
        if row is None:
            row = Announcement(author_id=actor.user_id)
            session.add(row)
        row.title, row.body, row.audience = title.strip(), body.strip(), audience
        row.audience_role = audience_role if audience == Audience.ROLE else None
        row.batch_id = batch_id if audience == Audience.BATCH else None
        row.branch_id, row.pinned, row.expires_at = branch_id, pinned, expires_at
        row.send_to_guardians = send_to_guardians
        session.flush()
        if send_to_guardians:
            _queue_to_guardians(session, row, actor.user_id, now)
        return row.id


def withdraw(replica: Replica, actor: Actor, announcement_id: uuid.UUID) -> None:
    """Take an announcement off every board (a soft delete that syncs)."""
    with replica.write(actor) as session:
        require_manage(session, actor.user_id, "Withdrawing an announcement")
        row = session.get(Announcement, announcement_id)
        if row is None:
            raise InvalidInput("announcements", "id", "is not an announcement",
                               str(announcement_id))
        row.deleted_at = utcnow()


def _audience_students(session: Session, row: Announcement) -> list[uuid.UUID]:
    """The students an announcement reaches (staff-only audiences reach none)."""
    if row.audience == Audience.ROLE and row.audience_role != Role.STUDENT.value:
        return []
    query = select(Student.id).where(Student.deleted_at.is_(None),
                                     Student.status == StudentStatus.ACTIVE.value)
    if row.audience == Audience.BATCH:
        query = query.where(Student.id.in_(select(BatchMember.student_id).where(
            BatchMember.batch_id == row.batch_id, BatchMember.deleted_at.is_(None))))
    if row.branch_id is not None:
        query = query.where(Student.branch_id == row.branch_id)
    return list(session.execute(query).scalars())


def _queue_to_guardians(session: Session, row: Announcement, user_id: uuid.UUID | None,
                        now: datetime) -> int:
    """One message per guardian and announcement (the key makes a re-post send nothing new);
    opted-out contacts and guardians without a contact on their channel are skipped."""
    queued = 0
    text = f"{row.title}\n{row.body}"
    for student_id in _audience_students(session, row):
        guardian = primary_guardian(session, student_id)
        if guardian is None:
            continue
        channel = guardian.preferred_channel
        contact = recipient(guardian, channel)
        if contact is None or opted_out(session, contact, channel):
            continue
        message = queue(session, Outgoing(
            event=MessageEvent.ONE_OFF.value, channel=channel, recipient=contact, body=text,
            send_after=now, dedupe_key=f"announcement:{row.id}:{guardian.id}",
            student_id=student_id, guardian_id=guardian.id, language=guardian.language,
            subject=row.title if channel == "email" else None), user_id)
        queued += message is not None
    return queued


def board(replica: Replica, viewer: Viewer, now: datetime | None = None, *,
          managing: bool = False) -> list[Notice]:
    """The announcements for `viewer` that have not expired: pinned first, then newest.
    `managing` (the administrators' screen): every announcement the desk holds, expired too."""
    with replica.read() as session:
        return notices(session, viewer, now, managing=managing)


def notices(session: Session, viewer: Viewer, now: datetime | None = None, *,
            managing: bool = False, scope: ColumnElement[bool] | None = None) -> list[Notice]:
    """`board` over any session: a desk's replica, or the server's database for the portal,
    which passes the sync read scope as `scope` (a desk holds only its branches' notices, the
    server holds every branch's)."""
    now = now or utcnow()
    a = Announcement.__table__
    mine = select(AnnouncementRead.announcement_id).where(
        AnnouncementRead.user_id == viewer.user_id)
    reads = (select(func.count()).where(AnnouncementRead.announcement_id == Announcement.id)
             .scalar_subquery())
    if scope is None:
        scope = audience_clause(a, viewer)  # type: ignore[arg-type]
    rows = session.execute(
        select(Announcement, User.first_name, User.last_name,
               Announcement.id.in_(mine), reads)
        .outerjoin(User, User.id == Announcement.author_id)
        .where(Announcement.deleted_at.is_(None),
               *(() if managing else (
                   or_(Announcement.expires_at.is_(None), Announcement.expires_at > now),
                   scope)))
        .order_by(Announcement.pinned.desc(), Announcement.created_at.desc())).all()
    return [Notice(r.id, r.title, r.body, r.audience, r.audience_role, r.batch_id,
                   r.branch_id, r.pinned, r.expires_at, r.created_at,
                   f"{first or ''} {last or ''}".strip() or "—", r.author_id,
                   bool(is_read), count)
            for r, first, last, is_read, count in rows]


def mark_read(replica: Replica, actor: Actor, announcement_id: uuid.UUID,
              now: datetime | None = None) -> bool:
    """Record that the actor read it (once; False when already recorded)."""
    assert actor.user_id is not None
    receipt_id = natural_id("announcement_reads", announcement_id, actor.user_id)
    with replica.write(actor) as session:
        if session.get(Announcement, announcement_id) is None:
            raise InvalidInput("announcement_reads", "announcement_id", "is not an announcement",
                               str(announcement_id))
        if session.get(AnnouncementRead, receipt_id) is not None:
            return False
        session.add(AnnouncementRead(id=receipt_id, announcement_id=announcement_id,
                                     user_id=actor.user_id, read_at=now or utcnow()))
        return True


def receipts(replica: Replica, announcement_id: uuid.UUID) -> list[Receipt]:
    """Who read it, earliest first (complete on the author's desk, which pulls every receipt)."""
    with replica.read() as session:
        rows = session.execute(
            select(AnnouncementRead.user_id, User.first_name, User.last_name,
                   AnnouncementRead.read_at)
            .join(User, User.id == AnnouncementRead.user_id)
            .where(AnnouncementRead.announcement_id == announcement_id,
                   AnnouncementRead.deleted_at.is_(None))
            .order_by(AnnouncementRead.read_at)).all()
        return [Receipt(uid, f"{first} {last}".strip(), at) for uid, first, last, at in rows]


@dataclass(frozen=True)
class Choices:
    """What an announcement's audience and branch may name on this desk."""

    batches: tuple[tuple[uuid.UUID, str], ...]
    branches: tuple[tuple[uuid.UUID, str], ...]


def choices(replica: Replica) -> Choices:
    """The live batches and branches, by name."""
    with replica.read() as session:
        batches = session.execute(select(FlexibleBatch.id, FlexibleBatch.name).where(
            FlexibleBatch.deleted_at.is_(None)).order_by(FlexibleBatch.name)).all()
        branches = session.execute(select(Branch.id, Branch.name).where(
            Branch.deleted_at.is_(None)).order_by(Branch.name)).all()
    return Choices(tuple((i, n) for i, n in batches), tuple((i, n) for i, n in branches))
