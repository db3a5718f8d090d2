"""Branch-scoped replication across desks on a real server (issue 17): a desk holds the rows of
its user's branches only – before and after a student, a batch or a faculty member moves – and
a faculty member working in two branches holds exactly those two."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from institute_core.branches.service import (
    save_branch,
    student_branch_history,
    transfer_batch,
    transfer_faculty,
    transfer_student,
)
from institute_core.schema import (
    MAIN_BRANCH_ID,
    SYNCED_TABLES,
    BatchMember,
    FlexibleBatch,
    Inquiry,
    Student,
    table_of,
)
from institute_core.sync.policy import BRANCH_OF
from institute_core.sync.scopes import Viewer
from sync_server.settings import make_engine
from tests.support.server import ServerProcess, create_user, faculty_id_of
from tests.sync.builders import add_session_with_attendance, add_student, add_subject
from tests.sync.conftest import Desk, Institute, open_desk
from tests.sync.invariants import differences, held_rows
from tests.sync.test_e2e import _sync


class Admin:
    role = "admin"


def _server_rows(url: str) -> dict[str, dict[str, Mapping[str, Any]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {name: {str(r["id"]): r for r in conn.execute(
                select(table_of(name))).mappings()} for name in SYNCED_TABLES}
    finally:
        engine.dispose()


def _branches_of(rows: dict[str, dict[str, Mapping[str, Any]]], table: str,
                 row: Mapping[str, Any]) -> set[str]:
    """Where a row lives on the server now, as policy.BRANCH_OF declares it."""
    how = BRANCH_OF[table]
    value = row.get(how.column)
    if value is None and how.empty_is_everywhere:
        return {str(b) for b in rows["branches"]}
    if how.parent is None:
        found = {str(value)}
    else:
        parent = rows[how.parent].get(str(value))
        found = set() if parent is None else _branches_of(rows, how.parent, parent)
    if how.workers is not None:
        found |= {str(link["branch_id"]) for link in rows["user_branches"].values()
                  if link["user_id"] == row[how.workers] and link["deleted_at"] is None}
    return found


def foreign_rows(url: str, desk: Desk, branches: set[uuid.UUID]) -> list[str]:
    """Rows (held or parked) on `desk` that lie in none of `branches` on the server."""
    rows = _server_rows(url)
    mine = {str(b) for b in branches}
    out = []
    for table, held in held_rows(desk.replica).items():
        if table not in BRANCH_OF:
            continue
        for row_id in held:
            server_row = rows[table].get(row_id)
            if server_row is not None and not _branches_of(rows, table, server_row) & mine:
                out.append(f"{table} {row_id}")
    return out


def _viewer(url: str, desk: Desk, role: str) -> Viewer:
    faculty = faculty_id_of(url, desk.user_id) if role == "faculty" else None
    return Viewer(desk.user_id, role, faculty)


def _all_synced(desks: list[Desk]) -> None:
    for desk in desks:
        _sync(desk)
    for desk in desks:  # a second round: what others pushed in the first
        _sync(desk)


def test_each_desk_holds_its_branches_only_before_and_after_transfers(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    url = institute.url
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = admin.replica.actor(admin.user_id)
    north = save_branch(admin.replica, actor, Admin(), name="North", code="nor",
                        address="12 Ring Road", phone="+91 80 1234 5678")
    _sync(admin)
    main, main_faculty = MAIN_BRANCH_ID, institute.faculty
    people = {
        "faculty_n": create_user(url, email="fn@example.org", password="correct horse 42",
                                 role="faculty", branches=(north,)),
        "faculty_both": create_user(url, email="fb@example.org", password="correct horse 42",
                                    role="faculty", branches=(main, north)),
        "counselor_n": create_user(url, email="cn@example.org", password="correct horse 42",
                                   role="counselor", branches=(north,)),
    }
    faculty_n = faculty_id_of(url, people["faculty_n"])
    faculty_both = faculty_id_of(url, people["faculty_both"])
    _sync(admin)

    subject, _topics = add_subject(admin.replica, admin.user_id)
    # s_main: Main, taught by the Main faculty member, counselled by North's counselor.
    s_main = add_student(admin.replica, admin.user_id, "ENR-M1", subject_id=subject,
                         faculty_id=main_faculty, counselor_id=people["counselor_n"])
    # s_north: North, taught by North's faculty member and by the one of both branches.
    s_north = add_student(admin.replica, admin.user_id, "ENR-N1", subject_id=subject,
                          faculty_id=faculty_both, counselor_id=people["counselor_n"])
    s_batch = add_student(admin.replica, admin.user_id, "ENR-M2",
                          counselor_id=institute.counselor)
    with admin.replica.write(actor) as s:
        s.get(Student, s_north).branch_id = north
        batch = FlexibleBatch(name="Morning Python", subject_id=subject,
                              faculty_id=main_faculty, batch_type="workshop",
                              start_date=date(2026, 1, 10), max_students=10)
        s.add(batch)
        s.flush()
        s.add(BatchMember(batch_id=batch.id, student_id=s_batch, joined_on=date(2026, 1, 10)))
        s.add(Inquiry(student_name="Lead in Main", counselor_id=institute.counselor))
        s.add(Inquiry(student_name="Lead in North", counselor_id=people["counselor_n"],
                      branch_id=north))
        batch_id = batch.id
    add_session_with_attendance(admin.replica, admin.user_id, student_id=s_main,
                                faculty_id=main_faculty, subject_id=subject, day=date(2026, 2, 2))
    add_session_with_attendance(admin.replica, admin.user_id, student_id=s_north,
                                faculty_id=faculty_n, subject_id=subject, day=date(2026, 2, 3))
    _sync(admin)

    roles = {"faculty": "faculty", "counselor": "counselor", "faculty_n": "faculty",
             "faculty_both": "faculty", "counselor_n": "counselor"}
    emails = {**{k: institute.emails[k] for k in ("faculty", "counselor")},
              "faculty_n": "fn@example.org", "faculty_both": "fb@example.org",
              "counselor_n": "cn@example.org"}
    opened = {name: open_desk(desks, tmp_path, server.base_url, email)[0]
              for name, email in emails.items()}

    def check(where: dict[str, set[uuid.UUID]], moment: str) -> None:
        for name, desk in opened.items():
            assert foreign_rows(url, desk, where[name]) == [], f"{moment}: {name}"
            assert differences(url, desk.replica, _viewer(url, desk, roles[name])) == [], \
                f"{moment}: {name}"

    branches = {"faculty": {main}, "counselor": {main}, "faculty_n": {north},
                "faculty_both": {main, north}, "counselor_n": {north}}
    check(branches, "first sync")
    held = {n: held_rows(d.replica) for n, d in opened.items()}
    # The faculty member of both branches holds the students of both; North's counselor only
    # the North student they counsel, not the Main one they also counsel.
    assert set(held["faculty_both"]["students"]) == {str(s_north)}
    assert set(held["faculty_n"]["students"]) == {str(s_north)}
    assert set(held["counselor_n"]["students"]) == {str(s_north)}
    assert [r["student_name"] for r in held["counselor_n"]["crm_inquiries"].values()] \
        == ["Lead in North"]
    assert [r["student_name"] for r in held["counselor"]["crm_inquiries"].values()] \
        == ["Lead in Main"]
    assert str(s_main) in held["faculty"]["students"]

    # A student moves Main -> North: the history goes with them, and the transfer is kept.
    transfer_student(admin.replica, actor, Admin(), s_main, north, on=date(2026, 3, 1),
                     reason="moved house")
    _sync(admin)
    _all_synced(list(opened.values()))
    check(branches, "after the student's transfer")
    held = {n: held_rows(d.replica) for n, d in opened.items()}
    assert str(s_main) not in held["faculty"]["students"]  # still enrolled with them
    assert not [r for r in held["faculty"]["session_attendance"].values()
                if r["student_id"] == str(s_main)]
    assert str(s_main) in held["counselor_n"]["students"]
    assert len([r for r in held["counselor_n"]["learning_sessions"].values()
                if r["student_id"] == str(s_main)]) == 1
    history = student_branch_history(opened["counselor_n"].replica, s_main)
    assert [(m.from_branch, m.to_branch, m.reason) for m in history] \
        == [("Main", "North", "moved house")]

    # A batch moves with its students: its Main faculty member no longer holds it.
    assert transfer_batch(admin.replica, actor, Admin(), batch_id, north) == 1
    _sync(admin)
    _all_synced(list(opened.values()))
    check(branches, "after the batch's transfer")
    held = {n: held_rows(d.replica) for n, d in opened.items()}
    assert str(batch_id) not in held["faculty"]["flexible_batches"]
    assert str(s_batch) not in held["counselor"]["students"]

    # North's faculty member moves to Main: their record leaves North's desks and arrives on
    # Main's, and their own desk now holds Main's rows (none of North's).
    transfer_faculty(admin.replica, actor, Admin(), faculty_n, main)
    _sync(admin)
    _all_synced(list(opened.values()))
    branches["faculty_n"] = {main}
    check(branches, "after the faculty member's transfer")
    held = {n: held_rows(d.replica) for n, d in opened.items()}
    assert str(faculty_n) not in held["counselor_n"]["faculties"]
    assert str(faculty_n) in held["counselor"]["faculties"]
    assert str(faculty_both) in held["counselor"]["faculties"]  # works in both
    assert str(faculty_both) in held["counselor_n"]["faculties"]
    assert held["faculty_n"]["students"] == {}


def test_every_table_pointing_at_branch_data_is_declared_branch_scoped() -> None:
    """Generated from the schema: a synced table with a branch_id, or with a foreign key to a
    branch-scoped table, must say where its rows live (else a desk would pull them from every
    branch). Users and branches are the shared directory
    (docs/security.md)."""
    shared = {"users", "branches"}
    missing = []
    for name in SYNCED_TABLES:
        if name in shared or name in BRANCH_OF:
            continue
        table = table_of(name)
        parents = {fk.column.table.name for c in table.columns for fk in c.foreign_keys}
        if "branch_id" in table.c or parents & set(BRANCH_OF):
            missing.append(name)
    assert missing == []
