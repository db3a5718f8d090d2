"""Announcements on the portal: a student and a guardian see the current notices for everyone
and for the student's batches (pinned first), never another batch's, an expired one or one for
staff; a student's reading becomes a read receipt the author's desk pulls."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from institute_core.schema import table_of
from tests.portal.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    NOTICES,
    STUDENT_PASSWORD,
    PortalWorld,
)
from tests.portal.pages import issue_code, sign_in, sign_in_with_code
from tests.server.helpers import Device


def _titles_in_order(html: str) -> list[str]:
    return sorted((t for t in NOTICES.values() if t in html), key=html.index)


def _receipts(world: PortalWorld, user_id: object) -> set[object]:
    reads = table_of("announcement_reads")
    with world.engine.connect() as conn:
        return set(conn.execute(select(reads.c.announcement_id).where(
            reads.c.user_id == user_id)).scalars())


def test_a_student_reads_the_notices_for_them_and_the_author_sees_it(
        portal: TestClient, portal_world: PortalWorld) -> None:
    alice, ids = portal_world.alice, portal_world.announcements
    reads = table_of("announcement_reads")
    with portal_world.engine.begin() as conn:  # as if she had never opened the board
        conn.execute(delete(reads).where(reads.c.user_id == alice.user_id))
    admin = Device(portal, ADMIN_EMAIL).sign_in(ADMIN_PASSWORD)
    admin.pull_all(limit=5000)  # the author's desk is up to date before alice reads
    sign_in(portal, alice.email, STUDENT_PASSWORD)
    home = portal.get("/portal/home").text
    # Pinned first; another batch's, an expired one and the staff's are not shown.
    assert _titles_in_order(home) == [NOTICES["holiday"], NOTICES["alice_batch"]]
    assert home.count(">New<") == 2
    assert "Closed from 1 to 3 November." not in home  # the home page lists the titles only
    assert _receipts(portal_world, alice.user_id) == set()  # a title seen is not read yet

    board = portal.get("/portal/announcements")
    assert board.status_code == 200
    assert _titles_in_order(board.text) == [NOTICES["holiday"], NOTICES["alice_batch"]]
    assert "Closed from 1 to 3 November." in board.text and "Saturday 10:00" in board.text
    assert _receipts(portal_world, alice.user_id) == {ids["holiday"], ids["alice_batch"]}
    assert ">New<" not in portal.get("/portal/announcements").text  # read now
    # The receipts reach the author's desk by sync, counted once however often she looks.
    pulled, _ = admin.pull_all(limit=5000)
    receipts = [r for r in pulled if r["table"] == "announcement_reads"]
    assert {(r["values"]["announcement_id"], r["values"]["user_id"]) for r in receipts} == {
        (str(ids[name]), str(alice.user_id)) for name in ("holiday", "alice_batch")}
    hindi = portal.get("/portal/announcements?lang=hi").text
    assert "सूचनाएँ" in hindi and "पिन की गई" in hindi


def test_a_guardian_reads_their_childs_notices(portal: TestClient,
                                               portal_world: PortalWorld) -> None:
    bob = portal_world.bob
    code = issue_code(portal, ADMIN_EMAIL, ADMIN_PASSWORD, bob.student_id)
    assert sign_in_with_code(portal, code).status_code == 303
    board = portal.get("/portal/announcements").text
    assert _titles_in_order(board) == [NOTICES["holiday"], NOTICES["bob_batch"]]
    assert "Now in room 4." in board
    assert ">New<" not in board  # a guardian has no account whose reading is recorded
    assert _titles_in_order(portal.get("/portal/home").text) == [NOTICES["holiday"],
                                                                 NOTICES["bob_batch"]]
