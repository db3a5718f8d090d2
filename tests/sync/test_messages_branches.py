"""Messages per branch (issues 17 and 19) over a real server: a branch's own template and
trigger speak for its students, a desk of one branch holds neither the messages nor the
guardians of another branch's students (even those its user counsels there), nor another
branch's templates; the dispatcher keeps each branch's quiet hours and SMS sender id."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from institute_core.branches.service import save_branch
from institute_core.enums import AttendanceStatus
from institute_core.messaging import absences, admin
from institute_core.messaging.contacts import GuardianInput, save_guardian
from institute_core.messaging.quiet_hours import QuietHours
from institute_core.schema import Message, Student
from institute_core.sync.account import sync_replica
from sync_server.messages.adapters import Msg91Adapter
from sync_server.messages.dispatcher import Dispatcher
from sync_server.settings import make_engine
from tests.messages.test_dispatcher import _settings
from tests.support.gateways import AUTHKEY, running_gateway
from tests.support.server import ServerProcess, create_user
from tests.sync.builders import add_session_with_attendance, add_student, add_subject
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk
from tests.sync.invariants import held_rows

pytestmark = pytest.mark.postgres


class Admin:
    role = "admin"


def _sync(desk: Desk) -> None:
    report = sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    assert not report.rejected, report.rejected


def _quiet_now() -> QuietHours:
    """Quiet hours that hold now (this hour and the next, institute time)."""
    hour = datetime.now(ZoneInfo("Asia/Kolkata")).hour
    return QuietHours.parse(f"{hour:02d}:00-{(hour + 2) % 24:02d}:00")


def test_a_branch_has_its_own_templates_triggers_quiet_hours_and_sender(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    url = institute.url
    office, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = office.replica.actor(office.user_id)
    north = save_branch(office.replica, actor, Admin(), name="North", code="NOR",
                        address="12 Ring Road", phone="+91 80 1234 5678")
    _sync(office)
    counselor_n = create_user(url, email="cn@example.org", password="correct horse 42",
                              role="counselor", branches=(north,))
    _sync(office)
    subject, _topics = add_subject(office.replica, office.user_id)
    # North's counselor counsels a student of each branch: only North's messages reach them.
    s_main = add_student(office.replica, office.user_id, "ENR-M1", counselor_id=counselor_n)
    s_north = add_student(office.replica, office.user_id, "ENR-N1", counselor_id=counselor_n)
    with office.replica.write(actor) as s:
        s.get(Student, s_north).branch_id = north
    for student, phone in ((s_main, "98765 43210"), (s_north, "98765 00000")):
        save_guardian(office.replica, actor, student, GuardianInput(
            name=f"Parent {phone[-2:]}", relation="mother", phone=phone, is_primary=True))
    admin.save_template(office.replica, actor, event="absent", language="en", channel="sms",
                        body="Institute: {student_first_name} was absent.",
                        provider_template="1107160000000000001")
    north_template = admin.save_template(
        office.replica, actor, event="absent", language="en", channel="sms",
        body="North centre: {student_first_name} was absent.",
        provider_template="1107160000000000002", branch_id=north)
    admin.save_trigger(office.replica, actor, name="Absent (institute)", event="absent",
                       enabled=True, grace_minutes=0)
    # North's own trigger: the institute's no longer speaks for North's students.
    admin.save_trigger(office.replica, actor, name="Absent (North)", event="absent",
                       enabled=True, grace_minutes=0, branch_id=north)
    day = date(2026, 12, 4)
    for student in (s_main, s_north):
        add_session_with_attendance(office.replica, office.user_id, student_id=student,
                                    faculty_id=institute.faculty, subject_id=subject, day=day,
                                    status="absent")
    # What saving those marks does (services/attendance.py mark_many, same unit of work).
    with office.replica.write(actor) as s:
        queued = absences.after_marks(s, office.user_id, day, subject,
                                      {s_main: AttendanceStatus.ABSENT,
                                       s_north: AttendanceStatus.ABSENT})
        bodies = {m.student_id: m.body for m in queued}
    # One message each (North's own trigger, not also the institute's), in its branch's words.
    assert bodies == {s_main: "Institute: Stu was absent.",
                      s_north: "North centre: Stu was absent."}
    _sync(office)

    north_desk, _ = open_desk(desks, tmp_path, server.base_url, "cn@example.org")
    main_desk, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    for desk in (north_desk, main_desk):
        _sync(desk)
    held = held_rows(north_desk.replica)
    assert {r["student_id"] for r in held["messages"].values()} == {str(s_north)}
    assert {r["student_id"] for r in held["guardians"].values()} == {str(s_north)}
    assert len(held["message_templates"]) == 2  # the institute's and North's
    main_held = held_rows(main_desk.replica)
    assert str(north_template) not in main_held["message_templates"]
    assert [r["name"] for r in main_held["message_triggers"].values()] == ["Absent (institute)"]
    assert str(s_north) not in {r["student_id"] for r in main_held["messages"].values()}

    # Quiet hours now for the institute, none for North; North's SMS go under its sender id.
    settings = _settings(quiet_hours=_quiet_now(), msg91_sender="SUNACD",
                         msg91_senders={"NOR": "SUNNTH"},
                         branch_quiet_hours={"NOR": QuietHours.parse("off")})
    engine = make_engine(url)
    try:
        with running_gateway() as gateway:
            dispatcher = Dispatcher(engine, {"sms": Msg91Adapter(gateway.msg91_url, AUTHKEY)},
                                    settings)
            assert dispatcher.run_once().outcomes == {"sent": 1, "held": 1}
            assert gateway.malformed == []
            [request] = gateway.sms
    finally:
        engine.dispose()
    assert request["sender"] == "SUNNTH"
    assert request["template_id"] == "1107160000000000002"
    assert request["recipients"][0]["mobiles"] == "919876500000"

    _sync(north_desk)
    with north_desk.replica.read() as s:
        [message] = s.execute(select(Message)).scalars()
        assert message.student_id == s_north
    assert {r["status"] for r in held_rows(north_desk.replica)["message_deliveries"].values()} \
        == {"sent"}
    _sync(office)
    statuses = {r["message_id"]: r["status"]
                for r in held_rows(office.replica)["message_deliveries"].values()}
    assert sorted(statuses.values()) == ["queued", "sent"]  # Main's waits for the morning
