"""Managing branches: the branch list, who works where, and transfers with their history.

Everything here writes through the unit of work (so it syncs) and is for administrators (who
see every branch: `scopes.Viewer.sees_every_branch`). A transfer keeps a history row
(`student_branch_moves`, `batch_branch_moves`, `faculty_branch_moves`); the server then
re-versions a moved student's history so the new branch's desks receive all of it, and the old
branch's desks drop it on their next sync (docs/sync.md, "Branches").

What moves (docs/branches.md): a student takes their whole history, and their individual
sessions still scheduled from the move day on are held at the new branch (past sessions stay
where they were held). A batch takes its current members (each a student move) and so their
future sessions; its future class days follow the batch, since they come from its schedule;
days already taught stay recorded as they are. A faculty member changes home branch and stops
working in the old one unless kept there; their sessions stay with the students'.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.enums import SessionStatus
from institute_core.ids import natural_id
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    BatchBranchMove,
    BatchMember,
    Branch,
    Faculty,
    FacultyBranchMove,
    FlexibleBatch,
    LearningSession,
    Student,
    StudentBranchMove,
    UserBranch,
)
from institute_core.schema.types import utcnow
from institute_core.setup import batches, people
from institute_core.setup.access import HasRole, require_admin
from institute_core.validation import InvalidInput


@dataclass(frozen=True)
class BranchRow:
    """A branch as screens show it."""

    id: uuid.UUID
    name: str
    code: str
    address: str | None
    phone: str | None
    gstin: str | None
    time_zone: str
    students: int = 0  # in the branch now, as this desk holds them
    staff: int = 0  # accounts working there


def list_branches(replica: Replica) -> list[BranchRow]:
    """Every branch this desk holds (all of them: the list of centres is shared), by name."""
    with replica.read() as session:
        rows = session.scalars(select(Branch).where(Branch.deleted_at.is_(None))
                               .order_by(Branch.name, Branch.code)).all()
        students: dict[uuid.UUID, int] = {b: n for b, n in session.execute(
            select(Student.branch_id, func.count()).where(Student.deleted_at.is_(None))
            .group_by(Student.branch_id))}
        staff: dict[uuid.UUID, int] = {b: n for b, n in session.execute(
            select(UserBranch.branch_id, func.count()).where(UserBranch.deleted_at.is_(None))
            .group_by(UserBranch.branch_id))}
        return [BranchRow(b.id, b.name, b.code, b.address, b.phone, b.gstin, b.time_zone,
                          students.get(b.id, 0), staff.get(b.id, 0)) for b in rows]


def save_branch(replica: Replica, actor: Actor, viewer: HasRole,
                branch_id: uuid.UUID | None = None, *, name: str, code: str,
                address: str | None = None, phone: str | None = None,
                gstin: str | None = None, time_zone: str = "Asia/Kolkata") -> uuid.UUID:
    """Create a branch (no id) or change one. The code is kept upper-case and unique."""
    require_admin(viewer, "manage branches", "setup.branches.manage")
    code = code.strip().upper()
    with replica.write(actor) as session:
        clash = session.scalar(select(Branch.id).where(Branch.code == code))
        if clash is not None and clash != branch_id:
            raise InvalidInput("branches", "code", "another branch already has this code", code)
        branch = session.get(Branch, branch_id) if branch_id else None
        if branch is None:
            branch = Branch(id=branch_id or uuid.uuid4())
            session.add(branch)
        branch.name, branch.code, branch.time_zone = name.strip(), code, time_zone.strip()
        branch.address, branch.phone, branch.gstin = address, phone, gstin or None
        return branch.id


def _branch(session: Session, branch_id: uuid.UUID) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None or branch.deleted_at is not None:
        raise InvalidInput("branches", "id", "no such branch", str(branch_id))
    return branch


def branches_of_user(replica: Replica, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The branches account `user_id` works in, as this desk knows them."""
    with replica.read() as session:
        return list(session.scalars(select(UserBranch.branch_id).where(
            UserBranch.user_id == user_id, UserBranch.deleted_at.is_(None))
            .order_by(UserBranch.created_at, UserBranch.branch_id)))


