"""The attacks of issue 14, each sent as a raw push with a real token: refused, said why, and
PostgreSQL unchanged. (The generated test covers every table x role x operation; these are
the concrete stories a staff member with a script tried.)"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, select

from institute_core.schema import table_of
from institute_core.setup.passwords import reset_since
from institute_core.sync import wire
from institute_core.sync.apply import apply_page
from sync_server.auth.passwords import hash_password
from tests.server.helpers import PASSWORD, Device, build_school, new_row
from tests.support.server import create_user


def _row(url: str, table: str, row_id: uuid.UUID) -> dict[str, Any] | None:
    engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    try:
        t = table_of(table)
        with engine.connect() as conn:
            found = conn.execute(select(t).where(t.c.id == row_id)).mappings().first()
        return dict(found) if found is not None else None
    finally:
        engine.dispose()


def _refused(result: dict[str, Any]) -> str:
    assert result["outcome"] == "rejected", result
    assert result["reason"].startswith("not allowed: "), result
    return str(result["reason"])


def test_an_admin_cannot_make_themselves_super_admin(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    own = _row(server_db, "users", staff.admin)
    assert own is not None
    reason = _refused(admin.push(admin.change("users", staff.admin, {"role": "super_admin"},
                                              base_version=own["version"]))[0])
    assert "role" in reason
    assert _row(server_db, "users", staff.admin) == own
    # nor a new super admin account, nor raise a colleague
    _refused(admin.push(admin.change("users", uuid.uuid4(), new_row(
        email="boss@example.org", first_name="B", last_name="S", role="super_admin")))[0])
    _refused(admin.push(admin.change("users", staff.faculty1_user, {"role": "admin"},
                                     base_version=1))[0])
    assert _row(server_db, "users", staff.faculty1_user)["role"] == "faculty"  # type: ignore[index]


def test_an_admin_cannot_reset_the_super_admins_password(device, client, staff,
                                                        server_db) -> None:  # type: ignore[no-untyped-def]
    boss = create_user(server_db, email="boss@example.org", password="boss password 1",
                       role="super_admin")
    admin = device("admin@example.org")
    reset = uuid.uuid4()
    reason = _refused(admin.push(admin.change("password_resets", reset, new_row(
        user_id=boss, verifier=hash_password(PASSWORD))))[0])
    assert "password_resets" in reason
    assert _row(server_db, "password_resets", reset) is None
    with_admins_password = client.post("/v1/auth/login", json={
        "email": "boss@example.org", "password": PASSWORD})
    assert with_admins_password.status_code == 401
    assert client.post("/v1/auth/login", json={
        "email": "boss@example.org", "password": "boss password 1"}).status_code == 200


def test_a_faculty_member_cannot_widen_their_scope_with_a_session(device, staff,
                                                                  server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty2, staff.faculty1, staff.counselor)  # f2's student
    assessment = uuid.uuid4()
    admin.push(admin.change("assessments", assessment, new_row(
        student_id=school.student, subject_id=school.subject, assessment_type="quiz",
        title="Q1", total_marks="10", marks_obtained="4", assessment_date=date.today(),
        faculty_id=staff.faculty2)))
    f1 = device("f1@example.org")
    session = uuid.uuid4()
    reason = _refused(f1.push(f1.change("learning_sessions", session, new_row(
        student_id=school.student, faculty_id=staff.faculty1, subject_id=school.subject,
        session_date=date.today(), start_time="09:00:00", end_time="10:00:00",
        duration_minutes=60)))[0])
    assert "enrolled with them" in reason
    assert _row(server_db, "learning_sessions", session) is None
    rows, _page = f1.pull_all()
    seen = {(r["table"], r["id"]) for r in rows}
    assert ("students", str(school.student)) not in seen
    assert ("assessments", str(assessment)) not in seen
    assert ("student_subject_enrollments", str(school.enrollment)) not in seen


def test_a_counselor_cannot_cancel_a_session(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    # counseled by someone else: the counselor cannot even see it
    other = create_user(server_db, email="c2@example.org", password=PASSWORD, role="counselor")
    school = build_school(admin, staff.faculty1, staff.faculty2, other)
    counselor = device("c@example.org")
    before = _row(server_db, "learning_sessions", school.session)
    assert before is not None
    _refused(counselor.push(counselor.change("learning_sessions", school.session,
                                             {"status": "cancelled"},
                                             base_version=before["version"]))[0])
    assert _row(server_db, "learning_sessions", school.session) == before


def test_owner_and_author_columns_cannot_be_forged(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f1, counselor = device("f1@example.org"), device("c@example.org")
    penalty, honest, follow_up, assessment, entry = (uuid.uuid4() for _ in range(5))
    penalty_row = {"student_id": school.student, "type": "penalty", "category": "behavior",
                   "reason": "late", "points": 1, "date": date.today()}
    results = f1.push(
        f1.change("rewards_penalties", penalty, new_row(**penalty_row,
                                                        created_by=staff.admin)),
        f1.change("rewards_penalties", honest, new_row(**penalty_row)),
        f1.change("assessments", assessment, new_row(
            student_id=school.student, subject_id=school.subject, assessment_type="quiz",
            title="Q", total_marks="10", assessment_date=date.today(),
            faculty_id=staff.faculty2)),
        f1.change("audit_log", entry, new_row(user_id=staff.admin, action="update",
                                              table_name="users")))
    assert "created_by" in _refused(results[0])
    assert results[1]["outcome"] == "applied", results[1]["reason"]
    assert _row(server_db, "rewards_penalties", honest)["created_by"] == f1.user_id  # type: ignore[index]
    assert "faculty_id" in _refused(results[2])
    assert "user_id" in _refused(results[3])
    for table, row_id in (("rewards_penalties", penalty), ("assessments", assessment),
                          ("audit_log", entry)):
        assert _row(server_db, table, row_id) is None
    forged = counselor.push(counselor.change("follow_ups", follow_up, new_row(
        inquiry_id=school.inquiry, counselor_id=staff.admin, follow_up_date=datetime.now(UTC),
        follow_up_type="call")))[0]
    assert "counselor_id" in _refused(forged)
    reset = uuid.uuid4()
    forged_reset = admin.push(admin.change("password_resets", reset, new_row(
        user_id=staff.faculty1_user, reset_by=staff.faculty2_user,
        verifier=hash_password("x" * 12))))[0]
    assert "reset_by" in _refused(forged_reset)
    # an author never changes afterwards, not even by an administrator
    moved = admin.push(admin.change("rewards_penalties", honest, {"created_by": staff.admin},
                                    base_version=results[1]["version"]))[0]
    assert "created_by" in _refused(moved)


def test_a_reset_reaches_desks_without_its_verifier(device, client, staff, server_db,
                                                    replica) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    reset = uuid.uuid4()
    result = admin.push(admin.change("password_resets", reset, new_row(
        user_id=staff.faculty1_user, verifier=hash_password("new password 42"))))[0]
    assert result["outcome"] == "applied"
    assert _row(server_db, "password_resets", reset)["reset_by"] == admin.user_id  # type: ignore[index]
    # the server signs in with it ...
    assert client.post("/v1/auth/login", json={
        "email": "f1@example.org", "password": "new password 42"}).status_code == 200
    # ... and no desk, the reset user's or an admin's, receives it
    for reader in (admin, Device(client, "f1@example.org").sign_in("new password 42")):
        rows, _page = reader.pull_all()
        resets = [r for r in rows if r["table"] == "password_resets"]
        assert [r["id"] for r in resets] == [str(reset)]
        assert "verifier" not in resets[0]["values"]
    # A desk applies it without the verifier and stops trusting older offline verifiers.
    wanted = {("users", str(staff.faculty1_user)), ("users", str(admin.user_id)),
              ("password_resets", str(reset))}
    page = [wire.PulledRow(table=r["table"], id=uuid.UUID(r["id"]), version=r["version"],
                           values=r["values"]) for r in rows if (r["table"], r["id"]) in wanted]
    outcome = apply_page(replica, page)
    assert outcome.parked == 0
    with replica.read() as session:
        assert reset_since(session, staff.faculty1_user, datetime.now(UTC) - timedelta(days=1))


def test_a_conflict_on_a_colleagues_pay_does_not_reach_faculty(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    laptop, desktop = device("admin@example.org"), device("admin@example.org")
    f1 = device("f1@example.org")
    for desk in (laptop, f1):
        desk.pull_all()  # conflicts come with later pulls, not the first download
    version = _row(server_db, "faculties", staff.faculty2)["version"]  # type: ignore[index]
    assert laptop.push(laptop.change("faculties", staff.faculty2, {"hourly_rate": "10"},
                                     base_version=version))[0]["outcome"] == "applied"
    desktop.push(desktop.change("faculties", staff.faculty2, {"hourly_rate": "20"},
                                base_version=version))
    for reader, shown in ((laptop, True), (f1, False)):
        reader.pull_all()
        pay = [c for c in reader.conflicts if c["table"] == "faculties"
               and "hourly_rate" in c["field"]]
        assert bool(pay) == shown, reader.conflicts


def test_a_counselor_cannot_hand_a_student_record_to_a_staff_account(device, staff,
                                                                     server_db) -> None:  # type: ignore[no-untyped-def]
    counselor = device("c@example.org")
    record = uuid.uuid4()
    reason = _refused(counselor.push(counselor.change("students", record, new_row(
        user_id=staff.faculty1_user, enrollment_no="E-77", admission_date=date.today(),
        counselor_id=counselor.user_id)))[0])
    assert "student account" in reason
    assert _row(server_db, "students", record) is None
