"""The bell: a desk makes its user's notifications from what it holds (a follow-up due, a
bounced cheque, a conflict), once each; read clears the count; done work clears itself."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from institute_core.crm.clock import day_start
from institute_core.crm.followups import complete_follow_up, schedule_follow_up
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.enums import PaymentMode, PlanKind
from institute_core.fees.payments import PaymentRequest, record_cheque_step, take_payment
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.notices import notifications as bell
from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.schema import ConflictLogEntry, StaffNotification
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def test_a_follow_up_due_rings_the_counselors_bell_once_until_done(
        replica: Replica, school: Institute) -> None:
    counselor = replica.actor(school.counselor_id)
    inquiry = create_inquiry(replica, counselor, InquiryDraft("Rohan Gupta", "98111 22233"))
    due = schedule_follow_up(replica, counselor, inquiry,
                             day_start(school.today) + timedelta(hours=10))
    bell.refresh(replica, counselor, "counselor", school.today)
    assert bell.refresh(replica, counselor, "counselor", school.today) == 0  # once
    [item] = _follow_ups(replica, school.counselor_id)
    assert item.title == "Follow-up due: Rohan Gupta" and not item.read
    with replica.read() as s:
        assert bell.inquiry_of(s, item.record_table, item.record_id) == inquiry
    # Nobody else's bell rings for it.
    bell.refresh(replica, replica.actor(school.faculty_user_id), "faculty", school.today)
    assert _follow_ups(replica, school.faculty_user_id) == []
    unread = bell.unread_count(replica, school.counselor_id)
    complete_follow_up(replica, counselor, due, "Will visit on Monday",
                       next_at=day_start(school.today + timedelta(days=3)))
    bell.refresh(replica, counselor, "counselor", school.today)
    assert bell.unread_count(replica, school.counselor_id) == unread - 1
    [done] = _follow_ups(replica, school.counselor_id)
    assert done.read  # it cleared itself


def _follow_ups(replica: Replica, user_id: uuid.UUID) -> list[bell.Notification]:
    return [n for n in bell.notifications(replica, user_id) if n.kind == "follow_up_due"]


def test_mark_read_clears_the_count_and_a_bounced_cheque_leads_to_its_student(
        replica: Replica, school: Institute) -> None:
    office = replica.actor(school.admin_id)
    replica.set_state(SERIES_STATE_KEY, "D07")  # as the server gives at registration
    student = school.student_ids[0]
    make_plan(replica, office, PlanRequest(
        student_id=student, name="Python course", price=Decimal("12000"),
        kind=PlanKind.INSTALMENTS.value, instalments=1, every_months=1,
        first_due=school.today), school.today)
    taken = take_payment(replica, office, PaymentRequest(
        student_id=student, amount=Decimal("12000"), mode=PaymentMode.CHEQUE.value,
        reference="000123", bank="SBI", instrument_date=school.today), school.today)
    record_cheque_step(replica, office, taken.payment_id, "bounced", school.today)
    with replica.write(office) as s:  # the sync kept a value from another desk
        s.add(ConflictLogEntry(table_name="students", row_id=student, field="phone",
                               kind="field", server_version=3))
    bell.refresh(replica, office, "admin", school.today)
    kinds = {n.kind: n for n in bell.notifications(replica, school.admin_id)}
    assert {"cheque_bounced", "conflict"} <= set(kinds)
    assert kinds["conflict"].detail == "Phone was changed on two desks"
    with replica.read() as s:
        cheque = kinds["cheque_bounced"]
        assert bell.student_of(s, cheque.record_table, cheque.record_id) == student
    unread = bell.unread_count(replica, school.admin_id)
    assert bell.mark_read(replica, office, [cheque.id]) == 1
    assert bell.unread_count(replica, school.admin_id) == unread - 1
    assert bell.mark_read(replica, office) == unread - 1  # all
    assert bell.unread_count(replica, school.admin_id) == 0
    with pytest.raises(InvalidInput, match=r"staff_notifications\.id: is not a notification"):
        bell.mark_read(replica, office, [uuid.uuid4()])
    with replica.read() as s:
        assert all(n.read_at is not None for n in s.query(StaffNotification))
