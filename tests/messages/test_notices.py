"""The notice board on a desk: who sees an announcement, pinned first, expired ones gone, read
receipts for the author, refused input naming the field, and the optional copy to guardians."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from institute_core.engagement.access import NotAllowed
from institute_core.messaging.contacts import GuardianInput, save_guardian, set_consent
from institute_core.notices import announcements as notices
from institute_core.replica import Replica
from institute_core.schema import Announcement, Message
from institute_core.schema.types import utcnow
from institute_core.sync.scopes import Viewer
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def _viewers(school: Institute) -> dict[str, Viewer]:
    return {"admin": Viewer(school.admin_id, "admin"),
            "faculty": Viewer(school.faculty_user_id, "faculty", school.faculty_id),
            "counselor": Viewer(school.counselor_id, "counselor")}


def _titles(replica: Replica, viewer: Viewer) -> list[str]:
    return [n.title for n in notices.board(replica, viewer)]


def test_each_desk_sees_the_notices_for_its_audience_pinned_first(
        replica: Replica, school: Institute) -> None:
    office = replica.actor(school.admin_id)
    notices.post(replica, office, title="Diwali holidays", body="Closed 1-5 Nov.")
    notices.post(replica, office, title="Staff meeting", body="Friday 4 pm.",
                 audience="role", audience_role="faculty")
    notices.post(replica, office, title="Batch moves to room 2", body="From Monday.",
                 audience="batch", batch_id=school.batch_id)
    notices.post(replica, office, title="Fire drill", body="Tomorrow 11 am.", pinned=True)
    expiring = notices.post(replica, office, title="Old notice", body="Gone soon.",
                            expires_at=utcnow() + timedelta(minutes=5))
    with replica.write(office) as s:  # its time passes
        row = s.get(Announcement, expiring)
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
    v = _viewers(school)
    assert _titles(replica, v["faculty"]) == [
        "Fire drill", "Batch moves to room 2", "Staff meeting", "Diwali holidays"]
    assert _titles(replica, v["counselor"]) == ["Fire drill", "Diwali holidays"]
    # The author sees their own notices, whatever the audience.
    assert len(_titles(replica, v["admin"])) == 4


def test_the_author_sees_who_read_it(replica: Replica, school: Institute) -> None:
    office = replica.actor(school.admin_id)
    notice = notices.post(replica, office, title="Exam timetable", body="Out on Monday.")
    teacher = replica.actor(school.faculty_user_id)
    assert notices.mark_read(replica, teacher, notice) is True
    assert notices.mark_read(replica, teacher, notice) is False  # once per reader
    [receipt] = notices.receipts(replica, notice)
    assert receipt.user_id == school.faculty_user_id
    [seen] = notices.board(replica, _viewers(school)["faculty"])
    assert seen.read and seen.reads == 1
    [unseen] = notices.board(replica, _viewers(school)["counselor"])
    assert not unseen.read


@pytest.mark.parametrize(("fields", "named"), [
    ({"title": "  "}, "announcements.title: is empty"),
    ({"body": ""}, "announcements.body: is empty"),
    ({"audience": "parents"}, "announcements.audience: is not everyone, role or batch"),
    ({"audience": "role"}, "announcements.audience_role: names no role"),
    ({"audience": "batch"}, "announcements.batch_id: names no batch"),
    ({"expires_at": utcnow() - timedelta(days=1)}, "announcements.expires_at: is already past"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
        replica: Replica, school: Institute, fields: dict[str, object], named: str) -> None:
    values: dict[str, object] = {"title": "A title", "body": "Some text.", **fields}
    with pytest.raises(InvalidInput, match=named):
        notices.post(replica, replica.actor(school.admin_id), **values)  # type: ignore[arg-type]
    with replica.read() as s:
        assert s.scalar(select(func.count()).select_from(Announcement)) == 0


def test_a_notice_sent_to_guardians_queues_one_message_each_and_skips_opt_outs(
        replica: Replica, school: Institute) -> None:
    office = replica.actor(school.admin_id)
    for n, student in enumerate(school.student_ids[:3]):
        save_guardian(replica, office, student, GuardianInput(
            name=f"Parent {n}", phone=f"98765 4321{n}", is_primary=True))
    set_consent(replica, office, "98765 43212", "sms", opted_out=True)
    notice = notices.post(replica, office, title="PTM on Saturday", body="10 am, main hall.",
                          send_to_guardians=True)
    notices.post(replica, office, title="PTM on Saturday", body="10 am, main hall.",
                 send_to_guardians=True, announcement_id=notice)  # edited: nothing twice
    with replica.read() as s:
        messages = list(s.execute(select(Message)).scalars())
    assert sorted(m.recipient for m in messages) == ["+919876543210", "+919876543211"]
    assert all(m.body == "PTM on Saturday\n10 am, main hall." for m in messages)


def test_only_an_administrator_posts_and_their_screen_lists_expired_ones_too(
        replica: Replica, school: Institute) -> None:
    with pytest.raises(NotAllowed, match="Posting an announcement is not open"):
        notices.post(replica, replica.actor(school.faculty_user_id), title="Hi", body="x")
    office = replica.actor(school.admin_id)
    notice = notices.post(replica, office, title="Old", body="x",
                          expires_at=utcnow() + timedelta(minutes=1))
    later = utcnow() + timedelta(minutes=2)
    admin = _viewers(school)["admin"]
    assert notices.board(replica, admin, later) == []
    assert [n.title for n in notices.board(replica, admin, later, managing=True)] == ["Old"]
    notices.withdraw(replica, office, notice)
    assert notices.board(replica, admin, later, managing=True) == []
