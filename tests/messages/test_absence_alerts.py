"""An absence marked on a desk queues one message to the guardian, through the unit of work
(so it syncs with the mark); corrections, opt-outs, N absences in a row and languages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from institute_core.enums import AttendanceStatus as S
from institute_core.enums import Channel
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian, set_consent
from institute_core.replica import Replica
from institute_core.schema import Guardian, Message, OutboxEntry
from institute_core.schema.types import utcnow
from institute_core.services import attendance
from institute_core.services.common import SessionKey
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute

EN = "Dear {guardian_name}, {student_first_name} was absent from {subject_name} on {session_date}."
HI = "प्रिय {guardian_name}, {student_first_name} आज {session_date} को कक्षा में अनुपस्थित था।"


def _setup(replica: Replica, school: Institute, *, after: int = 1, grace: int = 15) -> None:
    actor = replica.actor(school.admin_id)
    admin.save_template(replica, actor, event="absent", language="en", channel="sms", body=EN)
    admin.save_template(replica, actor, event="absent", language="hi", channel="sms", body=HI)
    admin.save_trigger(replica, actor, name="Absent", event="absent", enabled=True,
                       after_absences=after, grace_minutes=grace)
    for i, student in enumerate(school.student_ids):
        save_guardian(replica, actor, student, GuardianInput(
            name=f"Parent {i}", relation="mother", phone=f"098765 4321{i}",
            language="hi" if i == 1 else "en", is_primary=True))


def _messages(replica: Replica) -> list[Message]:
    with replica.read() as s:
        rows = list(s.execute(select(Message).order_by(Message.recipient)).scalars())
        s.expunge_all()
        return rows


def test_an_absence_queues_one_sms_to_the_guardian_with_the_mark(
        replica: Replica, school: Institute) -> None:
    _setup(replica, school)
    actor = replica.actor(school.faculty_user_id)
    key = school.batch_key
    attendance.mark(replica, actor, key, school.student_ids[0], S.ABSENT)
    attendance.mark(replica, actor, key, school.student_ids[0], S.ABSENT)  # saved again
    attendance.mark(replica, actor, key, school.student_ids[2], S.PRESENT)
    [message] = _messages(replica)
    assert message.recipient == "+919876543210"  # normalised as the CRM does
    assert message.channel == Channel.SMS and message.event == "absent"
    assert message.body.startswith("Dear Parent 0, Asha was absent from Python Programming on")
    assert message.created_by == school.faculty_user_id
    assert message.send_after > utcnow() + timedelta(minutes=14)  # the grace period
    with replica.read() as s:  # queued for sync like the mark itself
        assert s.execute(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.table_name == "messages")).scalar_one() == 1


def test_the_guardians_language_picks_the_template(replica: Replica,
                                                   school: Institute) -> None:
    _setup(replica, school)
    attendance.mark(replica, replica.actor(school.faculty_user_id), school.batch_key,
                    school.student_ids[1], S.ABSENT)
    [message] = _messages(replica)
    assert message.language == "hi" and "अनुपस्थित" in message.body and "Ravi" in message.body


def test_a_correction_within_the_grace_period_cancels_and_absent_again_restores(
        replica: Replica, school: Institute) -> None:
    _setup(replica, school)
    actor = replica.actor(school.faculty_user_id)
    student = school.student_ids[0]
    attendance.mark(replica, actor, school.batch_key, student, S.ABSENT)
    attendance.mark(replica, actor, school.batch_key, student, S.PRESENT)
    [message] = _messages(replica)
    assert message.cancelled_at is not None
    attendance.mark(replica, actor, school.batch_key, student, S.ABSENT)
    [message] = _messages(replica)
    assert message.cancelled_at is None


def test_no_grace_means_a_correction_comes_too_late(replica: Replica,
                                                    school: Institute) -> None:
    _setup(replica, school, grace=0)
    actor = replica.actor(school.faculty_user_id)
    student = school.student_ids[0]
    attendance.mark(replica, actor, school.batch_key, student, S.ABSENT)
    attendance.mark(replica, actor, school.batch_key, student, S.PRESENT)
    [message] = _messages(replica)
    assert message.cancelled_at is None


def test_an_opted_out_contact_gets_nothing(replica: Replica, school: Institute) -> None:
    _setup(replica, school)
    set_consent(replica, replica.actor(school.admin_id), "+91 98765 43210", "sms",
                opted_out=True)
    attendance.mark(replica, replica.actor(school.faculty_user_id), school.batch_key,
                    school.student_ids[0], S.ABSENT)
    assert _messages(replica) == []


def test_after_three_absences_in_a_row_only_the_third_alerts(replica: Replica,
                                                              school: Institute) -> None:
    _setup(replica, school, after=3)
    actor = replica.actor(school.faculty_user_id)
    student = school.student_ids[0]
    day = school.today
    for back in (3, 2, 1):
        key = SessionKey.batch(school.batch_id, day - timedelta(days=back))
        status = S.PRESENT if back == 3 else S.ABSENT
        attendance.mark(replica, actor, key, student, status)
    assert _messages(replica) == []  # two in a row so far
    attendance.mark(replica, actor, school.batch_key, student, S.ABSENT)
    [message] = _messages(replica)
    assert message.send_after > utcnow()


def test_no_trigger_switched_on_queues_nothing(replica: Replica, school: Institute) -> None:
    _setup(replica, school)
    with replica.write(replica.actor(school.admin_id)) as s:
        for trigger in admin.triggers(replica):
            s.merge(trigger).enabled = False
    attendance.mark(replica, replica.actor(school.faculty_user_id), school.batch_key,
                    school.student_ids[0], S.ABSENT)
    assert _messages(replica) == []


def test_a_guardian_phone_is_checked_and_normalised(replica: Replica,
                                                    school: Institute) -> None:
    actor = replica.actor(school.admin_id)
    with pytest.raises(InvalidInput, match=r"guardians\.phone"):
        save_guardian(replica, actor, school.student_ids[0],
                      GuardianInput(name="Dad", phone="12345"))
    with pytest.raises(InvalidInput, match=r"guardians\.email"):
        save_guardian(replica, actor, school.student_ids[0],
                      GuardianInput(name="Dad", preferred_channel="email"))
    guardian_id = save_guardian(replica, actor, school.student_ids[0],
                                GuardianInput(name="Dad", phone="0091-98765-00000"))
    with replica.read() as s:
        guardian = s.get(Guardian, guardian_id)
        assert guardian is not None and guardian.phone_normalized == "+919876500000"
    assert isinstance(guardian_id, uuid.UUID)
