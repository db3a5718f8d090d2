"""Push over the API: exactly once, in order, merged per field by owner and hybrid time."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import create_engine, select

from institute_core.ids import natural_id
from institute_core.schema import table_of
from institute_core.sync.hlc import wall_clock_ms
from sync_server.settings import sqlalchemy_url
from tests.server.helpers import build_school, new_row, now

DAY_MS = 24 * 3600 * 1000


def _conflicts(url: str) -> list[dict]:  # type: ignore[type-arg]
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(table_of("sync_conflicts"))
                                                  .order_by("server_version")).mappings()]
    finally:
        engine.dispose()


def _row(url: str, table: str, row_id: uuid.UUID) -> dict:  # type: ignore[type-arg]
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            t = table_of(table)
            return dict(conn.execute(select(t).where(t.c.id == row_id)).mappings().one())
    finally:
        engine.dispose()


def test_retried_push_is_answered_from_the_first_result_and_gaps_are_refused(
        device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    change = admin.change("subjects", school.subject, {"name": "Python 3"},
                          base_version=school.versions["subjects"])
    first = admin.push(change)
    again = admin.push(change)
    assert first[0]["outcome"] == "applied"
    assert again[0]["outcome"] == "duplicate"
    assert again[0]["version"] == first[0]["version"]
    assert _row(server_db, "subjects", school.subject)["version"] == first[0]["version"]
    gap = admin.change("subjects", school.subject, {"name": "x"})
    gap["seq"] += 5
    result = admin.push(gap)[0]
    assert result["outcome"] == "rejected"
    assert f"resend from seq {change['seq'] + 1}" in result["reason"]
    assert _row(server_db, "subjects", school.subject)["name"] == "Python 3"


def test_owner_edit_wins_over_a_later_edit_by_someone_else(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin, f1 = device("admin@example.org"), device("f1@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    base = school.versions["learning_sessions"]
    t = wall_clock_ms()
    owner = f1.push(f1.change("learning_sessions", school.session, {"notes": "by owner"},
                              base_version=base, hlc=f1.hlc(t)))[0]
    assert owner["outcome"] == "applied"
    later = admin.push(admin.change("learning_sessions", school.session,
                                    {"notes": "by admin"}, base_version=base,
                                    hlc=admin.hlc(t + 5_000)))[0]
    assert later["outcome"] == "lost"
    assert _row(server_db, "learning_sessions", school.session)["notes"] == "by owner"
    [conflict] = later["conflicts"]
    assert conflict["kind"] == "owner_wins"
    assert (conflict["kept_value"], conflict["lost_value"]) == ("by owner", "by admin")
    assert conflict["kept_by"] == str(staff.faculty1_user)
    assert conflict["lost_by"] == str(staff.admin)
    assert conflict["kept_device"] == str(f1.device_id)
    assert conflict["lost_device"] == str(admin.device_id)
    # the loser finds it in the log, and so does the owner on their next pull
    assert _conflicts(server_db)[0]["lost_value"] == "by admin"
    f1.pull_all()
    assert [c["lost_value"] for c in f1.conflicts] == ["by admin"]


def test_later_hybrid_timestamp_wins_when_nobody_owns_the_row(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin, counselor = device("admin@example.org"), device("c@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    base = school.versions["crm_inquiries"]
    t = wall_clock_ms()
    admin.push(admin.change("crm_inquiries", school.inquiry, {"notes": "admin"},
                            base_version=base, hlc=admin.hlc(t)))
    won = counselor.push(counselor.change("crm_inquiries", school.inquiry, {"notes": "later"},
                                          base_version=base, hlc=counselor.hlc(t + 1000)))[0]
    assert won["outcome"] == "won"
    assert won["conflicts"][0]["kind"] == "later_wins"
    assert won["conflicts"][0]["lost_value"] == "admin"
    lost = admin.push(admin.change("crm_inquiries", school.inquiry, {"notes": "earlier"},
                                   base_version=base, hlc=admin.hlc(t + 500)))[0]
    assert lost["outcome"] == "lost"
    assert _row(server_db, "crm_inquiries", school.inquiry)["notes"] == "later"
    assert [c["lost_value"] for c in _conflicts(server_db)] == ["admin", "earlier"]


def test_edits_to_different_fields_merge(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin, counselor = device("admin@example.org"), device("c@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    base = school.versions["crm_inquiries"]
    admin.push(admin.change("crm_inquiries", school.inquiry, {"notes": "n"}, base_version=base))
    merged = counselor.push(counselor.change("crm_inquiries", school.inquiry,
                                             {"phone": "999"}, base_version=base))[0]
    assert merged["outcome"] == "merged"
    row = _row(server_db, "crm_inquiries", school.inquiry)
    assert (row["notes"], row["phone"]) == ("n", "999")
    assert _conflicts(server_db) == []


def test_laptop_two_days_ahead_loses_to_a_later_real_edit(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin, counselor = device("admin@example.org"), device("c@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    base = school.versions["crm_inquiries"]
    t = wall_clock_ms()
    skewed = counselor.push(counselor.change("crm_inquiries", school.inquiry,
                                             {"notes": "from the future"}, base_version=base,
                                             hlc=counselor.hlc(t + 2 * DAY_MS)))[0]
    assert skewed["outcome"] == "applied"
    real = admin.push(admin.change("crm_inquiries", school.inquiry, {"notes": "real"},
                                   base_version=base, hlc=admin.hlc(wall_clock_ms() + 2_000)))[0]
    assert real["outcome"] == "won", real
    assert _row(server_db, "crm_inquiries", school.inquiry)["notes"] == "real"
    assert _conflicts(server_db)[0]["lost_value"] == "from the future"


def test_edit_of_a_row_deleted_elsewhere_is_kept_in_the_log_and_not_resurrected(
        device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin, counselor = device("admin@example.org"), device("c@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    base = school.versions["crm_inquiries"]
    deleted = admin.push(admin.change("crm_inquiries", school.inquiry, {"deleted_at": now()},
                                      base_version=base))[0]
    assert deleted["outcome"] == "applied"
    edit = counselor.push(counselor.change("crm_inquiries", school.inquiry,
                                           {"notes": "call back"}, base_version=base))[0]
    assert edit["outcome"] == "lost"
    assert edit["conflicts"][0]["kind"] == "deleted_row"
    assert edit["conflicts"][0]["lost_value"] == "call back"
    row = _row(server_db, "crm_inquiries", school.inquiry)
    assert row["deleted_at"] is not None and row["notes"] is None
    undelete = counselor.push(counselor.change("crm_inquiries", school.inquiry,
                                               {"deleted_at": None, "notes": "call back"},
                                               base_version=deleted["version"]))[0]
    assert undelete["outcome"] == "applied"
    row = _row(server_db, "crm_inquiries", school.inquiry)
    assert row["deleted_at"] is None and row["notes"] == "call back"


def test_same_enrollment_number_on_two_laptops_is_refused_and_logged(
        device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin, counselor = device("admin@example.org"), device("c@example.org")
    build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    today = date.today()
    u1, u2, s1, s2 = (uuid.uuid4() for _ in range(4))
    first = admin.push(
        admin.change("users", u1, new_row(email="a1@example.org", first_name="A",
                                          last_name="One", role="student")),
        admin.change("students", s1, new_row(user_id=u1, enrollment_no="E-9",
                                             admission_date=today)))
    second = counselor.push(
        counselor.change("users", u2, new_row(email="a2@example.org", first_name="B",
                                              last_name="Two", role="student")),
        counselor.change("students", s2, new_row(user_id=u2, enrollment_no="E-9",
                                                 admission_date=today,
                                                 counselor_id=str(counselor.user_id))))
    assert [r["outcome"] for r in first] == ["applied", "applied"]
    assert second[0]["outcome"] == "applied"
    assert second[1]["outcome"] == "rejected"
    assert "enrollment_no" in second[1]["reason"]
    [entry] = [c for c in _conflicts(server_db) if c["kind"] == "unique_collision"]
    assert entry["row_id"] == s2
    assert entry["lost_value"]["enrollment_no"] == "E-9"
    assert str(s1) in entry["note"]
    assert entry["lost_by"] == staff.counselor
    # the collision reaches the admin's pull for a person to resolve
    admin.pull_all()
    assert [c["kind"] for c in admin.conflicts] == ["unique_collision"]
    f1 = device("f1@example.org")
    f1.pull_all()
    assert f1.conflicts == []  # not their student, not their edit


def test_natural_key_rows_from_two_devices_merge_into_one(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    laptop, desktop = device("f1@example.org"), device("f1@example.org")
    row_id = natural_id("session_attendance", school.session, school.student)
    a = laptop.push(laptop.change("session_attendance", row_id, new_row(
        session_id=school.session, student_id=school.student, attendance_status="present")))[0]
    b = desktop.push(desktop.change("session_attendance", row_id, new_row(
        session_id=school.session, student_id=school.student, attendance_status="present")))[0]
    assert a["outcome"] == "applied"
    assert b["outcome"] in ("merged", "applied")
    assert b["conflicts"] == []
    c = desktop.push(desktop.change("session_attendance", row_id,
                                    {"faculty_notes": "good"}, base_version=b["version"]))[0]
    assert c["outcome"] == "applied"
    assert _row(server_db, "session_attendance", row_id)["faculty_notes"] == "good"


def test_bad_changes_are_rejected_with_a_reason_and_change_nothing(device, staff,
                                                                   server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    progress = natural_id("student_topic_progress", school.student, school.topic)
    results = admin.push(
        admin.change("student_topic_progress", progress, new_row(
            student_id=school.student, topic_id=school.topic, competency_level=7)),
        admin.change("subjects", school.subject, {"colour": "red"},
                     base_version=school.versions["subjects"]),
        admin.change("users", school.student_user, {"password_hash": "x"},
                     base_version=school.versions["users"]),
        admin.change("topics", uuid.uuid4(), new_row(subject_id=uuid.uuid4(), name="Orphan",
                                                     order_index=1,
                                                     estimated_duration_minutes=5)),
        admin.change("subjects", school.subject, {"name": "Still applied"},
                     base_version=school.versions["subjects"]),
    )
    assert [r["outcome"] for r in results] == ["rejected"] * 4 + ["applied"]
    assert results[0]["reason"] == \
        "student_topic_progress.competency_level: must be between 0 and 5 (got 7)"
    assert "colour" in results[1]["reason"]
    assert "password_hash" in results[2]["reason"]
    assert "subjects row" in results[3]["reason"]
    assert _row(server_db, "subjects", school.subject)["name"] == "Still applied"
    # rejected changes still advance the device's sequence: the next one is accepted
    nxt = admin.push(admin.change("subjects", school.subject, {"name": "Next"},
                                  base_version=results[4]["version"]))[0]
    assert nxt["outcome"] == "applied"


def test_authorization_negatives(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f1, f2, counselor = device("f1@example.org"), device("f2@example.org"), device("c@example.org")
    inquiry = f1.push(f1.change("crm_inquiries", school.inquiry, {"notes": "mine now"},
                                base_version=school.versions["crm_inquiries"]))[0]
    assert inquiry["outcome"] == "rejected"
    assert "a faculty member may not update crm_inquiries" in inquiry["reason"]
    att_id = natural_id("session_attendance", school.session, school.student)
    foreign = f2.push(f2.change("session_attendance", att_id, new_row(
        session_id=school.session, student_id=school.student, attendance_status="absent")))[0]
    assert foreign["outcome"] == "rejected"
    assert "only where the parent is theirs" in foreign["reason"]
    marks = counselor.push(counselor.change("assessments", uuid.uuid4(), new_row(
        student_id=school.student, subject_id=school.subject, assessment_type="quiz",
        title="Q1", total_marks="10", marks_obtained="9", assessment_date=date.today(),
        faculty_id=staff.faculty1)))[0]
    assert marks["outcome"] == "rejected"
    assert "counselor may not insert assessments" in marks["reason"]
    pay = f1.push(f1.change("faculties", staff.faculty1, {"hourly_rate": "999"}, base_version=1))[0]
    assert pay["outcome"] == "rejected" and "(not hourly_rate)" in pay["reason"]
    moved = f1.push(f1.change("learning_sessions", school.session,
                              {"faculty_id": staff.faculty2},
                              base_version=school.versions["learning_sessions"]))[0]
    assert moved["outcome"] == "rejected" and "faculty_id is theirs" in moved["reason"]
    own = f1.push(f1.change("session_attendance", att_id, new_row(
        session_id=school.session, student_id=school.student, attendance_status="present",
        check_in_time="10:01:00")))[0]
    assert own["outcome"] == "applied"
    assert _row(server_db, "crm_inquiries", school.inquiry)["notes"] is None
    assert _row(server_db, "learning_sessions", school.session)["faculty_id"] == staff.faculty1


def test_a_constraint_only_the_database_sees_rejects_just_that_change(device, staff,
                                                                      server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    natural = natural_id("session_attendance", school.session, school.student)
    row = new_row(session_id=school.session, student_id=school.student,
                  attendance_status="present")
    results = admin.push(
        admin.change("session_attendance", natural, row),
        # same session and student under a made-up id: only the UNIQUE index can tell
        admin.change("session_attendance", uuid.uuid4(), row),
        admin.change("subjects", school.subject, {"name": "After"},
                     base_version=school.versions["subjects"]),
    )
    assert [r["outcome"] for r in results] == ["applied", "rejected", "applied"]
    assert "session" in results[1]["reason"] and "student" in results[1]["reason"]
    assert _row(server_db, "subjects", school.subject)["name"] == "After"
    assert _row(server_db, "session_attendance", natural)["attendance_status"] == "present"
