"""A student moving out of a desk's scope leaves every row the desk still may see as the server
has it (found by the property test, tests/sync/test_property.py)."""

from __future__ import annotations

from pathlib import Path

from institute_core.schema import Inquiry
from institute_core.sync.apply import parked_rows
from tests.support.server import ServerProcess, create_user
from tests.sync.builders import add_student, get_field, set_fields
from tests.sync.conftest import PASSWORD, Desk, Institute, open_desk
from tests.sync.invariants import differences
from tests.sync.test_e2e import _sync, _viewer


def test_an_inquiry_whose_student_moves_to_another_counselor_is_parked_not_altered(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    other = create_user(institute.url, email="counselor2@example.org", password=PASSWORD,
                        role="counselor")
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    student = add_student(admin.replica, admin.user_id, "ENR-7",
                          counselor_id=institute.counselor)
    with admin.replica.write(admin.replica.actor(admin.user_id)) as s:
        inquiry = Inquiry(student_name="Asha", counselor_id=institute.counselor,
                          student_id=student)  # the inquiry that became this student
        s.add(inquiry)
        s.flush()
        inquiry_id = inquiry.id
    _sync(admin)
    counselor, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    assert get_field(counselor.replica, "crm_inquiries", inquiry_id, "student_id") == student

    set_fields(admin.replica, admin.user_id, "students", student, counselor_id=other)
    _sync(admin)
    _sync(counselor)
    # The student left this counselor's desk; the inquiry (all CRM is shared) waits for it,
    # as on a desk downloading its scope afresh, instead of losing its link to the student.
    assert get_field(counselor.replica, "students", student, "id") is None
    assert get_field(counselor.replica, "crm_inquiries", inquiry_id, "student_id") is None
    assert [r.id for r in parked_rows(counselor.replica)] == [inquiry_id]
    assert differences(institute.url, counselor.replica, _viewer(institute, counselor)) == []

    set_fields(admin.replica, admin.user_id, "students", student,
               counselor_id=institute.counselor)
    _sync(admin)
    _sync(counselor)
    assert get_field(counselor.replica, "crm_inquiries", inquiry_id, "student_id") == student
    assert parked_rows(counselor.replica) == []
    assert differences(institute.url, counselor.replica, _viewer(institute, counselor)) == []