def branches_of_users(replica: Replica, user_ids: Collection[uuid.UUID]
                      ) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """The branches each of `user_ids` works in, as this desk knows them (one query; an
    account linked to no branch is left out)."""
    found: dict[uuid.UUID, set[uuid.UUID]] = {}
    with replica.read() as session:
        for user_id, branch_id in session.execute(
                select(UserBranch.user_id, UserBranch.branch_id).where(
                    UserBranch.user_id.in_(list(user_ids)), UserBranch.deleted_at.is_(None))):
            found.setdefault(user_id, set()).add(branch_id)
    return {user_id: frozenset(branches) for user_id, branches in found.items()}


def _link(session: Session, user_id: uuid.UUID, branch_id: uuid.UUID) -> None:
    """`user_id` works in `branch_id` (a link ended before is reopened, not duplicated)."""
    link = session.get(UserBranch, natural_id("user_branches", user_id, branch_id))
    if link is None:
        session.add(UserBranch(user_id=user_id, branch_id=branch_id))
    elif link.deleted_at is not None:
        link.deleted_at = None


def _unlink(session: Session, user_id: uuid.UUID, branch_id: uuid.UUID) -> None:
    """The account no longer works there: the link is soft-deleted (it syncs as a tombstone)."""
    link = session.get(UserBranch, natural_id("user_branches", user_id, branch_id))
    if link is not None and link.deleted_at is None:
        link.deleted_at = utcnow()


def set_user_branches(replica: Replica, actor: Actor, viewer: HasRole, user_id: uuid.UUID,
                      branch_ids: list[uuid.UUID]) -> None:
    """The account works in exactly `branch_ids` (at least one)."""
    require_admin(viewer, "assign people to branches", "setup.branches.manage")
    if not branch_ids:
        raise InvalidInput("user_branches", "branch_id", "choose at least one branch")
    with replica.write(actor) as session:
        for branch_id in branch_ids:
            _branch(session, branch_id)
            _link(session, user_id, branch_id)
        current = session.scalars(select(UserBranch).where(
            UserBranch.user_id == user_id, UserBranch.deleted_at.is_(None))).all()
        for link in current:
            if link.branch_id not in branch_ids:
                _unlink(session, user_id, link.branch_id)


def _move_student(session: Session, actor: Actor, student: Student, to: uuid.UUID,
                  on: date, reason: str | None) -> int | None:
    """Move one student; returns how many of their scheduled sessions went along (None: the
    student was in that branch already)."""
    if student.branch_id == to:
        return None
    session.add(StudentBranchMove(student_id=student.id, from_branch_id=student.branch_id,
                                  to_branch_id=to, moved_on=on, moved_by=actor.user_id,
                                  reason=reason))
    student.branch_id = to
    ahead = session.scalars(select(LearningSession).where(
        LearningSession.student_id == student.id, LearningSession.deleted_at.is_(None),
        LearningSession.status == SessionStatus.SCHEDULED.value,
        LearningSession.session_date >= on, LearningSession.branch_id != to)).all()
    for meeting in ahead:
        meeting.branch_id = to
    return len(ahead)


def transfer_student(replica: Replica, actor: Actor, viewer: HasRole, student_id: uuid.UUID,
                     to_branch: uuid.UUID, *, on: date | None = None,
                     reason: str | None = None) -> None:
    """Move a student (with their whole history) to another branch, keeping a record of it."""
    require_admin(viewer, "transfer students", "students.manage")
    with replica.write(actor) as session:
        _branch(session, to_branch)
        student = session.get(Student, student_id)
        if student is None or student.deleted_at is not None:
            raise InvalidInput("students", "id", "no such student", str(student_id))
        if _move_student(session, actor, student, to_branch, on or date.today(),
                         reason) is None:
            raise InvalidInput("students", "branch_id", "the student is already in that branch")


