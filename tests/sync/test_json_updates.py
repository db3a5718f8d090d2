"""Updates of JSON columns travel through the real server, and the desk keeps syncing after.

A JSON column's bulk UPDATE once broke every push that touched it (500 for ever after, the desk
stuck behind that change): issue 13.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from institute_core.schema import Inquiry
from institute_core.sync.account import sync_replica
from tests.support.server import ServerProcess
from tests.sync.builders import (
    add_session_with_attendance,
    add_student,
    add_subject,
    get_field,
    set_fields,
    waiting_tables,
)
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk


def test_json_edits_apply_on_the_server_and_later_pushes_still_work(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    subject, _topics = add_subject(admin.replica, admin.user_id)
    student = add_student(admin.replica, admin.user_id, "ENR-J1", subject_id=subject,
                          faculty_id=institute.faculty)
    _session, attendance = add_session_with_attendance(
        admin.replica, admin.user_id, student_id=student, faculty_id=institute.faculty,
        subject_id=subject, day=date(2026, 3, 2))
    with admin.replica.write(admin.replica.actor(admin.user_id)) as s:
        inquiry = Inquiry(student_name="Asha", counselor_id=institute.counselor, tags=["new"])
        s.add(inquiry)
        s.flush()
        inquiry_id = inquiry.id
    sync_replica(admin.replica, admin.credentials, retry=FAST_RETRY)
    assert waiting_tables(admin.replica) == []

    # The edits that used to make every push from this desk fail.
    tags = ["hot lead", "o'clock, \"evening\"", "हिंदी 🎓"]
    prep = {"topics": ["loops", "files"], "notes": "bring, laptop", "nested": {"a": [1, None]}}
    set_fields(admin.replica, admin.user_id, "crm_inquiries", inquiry_id, tags=tags)
    set_fields(admin.replica, admin.user_id, "session_attendance", attendance,
               next_session_prep=prep)
    sync_replica(admin.replica, admin.credentials, retry=FAST_RETRY)
    assert waiting_tables(admin.replica) == []

    # A second desk sees both edits, so the server applied them.
    other, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"],
                         name="admin-2")
    assert get_field(other.replica, "crm_inquiries", inquiry_id, "tags") == tags
    assert get_field(other.replica, "session_attendance", attendance, "next_session_prep") == prep

    # Later pushes from the first desk go through: JSON emptied, then to null, then plain text.
    set_fields(admin.replica, admin.user_id, "crm_inquiries", inquiry_id, tags=[])
    set_fields(admin.replica, admin.user_id, "session_attendance", attendance,
               next_session_prep=None)
    set_fields(admin.replica, admin.user_id, "crm_inquiries", inquiry_id, notes="called back")
    sync_replica(admin.replica, admin.credentials, retry=FAST_RETRY)
    assert waiting_tables(admin.replica) == []
    sync_replica(other.replica, other.credentials, retry=FAST_RETRY)
    assert get_field(other.replica, "crm_inquiries", inquiry_id, "tags") == []
    assert get_field(other.replica, "crm_inquiries", inquiry_id, "notes") == "called back"
    assert get_field(other.replica, "session_attendance", attendance, "next_session_prep") is None
    assert "Traceback" not in server.log()
