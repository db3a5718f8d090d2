"""The counselor's home: due today and overdue, completing with an outcome, roll-over to missed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from institute_core.crm.followups import (
    complete_follow_up,
    follow_up_board,
    propose_next_date,
    roll_over_missed,
    schedule_follow_up,
)
from institute_core.crm.inquiries import InquiryDraft, create_inquiry, move_stage
from institute_core.crm.listing import list_inquiries
from institute_core.replica import Actor, Replica
from institute_core.schema import FollowUp, Inquiry
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour)).astimezone()


def test_due_today_and_overdue(replica: Replica, institute: Institute, counselor: Actor) -> None:
    today = institute.today
    a = create_inquiry(replica, counselor, InquiryDraft("Asha", "98450 10001"))
    b = create_inquiry(replica, counselor, InquiryDraft("Bina", "98450 10002"))
    c = create_inquiry(replica, counselor, InquiryDraft("Chetan", "98450 10003"))
    due = schedule_follow_up(replica, counselor, a, _at(today, 15), "call")
    late = schedule_follow_up(replica, counselor, b, _at(today - timedelta(days=2)), "visit")
    schedule_follow_up(replica, counselor, c, _at(today + timedelta(days=1)), "sms")
    board = follow_up_board(replica, institute.counselor_id, today)
    assert [r.id for r in board.due_today] == [due]
    assert [(r.id, r.name, r.kind) for r in board.overdue] == [(late, "Bina", "visit")]
    # Another counselor's list is theirs; the admin sees everyone's.
    assert follow_up_board(replica, institute.admin_id, today).due_today[0].id == due


def test_complete_records_outcome_and_schedules_the_proposed_next(
        replica: Replica, institute: Institute, counselor: Actor) -> None:
    today = institute.today
    inquiry = create_inquiry(replica, counselor, InquiryDraft("Asha", "98450 10001"))
    first = schedule_follow_up(replica, counselor, inquiry, _at(today, 10), "call")
    with pytest.raises(InvalidInput, match="say what came") as caught:
        complete_follow_up(replica, counselor, first, "   ")
    assert caught.value.field == "outcome"
    proposed = propose_next_date(today, 1)
    assert proposed > today and proposed.weekday() != 6
    complete_follow_up(replica, counselor, first, "Interested, wants fees by email",
                       _at(proposed), "email")
    with replica.read() as s:
        done = s.get(FollowUp, first)
        assert done is not None
        assert (done.status, done.outcome) == ("completed", "Interested, wants fees by email")
        row = s.get(Inquiry, inquiry)
        assert row is not None and row.status == "follow_up_scheduled"
        assert row.next_follow_up_date == _at(proposed)
    board = follow_up_board(replica, institute.counselor_id, proposed)
    assert [(r.name, r.kind, r.completed_contacts) for r in board.due_today] == [
        ("Asha", "email", 1)]
    assert follow_up_board(replica, institute.counselor_id, today).due_today == ()
    listed = list_inquiries(replica, institute.counselor_id, today)[0]
    assert "+5 1 contact" in listed.score.explain()


def test_without_a_next_date_the_inquiry_is_contacted(replica: Replica, institute: Institute,
                                                      counselor: Actor) -> None:
    inquiry = create_inquiry(replica, counselor, InquiryDraft("Asha", "98450 10001"))
    first = schedule_follow_up(replica, counselor, inquiry, _at(institute.today), "call")
    complete_follow_up(replica, counselor, first, "Will call back herself")
    with replica.read() as s:
        row = s.get(Inquiry, inquiry)
        assert row is not None
        assert (row.status, row.next_follow_up_date) == ("contacted", None)


def test_pending_in_the_past_turns_missed(replica: Replica, institute: Institute,
                                          counselor: Actor) -> None:
    today = institute.today
    a = create_inquiry(replica, counselor, InquiryDraft("Asha", "98450 10001"))
    old = schedule_follow_up(replica, counselor, a, _at(today - timedelta(days=3)))
    todays = schedule_follow_up(replica, counselor, a, _at(today, 0))
    assert roll_over_missed(replica, counselor, today) == 1
    assert roll_over_missed(replica, counselor, today) == 0
    with replica.read() as s:
        assert s.get(FollowUp, old).status == "missed"  # type: ignore[union-attr]
        assert s.get(FollowUp, todays).status == "pending"  # type: ignore[union-attr]
    listed = list_inquiries(replica, institute.counselor_id, today)[0]
    assert "−5 1 missed follow-up" in listed.score.explain()
    # The missed one is not overdue: a later follow-up (today's) already replaced it.
    board = follow_up_board(replica, institute.counselor_id, today)
    assert [r.id for r in board.due_today] == [todays] and board.overdue == ()


def test_no_follow_ups_for_closed_inquiries(replica: Replica, counselor: Actor,
                                            institute: Institute) -> None:
    a = create_inquiry(replica, counselor, InquiryDraft("Asha", "98450 10001"))
    move_stage(replica, counselor, a, "lost", lost_reason="Moved away")
    with pytest.raises(InvalidInput, match="open inquiries"):
        schedule_follow_up(replica, counselor, a, _at(institute.today))
    with pytest.raises(InvalidInput, match="must be one of"):
        b = create_inquiry(replica, counselor, InquiryDraft("Bina", "98450 10002"))
        schedule_follow_up(replica, counselor, b, _at(institute.today), "pigeon")
