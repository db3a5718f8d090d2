"""Batch and faculty transfers (issue 17): what moves along, the history kept, refusals that
change nothing, and every write in the outbox for sync."""

from __future__ import annotations

import uuid
from datetime import date, time

import pytest
from sqlalchemy import select, text

from institute_core.branches import service
from institute_core.replica import Replica
from institute_core.schema import (
    MAIN_BRANCH_ID,
    Faculty,
    FlexibleBatch,
    LearningSession,
    Student,
    UserBranch,
)
from institute_core.validation import InvalidInput
from tests.analytics.institute import Institute, build_institute


class Admin:
    role = "admin"


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)


def _north(replica: Replica, institute: Institute) -> uuid.UUID:
    return service.save_branch(replica, replica.actor(institute.admin), Admin(),
                               name="North Campus", code="nor")


def _outbox(replica: Replica, table: str) -> int:
    with replica.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM sync_outbox WHERE table_name = :t"),
                                {"t": table}).scalar_one())


def test_a_batch_moves_with_its_students_and_their_scheduled_sessions(
        replica: Replica, institute: Institute) -> None:
    north = _north(replica, institute)
    actor = replica.actor(institute.admin)
    ravi = institute.students["ENR-2"]
    with replica.write(actor) as s:
        for day, status in ((date(2026, 4, 20), "scheduled"), (date(2026, 5, 4), "scheduled"),
                            (date(2026, 3, 2), "completed")):
            s.add(LearningSession(student_id=ravi, faculty_id=institute.dev,
                                  subject_id=institute.subject, session_date=day,
                                  start_time=time(10), end_time=time(11), duration_minutes=60,
                                  status=status))
    before = _outbox(replica, "batch_branch_moves")
    moved = service.transfer_batch(replica, actor, Admin(), institute.batch, north,
                                   on=date(2026, 4, 1), reason="new lab in North")
    assert moved == 2  # Ravi and Zoe, the batch's current members
    with replica.read() as s:
        assert s.scalar(select(FlexibleBatch.branch_id).where(
            FlexibleBatch.id == institute.batch)) == north
        assert {s.scalar(select(Student.branch_id).where(Student.id == m))
                for m in (ravi, institute.students["ENR-3"])} == {north}
        sessions = dict(s.execute(select(LearningSession.session_date, LearningSession.branch_id)
                                  .where(LearningSession.student_id == ravi)).tuples().all())
    # Scheduled from the move day on: held at North; the one taught before stays at Main.
    assert sessions[date(2026, 4, 20)] == sessions[date(2026, 5, 4)] == north
    assert sessions[date(2026, 3, 2)] == MAIN_BRANCH_ID
    with replica.engine.connect() as conn:
        row = conn.execute(text("SELECT students_moved, sessions_moved, reason, moved_on "
                                "FROM batch_branch_moves")).one()
    assert tuple(row) == (2, 2, "new lab in North", "2026-04-01")
    history = service.branch_history(replica, "batch", institute.batch)
    assert [(h.from_branch, h.to_branch) for h in history] == [("Main", "North Campus")]
    assert [h.to_branch for h in service.branch_history(replica, "student", ravi)] \
        == ["North Campus"]
    assert _outbox(replica, "batch_branch_moves") == before + 1  # captured for sync
    # Again to North: refused, nothing written.
    with pytest.raises(InvalidInput, match="already in that branch"):
        service.transfer_batch(replica, actor, Admin(), institute.batch, north)
    assert _outbox(replica, "batch_branch_moves") == before + 1
    assert len(service.branch_history(replica, "batch", institute.batch)) == 1


def test_a_faculty_member_moves_home_and_leaves_or_keeps_the_old_branch(
        replica: Replica, institute: Institute) -> None:
    north = _north(replica, institute)
    actor = replica.actor(institute.admin)
    with replica.read() as s:
        dev_user = s.scalar(select(Faculty.user_id).where(Faculty.id == institute.dev))
        meera_user = s.scalar(select(Faculty.user_id).where(Faculty.id == institute.meera))
    for user in (dev_user, meera_user):
        service.set_user_branches(replica, actor, Admin(), user, [MAIN_BRANCH_ID])
    service.transfer_faculty(replica, actor, Admin(), institute.dev, north, reason="closer")
    service.transfer_faculty(replica, actor, Admin(), institute.meera, north, keep_old=True)
    assert service.branches_of_user(replica, dev_user) == [north]
    assert set(service.branches_of_user(replica, meera_user)) == {MAIN_BRANCH_ID, north}
    with replica.read() as s:
        assert {s.scalar(select(Faculty.branch_id).where(Faculty.id == f))
                for f in (institute.dev, institute.meera)} == {north}
        links = s.scalars(select(UserBranch).where(UserBranch.user_id == dev_user)).all()
        assert any(link.deleted_at is not None for link in links)  # ended, not erased
    dev_history = service.branch_history(replica, "faculty", institute.dev)
    assert [(h.from_branch, h.to_branch, h.reason) for h in dev_history] \
        == [("Main", "North Campus", "closer")]
    with replica.engine.connect() as conn:
        kept = dict(conn.execute(text("SELECT faculty_id, kept_old FROM faculty_branch_moves"))
                    .tuples().all())
    assert kept == {institute.meera.hex: 1, institute.dev.hex: 0}
    assert _outbox(replica, "faculty_branch_moves") == 2
    with pytest.raises(InvalidInput, match="home branch already"):
        service.transfer_faculty(replica, actor, Admin(), institute.dev, north)
    assert len(service.branch_history(replica, "faculty", institute.dev)) == 1


def test_transfers_are_for_administrators(replica: Replica, institute: Institute) -> None:
    north = _north(replica, institute)

    class Counselor:
        role = "counselor"

    actor = replica.actor(institute.counselor)
    with pytest.raises(PermissionError):
        service.transfer_batch(replica, actor, Counselor(), institute.batch, north)
    with pytest.raises(PermissionError):
        service.transfer_faculty(replica, actor, Counselor(), institute.dev, north)
    assert service.branch_history(replica, "batch", institute.batch) == []
