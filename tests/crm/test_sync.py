"""Over a real sync server: a merge and an enrollment made on one counselor desk reach another
desk whole; a faculty desk never receives a CRM row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from institute_core.crm.conversion import EnrollPlan, enroll_inquiry
from institute_core.crm.followups import schedule_follow_up
from institute_core.crm.inquiries import (
    InquiryDraft,
    create_inquiry,
    merge_inquiries,
    move_stage,
)
from institute_core.schema import FollowUp, Inquiry, InquirySubject, Student
from institute_core.sync.account import sync_replica
from tests.support.server import ServerProcess
from tests.sync.builders import add_subject
from tests.sync.conftest import FAST_RETRY, Desk, Institute, desks, institute, open_desk, server

__all__ = ["desks", "institute", "server"]  # the sync fixtures, used by name below


def _sync(desk: Desk) -> None:
    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)


def _count(desk: Desk, model: type, *where: object) -> int:
    with desk.replica.read() as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def test_merge_and_enroll_sync_and_faculty_sees_no_crm(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    subject, _topics = add_subject(admin.replica, admin.user_id)
    _sync(admin)
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"],
                         name="front-desk")
    actor = front.replica.actor(front.user_id)
    keep = create_inquiry(front.replica, actor, InquiryDraft(
        "Divya Nair", "98450 33333", subject_ids=(subject,)))
    dup = create_inquiry(front.replica, actor, InquiryDraft(
        "Divya N", "+91 98450-33333", email="divya@example.in", tags=("weekend",)),
        allow_duplicate=True)
    merge_inquiries(front.replica, actor, keep, dup)
    student = enroll_inquiry(front.replica, actor, keep, EnrollPlan(
        "Divya", "Nair", "divya@example.in", "98450 33333", {subject: institute.faculty},
        date.today()))
    _sync(front)

    back, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"],
                        name="back-office")
    with back.replica.read() as s:
        survivor, gone = s.get(Inquiry, keep), s.get(Inquiry, dup)
        assert survivor is not None and gone is not None
        assert (survivor.status, survivor.student_id, survivor.email, survivor.tags) == (
            "enrolled", student, "divya@example.in", ["weekend"])
        assert gone.deleted_at is not None and gone.merged_into_id == keep
        assert s.get(Student, student) is not None

    faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    for model in (Inquiry, InquirySubject, FollowUp):
        assert _count(faculty, model) == 0
    # The enrolled student is theirs now, so that row does arrive.
    assert _count(faculty, Student, Student.id == student) == 1


def test_clearing_the_next_follow_up_date_syncs(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    """Lost, enrolled and completed-without-next all set a timestamp back to NULL; the server
    must accept that update (a batched UPDATE … FROM VALUES of only NULLs is typed text)."""
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    actor = front.replica.actor(front.user_id)
    inquiry = create_inquiry(front.replica, actor, InquiryDraft("Asha", "98450 44444"))
    schedule_follow_up(front.replica, actor, inquiry, datetime.now(UTC) + timedelta(days=1))
    _sync(front)
    move_stage(front.replica, actor, inquiry, "lost", lost_reason="Moved away")
    _sync(front)
    assert front.replica.pending_changes() == 0