def transfer_batch(replica: Replica, actor: Actor, viewer: HasRole, batch_id: uuid.UUID,
                   to_branch: uuid.UUID, *, on: date | None = None,
                   reason: str | None = None) -> int:
    """Move a batch and its current students to another branch; returns students moved.

    The students go with it: a batch whose members stayed behind would be run by one branch
    for students only another branch's desks hold. A `batch_branch_moves` row keeps it."""
    require_admin(viewer, "transfer batches", "attendance.manage")
    when = on or date.today()
    with replica.write(actor) as session:
        _branch(session, to_branch)
        batch = session.get(FlexibleBatch, batch_id)
        if batch is None or batch.deleted_at is not None:
            raise InvalidInput("flexible_batches", "id", "no such batch", str(batch_id))
        if batch.branch_id == to_branch:
            raise InvalidInput("flexible_batches", "branch_id",
                               "the batch is already in that branch")
        origin, batch.branch_id = batch.branch_id, to_branch
        members = session.scalars(select(Student).join(
            BatchMember, BatchMember.student_id == Student.id).where(
            BatchMember.batch_id == batch_id, BatchMember.left_on.is_(None),
            BatchMember.deleted_at.is_(None), Student.deleted_at.is_(None))).all()
        text = reason or f"with batch {batch.name}"
        went = [_move_student(session, actor, s, to_branch, when, text) for s in members]
        moved = [n for n in went if n is not None]
        session.add(BatchBranchMove(batch_id=batch.id, from_branch_id=origin,
                                    to_branch_id=to_branch, moved_on=when,
                                    moved_by=actor.user_id, reason=reason,
                                    students_moved=len(moved), sessions_moved=sum(moved)))
        return len(moved)


def transfer_faculty(replica: Replica, actor: Actor, viewer: HasRole, faculty_id: uuid.UUID,
                     to_branch: uuid.UUID, *, keep_old: bool = False, on: date | None = None,
                     reason: str | None = None) -> None:
    """Make `to_branch` a faculty member's home branch; they stop working in the old one
    unless `keep_old` (then they teach in both). A `faculty_branch_moves` row keeps it."""
    require_admin(viewer, "transfer faculty", "setup.people.manage")
    with replica.write(actor) as session:
        _branch(session, to_branch)
        faculty = session.get(Faculty, faculty_id)
        if faculty is None or faculty.deleted_at is not None:
            raise InvalidInput("faculties", "id", "no such faculty member", str(faculty_id))
        old = faculty.branch_id
        if old == to_branch:
            raise InvalidInput("faculties", "branch_id",
                               "this is the faculty member's home branch already")
        session.add(FacultyBranchMove(faculty_id=faculty.id, from_branch_id=old,
                                      to_branch_id=to_branch, moved_on=on or date.today(),
                                      moved_by=actor.user_id, reason=reason,
                                      kept_old=keep_old))
        faculty.branch_id = to_branch
        _link(session, faculty.user_id, to_branch)
        if not keep_old:
            _unlink(session, faculty.user_id, old)


@dataclass(frozen=True)
class BranchMove:
    """One line of a student's branch history."""

    moved_on: date
    from_branch: str | None
    to_branch: str
    reason: str | None


_HISTORIES: dict[str, tuple[type[StudentBranchMove | BatchBranchMove | FacultyBranchMove], str]] = {
    "student": (StudentBranchMove, "student_id"),
    "batch": (BatchBranchMove, "batch_id"),
    "faculty": (FacultyBranchMove, "faculty_id"),
}


def branch_history(replica: Replica, kind: str, record_id: uuid.UUID) -> list[BranchMove]:
    """The transfers of a student, batch or faculty member (`kind`), oldest first, with the
    branches' names."""
    model, owner = _HISTORIES[kind]
    with replica.read() as session:
        names = {b.id: b.name for b in session.scalars(select(Branch))}
        moves: Sequence[StudentBranchMove | BatchBranchMove | FacultyBranchMove] = \
            session.scalars(select(model).where(
            getattr(model, owner) == record_id, model.deleted_at.is_(None))
                .order_by(model.moved_on, model.created_at)).all()  # type: ignore[assignment]
        return [BranchMove(m.moved_on, names.get(m.from_branch_id) if m.from_branch_id else None,
                           names.get(m.to_branch_id, "?"), m.reason) for m in moves]


def student_branch_history(replica: Replica, student_id: uuid.UUID) -> list[BranchMove]:
    """A student's transfers, oldest first, with the branches' names."""
    return branch_history(replica, "student", student_id)


def transfer_choices(replica: Replica) -> dict[str, list[tuple[uuid.UUID, str]]]:
    """Who can be moved, by kind ("student", "batch", "faculty"), as (id, label) for a
    picker; a batch's label names its branch."""
    return {"student": batches.student_choices(replica),
            "batch": [(b.id, f"{b.name} · {b.branch}") for b in batches.list_batches(replica)],
            "faculty": people.faculty_choices(replica)}
