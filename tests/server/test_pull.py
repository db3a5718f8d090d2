"""Pull over the API: scoped rows, pages parents-first, resumable cursors, counts, re-versioning."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import create_engine, select, update

from institute_core.schema import SYNCED_TABLES, table_of
from institute_core.sync.codec import decode_value
from institute_core.sync.wire import MORE_HEADER, NEXT_CURSOR_HEADER, ROW_COUNT_HEADER
from sync_server.settings import sqlalchemy_url
from sync_server.sync import counts as scope_counts
from tests.server.helpers import Device, build_school, new_row, now


def _by_table(rows: list[dict]) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    out: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for row in rows:
        out.setdefault(row["table"], []).append(row)
    return out


def _compact_past(admin: Device, server_db: str) -> None:
    """A change after the desk's cursor, then tombstones compacted beyond it (as if the desk
    had been away longer than the server keeps them)."""
    admin.push(admin.change("subjects", uuid.uuid4(), new_row(name="Java", code="JV",
                                                               duration_hours=10)))
    engine = create_engine(sqlalchemy_url(server_db))
    with engine.begin() as conn:
        conn.execute(update(table_of("sync_clock")).values(compacted_version=100))
    engine.dispose()


def test_faculty_sees_their_students_but_no_crm_no_pay_of_others_no_hashes(
        device, staff) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f1, f2 = device("f1@example.org"), device("f2@example.org")
    rows, last = f1.pull_all()
    tables = _by_table(rows)
    assert "crm_inquiries" not in tables
    assert {r["id"] for r in tables["students"]} == {str(school.student)}
    assert all("password_hash" not in r["values"] for r in tables["users"])
    faculty = {r["id"]: r["values"] for r in tables["faculties"]}
    assert "hourly_rate" in faculty[str(staff.faculty1)]
    assert "hourly_rate" not in faculty[str(staff.faculty2)]
    assert last["counts"]["crm_inquiries"] == 0
    assert last["counts"]["students"] == 1
    assert last["counts"]["learning_sessions"] == 1
    rows2, last2 = f2.pull_all()
    assert "students" not in _by_table(rows2)
    assert last2["counts"]["students"] == 0
    admin_rows, admin_last = admin.pull_all()
    admin_faculty = {r["id"]: r["values"] for r in _by_table(admin_rows)["faculties"]}
    assert "hourly_rate" in admin_faculty[str(staff.faculty2)]
    assert admin_last["counts"]["crm_inquiries"] == 1


def test_counselor_sees_crm_and_their_students_but_not_marks(device, staff) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    admin.push(admin.change("assessments", uuid.uuid4(), new_row(
        student_id=school.student, subject_id=school.subject, assessment_type="quiz",
        title="Q1", total_marks="10", marks_obtained="9", assessment_date=date.today(),
        faculty_id=staff.faculty1)))
    counselor = device("c@example.org")
    rows, last = counselor.pull_all()
    tables = _by_table(rows)
    assert [r["id"] for r in tables["crm_inquiries"]] == [str(school.inquiry)]
    assert [r["id"] for r in tables["students"]] == [str(school.student)]
    assert "assessments" not in tables
    assert last["counts"]["assessments"] == 0
    assert all("hourly_rate" not in r["values"] for r in tables["faculties"])


def test_pages_come_parents_first_and_a_resumed_pull_equals_one_big_pull(device, staff) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    whole, whole_last = admin.pull_all(limit=1000)
    paged = Device(admin.http, admin.email, device_id=admin.device_id, token=admin.token)
    pages = 0
    rows: list[dict] = []  # type: ignore[type-arg]
    cursor = ""
    while True:
        page = paged.pull_page(cursor, limit=2)
        pages += 1
        assert len(page["rows"]) <= 2
        rows.extend(page["rows"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert pages >= len(whole) // 2
    assert [(r["table"], r["id"], r["version"]) for r in rows] == \
        [(r["table"], r["id"], r["version"]) for r in whole]
    order = [SYNCED_TABLES.index(r["table"]) for r in rows]
    assert order == sorted(order)
    assert page["counts"] == whole_last["counts"]
    # nothing new: the next pull from the final cursor is empty and still carries counts
    again = paged.pull_page(cursor)
    assert again["rows"] == [] and not again["has_more"] and again["counts"] == page["counts"]


def test_student_moved_to_another_faculty_brings_history_on_their_next_pull(
        device, staff) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f2 = device("f2@example.org")
    rows, _ = f2.pull_all()
    assert "students" not in _by_table(rows)
    moved = admin.push(admin.change("student_subject_enrollments", school.enrollment,
                                    {"faculty_id": staff.faculty2},
                                    base_version=school.versions[
                                        "student_subject_enrollments"]))[0]
    assert moved["outcome"] == "applied"
    rows, last = f2.pull_all()
    tables = _by_table(rows)
    assert [r["id"] for r in tables["students"]] == [str(school.student)]
    assert str(school.student_user) in {r["id"] for r in tables["users"]}
    assert [r["id"] for r in tables["learning_sessions"]] == [str(school.session)]
    assert tables["student_subject_enrollments"][0]["values"]["faculty_id"] == \
        str(staff.faculty2)
    assert last["counts"]["students"] == 1


def test_device_away_past_tombstone_retention_must_reset(device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    admin.pull_all()
    old_cursor = admin.cursor
    _compact_past(admin, server_db)
    page = admin.pull_page(old_cursor)
    assert page["reset_required"] and page["rows"] == []
    fresh = admin.pull_page("")
    assert not fresh["reset_required"] and fresh["rows"]


def test_a_forged_cursor_is_a_clear_400(device, staff) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    r = admin.http.get("/v1/sync/pull", headers=admin.headers(), params={"cursor": "%%%"})
    assert r.status_code == 400
    assert r.json()["error"] == "bad_cursor"



def test_pulled_values_decode_to_exactly_the_server_rows(device, staff,
                                                         server_db) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL renders the rows (row_to_json), so the text may differ from Python's
    # isoformat (trailing zeros of microseconds); what must hold is that every value the
    # codec reads back is the stored value, and that no column is missing or added.
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    admin.push(admin.change("assessments", uuid.uuid4(), new_row(
        student_id=school.student, subject_id=school.subject, assessment_type="quiz",
        title="Q1", total_marks="10.50", marks_obtained="9", assessment_date=date.today(),
        faculty_id=staff.faculty1)))
    rows, _ = admin.pull_all()
    engine = create_engine(sqlalchemy_url(server_db))
    with engine.connect() as conn:
        for pulled in rows:
            table = table_of(pulled["table"])
            stored = conn.execute(select(table).where(table.c.id == uuid.UUID(pulled["id"]))
                                  ).mappings().one()
            expected = {k: v for k, v in stored.items() if k != "password_hash"}
            assert set(pulled["values"]) == set(expected), pulled["table"]
            decoded = {k: decode_value(table.c[k], v) for k, v in pulled["values"].items()}
            assert decoded == expected, pulled["table"]
            if pulled["table"] == "assessments":
                # Decimals travel as text, never as a float that could round.
                assert pulled["values"]["total_marks"] == "10.50"
    engine.dispose()


def test_counts_a_pull_carries_over_are_those_a_whole_count_gives(
        device, staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A pull recounts only the tables written since the viewer's last counts (or whose scope
    reads a table written since); what it carries over must be what counting everything says,
    for every role, after new rows, edits, moves that take rows out of a scope and deletes."""
    admin = device("admin@example.org")
    desks = [admin, device("f1@example.org"), device("f2@example.org"),
             device("c@example.org")]
    counted: list[str] = []
    whole = scope_counts._count

    def counting(conn, viewer, names):  # type: ignore[no-untyped-def]
        names = list(names)
        counted.extend(names)
        return whole(conn, viewer, names)

    monkeypatch.setattr(scope_counts, "_count", counting)

    def whole_count(desk: Device) -> dict[str, int]:
        # Counted with nothing kept, and the kept counts left as they were for the next pull.
        kept = scope_counts._known
        scope_counts._known = type(kept)()
        try:
            return dict(desk.pull_page(desk.cursor)["counts"])
        finally:
            scope_counts._known = kept

    def same_as_a_whole_count() -> None:
        for desk in desks:
            _rows, last = desk.pull_all()
            assert last["counts"] is not None
            assert last["counts"] == whole_count(desk), desk.email

    same_as_a_whole_count()
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    same_as_a_whole_count()
    # Faculty 1's student (and the history) moves to faculty 2: rows leave f1's scope.
    admin.push(admin.change("student_subject_enrollments", school.enrollment,
                            {"faculty_id": staff.faculty2},
                            base_version=school.versions["student_subject_enrollments"]))
    same_as_a_whole_count()
    # The counselor's student goes to nobody, the inquiry is deleted.
    admin.push(admin.change("students", school.student, {"counselor_id": None},
                            base_version=school.versions["students"]),
               admin.change("crm_inquiries", school.inquiry, {"deleted_at": now()},
                            base_version=school.versions["crm_inquiries"]))
    same_as_a_whole_count()
    # An edit of one table: the next pull counts that table (and those whose scope reads it)
    # and carries the rest over.
    for desk in desks:
        desk.pull_all()
    admin.push(admin.change("subjects", school.subject, {"name": "Python 2"},
                            base_version=school.versions["subjects"]))
    counted.clear()
    _rows, last = admin.pull_all()
    assert "subjects" in counted and len(counted) < len(SYNCED_TABLES) / 2, counted
    assert last["counts"] == whole_count(admin)


