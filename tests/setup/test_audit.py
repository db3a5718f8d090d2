"""The audit trail: every kind of change, logins, filters, CSV export, same transaction."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from institute_core.audit import log
from institute_core.audit.log import AuditFilter
from institute_core.replica import Replica
from institute_core.schema import AuditEntry, OutboxEntry, Student, Subject, User
from institute_core.schema.types import utcnow
from institute_core.services import auth
from institute_core.setup.access import NotAllowed
from institute_core.validation import InvalidInput
from tests.services.fixtures import PASSWORD, Institute
from tests.setup.conftest import ADMIN, COUNSELOR


def _entries(replica: Replica, **where: object) -> list[log.AuditRow]:
    return log.list_entries(replica, ADMIN, AuditFilter(**where))  # type: ignore[arg-type]


def test_create_update_delete_and_restore_are_recorded_with_old_and_new_values(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    with replica.write(actor) as s:
        subject = Subject(name="Data Science", code="DS1", duration_hours=30)
        s.add(subject)
    with replica.write(actor) as s:
        s.get(Subject, subject.id).duration_hours = 45  # type: ignore[union-attr]
    with replica.write(actor) as s:
        s.get(Subject, subject.id).deleted_at = utcnow()  # type: ignore[union-attr]
    with replica.write(actor) as s:
        s.get(Subject, subject.id).deleted_at = None  # type: ignore[union-attr]

    rows = list(reversed(_entries(replica, row_id=subject.id)))
    assert [r.action for r in rows] == ["create", "update", "delete", "restore"]
    assert rows[0].old_values is None
    assert rows[0].new_values is not None and rows[0].new_values["code"] == "DS1"
    assert (rows[1].old_values, rows[1].new_values) == ({"duration_hours": 30},
                                                         {"duration_hours": 45})
    assert rows[2].old_values == {"deleted_at": None}
    assert all(r.who == "Ada Admin" and r.device_id == replica.device_id for r in rows)
    assert all(r.table_name == "subjects" for r in rows)


def test_an_entry_is_part_of_the_change_and_rolls_back_with_it(
        replica: Replica, institute: Institute) -> None:
    before = len(_entries(replica))
    with pytest.raises(InvalidInput), replica.write(replica.actor(institute.admin_id)) as s:
        s.add(Subject(name="Ok", code="OK1", duration_hours=10))
        s.flush()
        s.add(Subject(name="Bad", code="BAD", duration_hours=-1))
    assert len(_entries(replica)) == before
    with replica.read() as s:
        assert s.scalar(select(func.count()).select_from(Subject).where(
            Subject.code == "OK1")) == 0


def test_entries_sync_but_are_never_audited_themselves(replica: Replica,
                                                       institute: Institute) -> None:
    with replica.write(replica.actor(institute.admin_id)) as s:
        s.add(Subject(name="Sync me", code="SY1", duration_hours=5))
    with replica.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "subjects")
                          .order_by(AuditEntry.created_at.desc())).first()
        assert entry is not None
        queued = s.scalars(select(OutboxEntry).where(OutboxEntry.row_id == entry.id)).one()
        assert queued.table_name == "audit_log" and queued.fields["action"] == "create"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.table_name == "audit_log")) == 0


def test_password_hashes_never_enter_the_log(replica: Replica, institute: Institute) -> None:
    with replica.write(replica.actor(institute.admin_id)) as s:
        s.get(User, institute.counselor_id).password_hash = "argon-secret"  # type: ignore[union-attr]
    [row] = _entries(replica, row_id=institute.counselor_id, action="update")
    assert row.new_values == {"password_hash": "(secret)"}
    with replica.read() as s:
        texts = s.scalars(select(OutboxEntry.fields)).all()
    assert not any("argon-secret" in str(t) for t in texts)


def test_offline_login_is_recorded_and_a_failed_one_is_not(replica: Replica,
                                                           institute: Institute) -> None:
    auth.login_offline(replica, "counselor@example.org", PASSWORD)
    with pytest.raises(auth.LoginFailed):
        auth.login_offline(replica, "faculty@example.org", "wrong")
    [row] = _entries(replica, action="login")
    assert (row.user_id, row.who, row.device_id) == (institute.counselor_id, "Cyrus Counselor",
                                                      replica.device_id)
    assert row.new_values == {"online": False}


def test_filters_by_person_table_and_dates(replica: Replica, institute: Institute) -> None:
    with replica.write(replica.actor(institute.counselor_id)) as s:
        s.get(Student, institute.student_ids[0]).status = "hold"  # type: ignore[union-attr]
    by_counselor = _entries(replica, user_id=institute.counselor_id)
    assert [(r.action, r.table_name) for r in by_counselor] == [("update", "students")]
    assert by_counselor[0].summary() == "status: active → hold"
    today = date.today()
    assert _entries(replica, table_name="students", since=today + timedelta(days=1)) == []
    assert len(_entries(replica, table_name="students", until=today)) == 7  # 6 created, 1 edit
    assert log.count_entries(replica, ADMIN, AuditFilter(action="update")) == 1


def test_only_admins_read_the_log(replica: Replica, institute: Institute) -> None:
    with pytest.raises(NotAllowed, match="it takes the permission"):
        log.list_entries(replica, COUNSELOR)


def test_export_writes_every_matching_entry_to_csv(replica: Replica, institute: Institute,
                                                   tmp_path: Path) -> None:
    with replica.write(replica.actor(institute.admin_id)) as s:
        s.get(Subject, institute.subject_id).description = "Zeilen, \"Quotes\" & ünïcode"  # type: ignore[union-attr]
    target = tmp_path / "audit.csv"
    written = log.export_csv(replica, ADMIN, target, AuditFilter(action="update"))
    with target.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert written == len(rows) == 1
    assert rows[0]["who"] == "Ada Admin" and rows[0]["table"] == "subjects"
    assert "ünïcode" in rows[0]["new_values"]


UUID_TEXT = r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"


def test_the_log_names_people_students_and_records_never_raw_ids(
        replica: Replica, institute: Institute) -> None:
    """Every entry the test institute wrote (students, enrollments, batch members, sessions,
    users...) reads with names: who, which record, and each reference among the changes."""
    import re

    from institute_core.enums import AttendanceStatus
    from institute_core.services import attendance

    attendance.mark(replica, replica.actor(institute.faculty_user_id), institute.batch_key,
                    institute.student_ids[0], AttendanceStatus.PRESENT)
    rows = _entries(replica)
    assert {r.table_name for r in rows} >= {"students", "batch_members", "users",
                                            "batch_session_attendance"}
    for row in rows:
        shown = " | ".join((row.who, row.record, row.summary()))
        assert not re.search(UUID_TEXT, shown), shown
    member = next(r for r in rows if r.table_name == "batch_members" and r.new_values
                  and r.new_values.get("student_id") == str(institute.student_ids[0]))
    assert member.record == "Python Evening · Asha S01 (PY-001)"
    assert "batch: Python Evening" in member.summary()
    # Dates among the changes read as everywhere else, not as ISO text.
    marked = next(r for r in rows if r.table_name == "batch_session_attendance")
    assert not re.search(r"\d{4}-\d{2}-\d{2}", marked.summary()), marked.summary()
    student = next(r for r in rows if r.table_name == "students"
                   and r.row_id == institute.student_ids[0])
    assert student.record == "Asha S01 (PY-001)"
