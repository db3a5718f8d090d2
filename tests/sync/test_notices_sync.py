"""The notice board over a real server: each desk pulls only the announcements of its audience
and branch, only an administrator can post one (a faculty desk's own is refused and stays
off the server), and a reader's receipt reaches the author's desk - real PostgreSQL, a real
server on a socket."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from institute_core.branches.service import save_branch
from institute_core.notices import announcements as notices
from institute_core.schema import MAIN_BRANCH_ID, Announcement, FlexibleBatch
from institute_core.sync.scopes import Viewer
from sync_server.settings import make_engine
from tests.support.server import ServerProcess, create_user
from tests.sync.builders import add_subject
from tests.sync.conftest import Desk, Institute, open_desk
from tests.sync.test_branches import Admin
from tests.sync.test_e2e import _sync

pytestmark = pytest.mark.postgres


def _held(desk: Desk) -> set[str]:
    with desk.replica.read() as s:
        return set(s.execute(select(Announcement.title)).scalars())


def test_each_desk_pulls_its_audiences_notices_and_the_author_sees_who_read(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    office, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = office.replica.actor(office.user_id)
    north = save_branch(office.replica, actor, Admin(), name="North", code="nor")
    subject, _topics = add_subject(office.replica, office.user_id)
    with office.replica.write(actor) as s:
        batch = FlexibleBatch(faculty_id=institute.faculty, name="Python evening",
                              subject_id=subject, batch_type="workshop",
                              start_date=date(2026, 12, 1), branch_id=MAIN_BRANCH_ID)
        s.add(batch)
        s.flush()
        batch_id = batch.id
    _sync(office)
    create_user(institute.url, email="north@example.org", password="correct horse 42",
                role="counselor", branches=(north,))

    notices.post(office.replica, actor, title="Holiday on Friday", body="All centres closed.")
    notices.post(office.replica, actor, title="Faculty meeting", body="Room 4 at 5 pm.",
                 audience="role", audience_role="faculty")
    notices.post(office.replica, actor, title="Python batch moves", body="To room 2.",
                 audience="batch", batch_id=batch_id)
    notices.post(office.replica, actor, title="North: new timings", body="9 to 6.",
                 branch_id=north, pinned=True)
    assert not _sync(office).rejected  # type: ignore[attr-defined]

    teacher, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    north_desk, _ = open_desk(desks, tmp_path, server.base_url, "north@example.org")
    assert _held(teacher) == {"Holiday on Friday", "Faculty meeting", "Python batch moves"}
    assert _held(front) == {"Holiday on Friday"}
    assert _held(north_desk) == {"Holiday on Friday", "North: new timings"}
    north_board = notices.board(north_desk.replica, Viewer(north_desk.user_id, "counselor"))
    assert [n.title for n in north_board] == ["North: new timings", "Holiday on Friday"]

    # A faculty desk writing its own announcement: the server refuses it, nobody receives it.
    with teacher.replica.write(teacher.replica.actor(teacher.user_id)) as s:
        s.add(Announcement(title="Free pizza", body="Says the faculty.", audience="everyone"))
    assert _sync(teacher).rejected  # type: ignore[attr-defined]
    engine = make_engine(institute.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Announcement.__table__)
                                .where(Announcement.title == "Free pizza")).scalar() == 0
    finally:
        engine.dispose()

    holiday = next(n.id for n in notices.board(
        teacher.replica, Viewer(teacher.user_id, "faculty", institute.faculty))
        if n.title == "Holiday on Friday")
    notices.mark_read(teacher.replica, teacher.replica.actor(teacher.user_id), holiday)
    notices.mark_read(front.replica, front.replica.actor(front.user_id), holiday)
    _sync(teacher)
    _sync(front)
    _sync(office)
    readers = {r.user_id for r in notices.receipts(office.replica, holiday)}
    assert readers == {institute.faculty_user, institute.counselor}
    # A reader holds their own receipt only.
    assert {r.user_id for r in notices.receipts(front.replica, holiday)} == {institute.counselor}
