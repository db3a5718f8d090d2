"""Board cards say when the next follow-up is and how overdue; an inquiry's activity reads in
time order: recorded, stage changes, follow-ups planned and done, notes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.context import AppContext
from desktop_app.crm.board import follow_up_text
from desktop_app.crm.inquiries_view import InquiriesView
from desktop_app.tasks import TaskManager
from institute_core.crm.activity import inquiry_activity
from institute_core.crm.followups import complete_follow_up, schedule_follow_up
from institute_core.crm.inquiries import InquiryDraft, create_inquiry, move_stage, update_inquiry
from institute_core.crm.listing import list_inquiries
from institute_core.replica import Actor, Replica
from institute_core.schema import FollowUp
from institute_core.services import auth
from tests.services.fixtures import PASSWORD, Institute


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:  # type: ignore[no-untyped-def]
    manager = TaskManager()
    yield manager
    manager.shutdown(5000)


def _at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour, 0), UTC)


@pytest.mark.parametrize(("days_from_today", "text", "overdue"), [
    (-3, "Overdue 3 days (", True), (-1, "Overdue 1 day (", True),
    (0, "Follow-up due today", False), (1, "Next ", False)])
def test_cards_say_when_the_next_follow_up_is(replica: Replica, institute: Institute,
                                              counselor: Actor, days_from_today: int,
                                              text: str, overdue: bool) -> None:
    today = institute.today
    lead = create_inquiry(replica, counselor, InquiryDraft("Meena Iyer", phone="98450 11111"))
    schedule_follow_up(replica, counselor, lead, _at(today + timedelta(days=days_from_today)))
    row = next(r for r in list_inquiries(replica, institute.counselor_id, today)
               if r.id == lead)
    said, late = follow_up_text(row, today)
    assert said.startswith(text) and late == overdue
    if days_from_today == 1:
        assert said.endswith("(in 1 day)")


def test_activity_in_time_order_and_on_the_panel(
        qtbot: QtBot, replica: Replica, institute: Institute, counselor: Actor,
        tasks: TaskManager, tmp_path: Path) -> None:
    lead = create_inquiry(replica, counselor, InquiryDraft("Ravi Kumar", phone="98450 22222",
                                                           source="walk_in"))
    schedule_follow_up(replica, counselor, lead, _at(institute.today - timedelta(days=2)))
    with replica.read() as s:
        follow_up = s.query(FollowUp).filter(FollowUp.inquiry_id == lead).one().id
    complete_follow_up(replica, counselor, follow_up, "Interested in the evening batch")
    update_inquiry(replica, counselor, lead, InquiryDraft(
        "Ravi Kumar", phone="98450 22222", source="walk_in", notes="Fees discussed"))
    move_stage(replica, counselor, lead, "lost", lost_reason="Fees too high")
    kinds = [(a.kind, a.text) for a in inquiry_activity(replica, lead)]
    assert kinds[0] == ("created", "Inquiry recorded (source: walk in)")
    texts = [t for _k, t in kinds]
    assert "Call done: Interested in the evening batch" in texts
    assert "Note: Fees discussed" in texts
    assert "Stage new → follow up scheduled" in texts
    assert texts[-1] == "Stage contacted → lost: Fees too high"
    whens = [a.when for a in inquiry_activity(replica, lead)]
    assert whens == sorted(whens)

    view = InquiriesView(AppContext(replica, tasks, auth.login_offline(
        replica, "counselor@example.org", PASSWORD)), today=institute.today)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitUntil(lambda: view.row_by_id(lead) is not None, timeout=5000)
    view.open_inquiry(lead)
    panel = view.panel
    qtbot.waitUntil(lambda: panel.activity.count() == len(kinds)
                    and panel.activity.item(0).text() != "Loading…", timeout=5000)
    shown = [panel.activity.item(i).text() for i in range(panel.activity.count())]
    assert shown[-1].endswith("Stage contacted → lost: Fees too high (Cyrus Counselor)")
    view.grab().save(str(tmp_path / "inquiry_activity.png"))
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)
