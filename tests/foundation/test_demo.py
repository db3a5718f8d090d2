"""The demo institute: deterministic, realistic, consistent, and loadable on both sides."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text

from institute_core.demo import (
    DEMO_LOGINS,
    DemoData,
    DemoRefused,
    build_demo_replica,
    generate,
    load_into_database,
)
from institute_core.demo.context import money
from institute_core.demo.progress import Rating, is_done, progress_of
from institute_core.replica import Replica
from institute_core.schema import User
from institute_core.services.auth import login_offline

Key = tuple[uuid.UUID, uuid.UUID]


def _ratings(data: DemoData) -> dict[Key, list[Rating]]:
    """Every (student, topic) rating from individual and batch attendance, in date order."""
    t = data.tables
    sessions = {s["id"]: s for s in t["learning_sessions"]}
    attendance = {a["id"]: a for a in t["session_attendance"]}
    batch_attendance = {a["id"]: a for a in t["batch_session_attendance"]}
    ratings: dict[Key, list[Rating]] = defaultdict(list)
    for row in t["attendance_topics"]:
        mark = attendance[row["attendance_id"]]
        on = sessions[mark["session_id"]]["session_date"]
        ratings[(mark["student_id"], row["topic_id"])].append(
            Rating(on, row["understanding_level"], 0))
    for row in t["batch_attendance_topics"]:
        mark = batch_attendance[row["batch_attendance_id"]]
        ratings[(mark["student_id"], row["topic_id"])].append(
            Rating(mark["session_date"], row["understanding_level"], 0))
    return {k: sorted(v, key=lambda r: r.on) for k, v in ratings.items()}


def test_same_seed_gives_identical_data_and_another_seed_does_not(small_demo: DemoData) -> None:
    again = generate("small", seed=7, today=small_demo.today)
    assert again.tables == small_demo.tables
    other = generate("small", seed=8, today=small_demo.today)
    assert other.tables["students"] != small_demo.tables["students"]


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="huge"):
        generate("huge")


def test_attendance_is_mostly_present_with_a_few_chronic_absentees(small_demo: DemoData) -> None:
    marks: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    for table in ("session_attendance", "batch_session_attendance"):
        for row in small_demo.tables[table]:
            marks[row["student_id"]][row["attendance_status"]] += 1
    total: Counter[str] = sum(marks.values(), Counter())
    attended = total["present"] + total["late"]
    rate = attended / (attended + total["absent"])
    assert 0.75 <= rate <= 0.95
    assert total["late"] and total["excused"]
    chronic = [s for s, c in marks.items()
               if (c["present"] + c["late"]) / max(1, c["present"] + c["late"] + c["absent"]) < 0.6
               and sum(c.values()) >= 5]
    assert 1 <= len(chronic) <= 0.12 * len(small_demo.tables["students"])


def test_lead_funnel_narrows(small_demo: DemoData) -> None:
    status = Counter(i["status"] for i in small_demo.tables["crm_inquiries"])
    assert status["new"] > status["contacted"] > status["follow_up_scheduled"] \
        > status["enrolled"] > 0
    assert status["lost"] > 0
    assert sum(status.values()) == 80


def test_progress_follows_from_attendance_by_the_documented_rules(small_demo: DemoData) -> None:
    ratings = _ratings(small_demo)
    progress = small_demo.tables["student_topic_progress"]
    assert len(progress) == len(ratings)
    statuses = Counter(p["status"] for p in progress)
    assert statuses["completed"] and statuses["mastered"] and statuses["in_progress"]
    for row in progress:
        seen = ratings[(row["student_id"], row["topic_id"])]
        expected = progress_of(seen)
        assert row["status"] == expected.status
        assert row["competency_level"] == seen[-1].level
        assert row["session_count"] == len(seen)
        assert row["first_introduced_date"] == seen[0].on
        assert row["completion_date"] == expected.completion_date
        if row["status"] in ("completed", "mastered"):
            assert any(r.level >= 3 for r in seen)
        if row["status"] == "mastered":
            assert any(r.level == 5 for r in seen)


def test_enrollment_completion_matches_topic_progress(small_demo: DemoData) -> None:
    t = small_demo.tables
    topics: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for topic in t["topics"]:
        topics[topic["subject_id"]].append(topic["id"])
    status = {(p["student_id"], p["topic_id"]): p["status"] for p in t["student_topic_progress"]}
    batches = {b["id"]: b for b in t["flexible_batches"] if b["status"] == "completed"}
    finished_batches: dict[tuple[uuid.UUID, uuid.UUID], set[date]] = defaultdict(set)
    for m in t["batch_members"]:
        if m["batch_id"] in batches:
            b = batches[m["batch_id"]]
            finished_batches[(m["student_id"], b["subject_id"])].add(b["end_date"])
    for e in t["student_subject_enrollments"]:
        subject_topics = topics[e["subject_id"]]
        done = sum(is_done(status.get((e["student_id"], tp), "")) for tp in subject_topics)
        assert e["completion_percentage"] == money(Decimal(done * 100) / len(subject_topics))
        if e["status"] == "completed":
            # A finished batch completes the course of who followed at least half of it.
            in_finished_batch = e["actual_completion_date"] in finished_batches.get(
                (e["student_id"], e["subject_id"]), ())
            assert done == len(subject_topics) or (in_finished_batch
                                                   and done * 2 >= len(subject_topics))
            assert e["actual_completion_date"] is not None
    assert {e["status"] for e in t["student_subject_enrollments"]} >= {"active", "completed"}


def test_demo_logins_have_a_day_of_work_today(small_demo: DemoData) -> None:
    t, today = small_demo.tables, small_demo.today
    users = {u["email"]: u for u in t["users"]}
    faculty_user = users[DEMO_LOGINS["faculty"][0]]
    faculty = next(f for f in t["faculties"] if f["user_id"] == faculty_user["id"])
    today_sessions = [s for s in t["learning_sessions"]
                      if s["faculty_id"] == faculty["id"] and s["session_date"] == today]
    assert today_sessions and {s["status"] for s in today_sessions} == {"scheduled"}
    assert any(s["session_date"] > today for s in t["learning_sessions"])
    weekday = today.strftime("%A").lower()
    running = [b for b in t["flexible_batches"] if b["faculty_id"] == faculty["id"]
               and b["status"] == "active"
               and weekday in {d["day"] for d in b["schedule"]["weekly"]}]
    assert running
    members = [m for m in t["batch_members"] if m["batch_id"] == running[0]["id"]]
    assert len(members) >= 3
    counselor = users[DEMO_LOGINS["counselor"][0]]["id"]
    due = [f for f in t["follow_ups"] if f["counselor_id"] == counselor
           and f["status"] == "pending" and f["follow_up_date"].date() == today]
    assert due


def test_some_names_are_in_non_latin_scripts(small_demo: DemoData) -> None:
    names = [u["first_name"] + u["last_name"] for u in small_demo.tables["users"]]
    assert any(any(ord(ch) > 0x900 for ch in name) for name in names)


def test_demo_replica_is_consistent_signs_in_and_is_built_once(
        small_replica_dir: Path, small_demo: DemoData,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    replica = Replica.open(small_replica_dir)
    try:
        with replica.engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            students_with_password = connection.execute(text(
                "SELECT count(*) FROM users WHERE role = 'student' "
                "AND password_hash IS NOT NULL")).scalar_one()
        assert students_with_password == 0
        assert replica.pending_changes() == 0
        assert replica.get_state("mode") == "demo"
        assert replica.get_state("demo")["size"] == "small"
        for role, (email, password) in DEMO_LOGINS.items():
            assert login_offline(replica, email, password).role == role
    finally:
        replica.close()
    again = build_demo_replica(small_replica_dir, size="small", seed=7)
    assert not again.built
    # The demo ships no audit history; each sign-in above was recorded in it, nothing else.
    counts = dict(again.counts)
    assert counts.pop("audit_log") == len(DEMO_LOGINS)
    expected = _with_seeded_rows(small_demo.counts(), tmp_path_factory.mktemp("seeded"))
    assert counts == {k: v for k, v in expected.items() if k != "audit_log"}


def _with_seeded_rows(counts: dict[str, int], folder: Path) -> dict[str, int]:
    """The demo's counts plus the rows the migrations make on every database (the Main branch,
    the built-in roles), read from a freshly migrated empty replica."""
    replica = Replica.open(folder)
    try:
        with replica.engine.connect() as connection:
            return {table: count + connection.execute(
                text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table, count in counts.items()}
    finally:
        replica.close()


def test_replica_of_another_institute_is_refused(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path)
    with replica.write(replica.actor(None)) as session:
        session.add(User(email="owner@example.org", first_name="Own", last_name="Er",
                         role="admin"))
    replica.close()
    with pytest.raises(DemoRefused, match="not the demo"):
        build_demo_replica(tmp_path, size="small")


def test_staff_password_hashes_are_real_argon2(small_demo: DemoData) -> None:
    users = {u["email"]: u for u in small_demo.tables["users"]}
    email, password = DEMO_LOGINS["admin"]
    assert PasswordHasher().verify(users[email]["password_hash"], password)


def test_server_load_is_complete_and_refuses_a_second_load(
        small_pg_engine: Engine, small_demo: DemoData, tmp_path: Path) -> None:
    expected = _with_seeded_rows(small_demo.counts(), tmp_path)
    with small_pg_engine.connect() as connection:
        for table, count in expected.items():
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == count
        assert connection.execute(text("SELECT min(version) FROM users")).scalar_one() == 1
    with pytest.raises(DemoRefused, match="already has"):
        load_into_database(small_pg_engine, size="small", seed=7)


def test_generation_uses_the_given_today() -> None:
    data = generate("small", seed=3, today=date(2026, 3, 2))
    assert max(s["session_date"] for s in data.tables["learning_sessions"]) <= date(2026, 3, 9)
