"""The demo institute's CRM data keeps the app's rules: a next follow-up date is that of a
pending follow-up (so the counselor's home lists every lead the inquiry list shows as due), and
feedback carries the sentiment the desk would have worked out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from institute_core.crm.followups import follow_up_board, roll_over_missed
from institute_core.crm.listing import list_inquiries
from institute_core.demo import DEMO_LOGINS, DemoData, build_demo_replica, generate
from institute_core.engagement.sentiment import sentiment_of
from institute_core.replica import Replica
from institute_core.services import auth

SEED = 7


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate("small", seed=SEED)


def test_every_next_follow_up_date_is_a_pending_follow_up(demo: DemoData) -> None:
    pending: dict[object, list[object]] = {}
    for f in demo.tables["follow_ups"]:
        if f["status"] == "pending":
            pending.setdefault(f["inquiry_id"], []).append(f["follow_up_date"])
    scheduled = [i for i in demo.tables["crm_inquiries"] if i["next_follow_up_date"]]
    assert scheduled
    for inquiry in demo.tables["crm_inquiries"]:
        dates = pending.get(inquiry["id"])
        assert inquiry["next_follow_up_date"] == (min(dates) if dates else None)  # type: ignore[type-var]
        if dates:
            assert inquiry["status"] == "follow_up_scheduled"


def test_every_lost_demo_inquiry_says_why(demo: DemoData) -> None:
    lost = [i for i in demo.tables["crm_inquiries"] if i["status"] == "lost"]
    assert lost and all(i.get("lost_reason") for i in lost)


def test_demo_feedback_has_the_sentiment_the_desk_computes(demo: DemoData) -> None:
    rows = [f for f in demo.tables["feedback"] if f["comments"]]
    assert rows
    for f in rows:
        label, score = sentiment_of(f["comments"], f["rating"])  # type: ignore[misc,arg-type]
        assert (f["sentiment"], f["sentiment_score"]) == (label.value, score)


def test_the_follow_ups_home_lists_every_due_lead_of_the_list(tmp_path: Path) -> None:
    build_demo_replica(tmp_path, size="small", seed=SEED)
    replica = Replica.open(tmp_path)
    try:
        email, password = DEMO_LOGINS["counselor"]
        user = auth.login_offline(replica, email, password)
        today = date.today()
        roll_over_missed(replica, replica.actor(user.user_id), today)
        board = follow_up_board(replica, user.user_id, today)
        on_home = {r.inquiry_id for r in (*board.due_today, *board.overdue)}
        due_in_list = {r.id for r in list_inquiries(replica, user.user_id, today)
                       if r.counselor_id == user.user_id and r.follow_up_due(today)}
        assert due_in_list and board.due_today and board.overdue
        assert due_in_list == on_home
    finally:
        replica.close()