def test_a_scope_change_is_honoured_on_the_very_next_pull(device, staff) -> None:  # type: ignore[no-untyped-def]
    """The server keeps each viewer's page and counting statements (and counts); a faculty
    member given a student is another viewer at once: the very next pull sends the student's
    rows written since and counts the student."""
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f2 = device("f2@example.org")
    rows, last = f2.pull_all()
    assert "students" not in _by_table(rows)
    assert last["counts"]["students"] == 0
    admin.push(admin.change("student_subject_enrollments", school.enrollment,
                            {"faculty_id": staff.faculty2},
                            base_version=school.versions["student_subject_enrollments"]))
    rows, last = f2.pull_all()
    moved = _by_table(rows)["student_subject_enrollments"]
    assert [r["id"] for r in moved] == [str(school.enrollment)]
    assert last["counts"]["students"] == 1
    assert last["counts"]["student_subject_enrollments"] == 1


def test_a_pull_answer_names_the_next_page_in_its_headers_as_in_its_body(
        device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    """A desk asks for the next page by the headers before it parses the body: they say what
    the body says, page after page, on the last page and on one asking for a fresh download."""
    admin = device("admin@example.org")
    build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)

    def steer(cursor: str, limit: int) -> tuple[dict[str, Any], tuple[str, str, str]]:
        r = admin.http.get("/v1/sync/pull", headers=admin.headers(),
                           params={"cursor": cursor, "limit": limit})
        assert r.status_code == 200, r.text
        return r.json(), (r.headers[NEXT_CURSOR_HEADER], r.headers[MORE_HEADER],
                          r.headers[ROW_COUNT_HEADER])

    cursor, pages = "", 0
    while True:
        page, said = steer(cursor, 7)
        pages += 1
        assert said == (page["next_cursor"], "1" if page["has_more"] else "0",
                        str(len(page["rows"])))
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert pages > 2
    _compact_past(admin, server_db)
    page, said = steer(cursor, 7)
    assert page["reset_required"] and said == (page["next_cursor"], "0", "0")
