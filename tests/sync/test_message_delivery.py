"""An absence marked offline on a faculty desk becomes one SMS to the guardian once the desk
syncs, sent by the server's dispatcher, with its delivery status back on the desk - over a
real server on a socket, real PostgreSQL and a local MSG91 that checks each request."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from institute_core.enums import AttendanceStatus
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian
from institute_core.messaging.queue import messages_of_student
from institute_core.schema import LearningSession
from institute_core.services import attendance
from institute_core.services.common import SessionKey
from institute_core.sync.account import sync_replica
from sync_server.messages.adapters import Msg91Adapter
from sync_server.messages.dispatcher import Dispatcher
from sync_server.settings import make_engine
from tests.messages.test_dispatcher import _settings
from tests.support.gateways import AUTHKEY, running_gateway
from tests.support.server import ServerProcess
from tests.sync.builders import add_student, add_subject
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk

pytestmark = pytest.mark.postgres


def test_an_absence_marked_offline_is_sent_once_and_its_status_comes_back(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    office, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = office.replica.actor(office.user_id)
    subject_id, _topics = add_subject(office.replica, office.user_id)
    student = add_student(office.replica, office.user_id, "PY-001", subject_id=subject_id,
                          faculty_id=institute.faculty)
    save_guardian(office.replica, actor, student, GuardianInput(
        name="Meena", relation="mother", phone="98765 43210", is_primary=True))
    admin.save_template(office.replica, actor, event="absent", language="en", channel="sms",
                        body="{student_first_name} was absent on {session_date}.",
                        provider_template="1107160000000012345")
    admin.save_trigger(office.replica, actor, name="Absent at once", event="absent",
                       enabled=True, grace_minutes=0)
    day = date(2026, 12, 4)
    with office.replica.write(actor) as s:
        session = LearningSession(student_id=student, faculty_id=institute.faculty,
                                  subject_id=subject_id, session_date=day,
                                  start_time=time(10), end_time=time(11), duration_minutes=60)
        s.add(session)
        s.flush()
        session_id = session.id
    assert not sync_replica(office.replica, office.credentials, retry=FAST_RETRY).rejected

    teacher, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    # Offline: the mark and its alert are written locally, nothing is sent.
    attendance.mark(teacher.replica, teacher.replica.actor(teacher.user_id),
                    SessionKey.individual(session_id, day), student, AttendanceStatus.ABSENT)
    with teacher.replica.read() as s:
        [(queued, delivery)] = messages_of_student(s, student)
        assert delivery is None and queued.recipient == "+919876543210"
    report = sync_replica(teacher.replica, teacher.credentials, retry=FAST_RETRY)
    assert not report.rejected, report.rejected

    engine = make_engine(institute.url)
    try:
        with running_gateway() as gateway:
            dispatcher = Dispatcher(engine, {"sms": Msg91Adapter(gateway.msg91_url, AUTHKEY)},
                                    _settings())
            assert dispatcher.run_once().outcomes == {"sent": 1}
            assert dispatcher.run_once().handled == 0
            assert gateway.malformed == []
            [request] = gateway.sms
    finally:
        engine.dispose()
    assert request["template_id"] == "1107160000000012345"
    assert request["recipients"] == [{"mobiles": "919876543210",
                                      "student_first_name": "Stu",
                                      "session_date": "04 Dec 2026"}]

    for desk in (teacher, office):
        assert not sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY).rejected
        with desk.replica.read() as s:
            [(message, delivery)] = messages_of_student(s, student)
            assert delivery is not None and delivery.status == "sent"
            assert delivery.sent_at is not None and message.body == \
                "Stu was absent on 04 Dec 2026."
