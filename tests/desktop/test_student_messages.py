"""The student page's "Guardians and messages" tab: the guardians (primary first, opt-outs
shown) and each message with its status, read on the database worker."""

from __future__ import annotations

from desktop_app.students.page import StudentPageView
from desktop_app.tasks import TaskManager
from institute_core.enums import AttendanceStatus
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian, set_consent
from institute_core.replica import Replica
from institute_core.services import attendance
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import Institute
from tests.support.shots import shot


def test_the_student_page_shows_guardians_opt_outs_and_messages(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    office = replica.actor(institute.admin_id)
    student = institute.student_ids[0]
    admin.save_template(replica, office, event="absent", language="en", channel="sms",
                        body="Dear {guardian_name}, {student_first_name} was absent from "
                             "{subject_name} on {session_date}.")
    admin.save_trigger(replica, office, name="Absent", event="absent", enabled=True)
    save_guardian(replica, office, student, GuardianInput(
        name="Meena Rao", relation="mother", phone="98765 43210", is_primary=True))
    save_guardian(replica, office, student, GuardianInput(
        name="Ramesh Rao", relation="father", phone="98765 00000", email="ramesh@example.org",
        preferred_channel="email"))
    set_consent(replica, office, "98765 00000", "sms", opted_out=True)
    attendance.mark(replica, replica.actor(institute.faculty_user_id), institute.batch_key,
                    student, AttendanceStatus.ABSENT)

    page = StudentPageView(make_ctx(replica, tasks, "counselor@example.org"))
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.load(student)
    panel = page.contacts
    qtbot.waitUntil(lambda: panel.messages.rowCount() == 1)
    page.tabs.setCurrentWidget(panel)
    assert panel.guardians.rowCount() == 2
    assert panel.guardians.data(panel.guardians.index(0, 0)) == "Meena Rao (primary)"
    assert panel.guardians.data(panel.guardians.index(0, 2)) == "+919876543210"
    assert panel.guardians.data(panel.guardians.index(1, 6)) == "sms"  # opted out
    assert panel.messages.data(panel.messages.index(0, 3)) == "+919876543210"
    assert panel.messages.data(panel.messages.index(0, 5)) == "waiting to sync"
    assert "Asha was absent from Python Programming" in str(
        panel.messages.data(panel.messages.index(0, 4)))
    shot(page, "student_guardians_messages")
