"""A tiny institute with known answers, written through replica.write like the app does.

Figures it is built to give (reference date TODAY, period MARCH = 2-15 March 2026):
- Asha (ENR-1): 10 counted individual sessions with Meera P P A A A P L P P P + 1 excused
  -> 7/10 = 70.00 %, longest absence streak 3, current 0; a soft-deleted absent session ignored.
- Meera (FAC-1): 7 completed sessions 6×90+180 min = 12 h; available Mon 09-13 (4 h) and Wed
  09-19 capped at max 6 h/day -> 10 h a week -> 20 h over MARCH -> 60.00 %; 1 cancelled,
  4 no-show, 1 unique student.
- Dev (FAC-2): no availability; batch "Evening Python" Tue 18-20 taught on 3 and 10 March -> 4 h.
- CRM: 10 inquiries in March: 3 new, 2 contacted, 1 follow_up_scheduled, 2 enrolled, 2 lost
  (one with a follow-up) -> reached 10/6/3/2; still at the stage 30.00/33.33/33.33/100 %,
  lost there 10.00/16.67/0/0 %; conversion 20.00 %.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from institute_core.analytics.period import Period
from institute_core.replica import Replica
from institute_core.schema import (
    Assessment,
    AttendanceTopic,
    BatchAttendanceTopic,
    BatchMember,
    BatchSessionAttendance,
    Enrollment,
    Faculty,
    FlexibleBatch,
    FollowUp,
    Inquiry,
    LearningSession,
    RewardPenalty,
    SessionAttendance,
    Student,
    StudentTopicProgress,
    Subject,
    Topic,
    User,
)

TODAY = date(2026, 3, 31)
MARCH = Period(date(2026, 3, 2), date(2026, 3, 15))
ASHA_PATTERN = ["present", "present", "absent", "absent", "absent", "present", "late",
                "present", "present", "present"]
NIL = uuid.UUID(int=0)  # placeholder until build_institute fills the id in
ASHA_DAYS = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]


@dataclass
class Institute:
    """Ids of what `build_institute` made."""

    admin: uuid.UUID = NIL
    counselor: uuid.UUID = NIL
    meera: uuid.UUID = NIL
    dev: uuid.UUID = NIL
    subject: uuid.UUID = NIL
    batch: uuid.UUID = NIL
    topics: list[uuid.UUID] = field(default_factory=list)
    students: dict[str, uuid.UUID] = field(default_factory=dict)
    enrollments: dict[str, uuid.UUID] = field(default_factory=dict)


def _user(email: str, first: str, last: str, role: str) -> User:
    return User(email=email, first_name=first, last_name=last, role=role)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def build_institute(replica: Replica) -> Institute:
    """Write the whole institute; returns its ids."""
    ids = Institute()
    with replica.write(replica.actor(None)) as s:
        admin = _user("admin@example.org", "Admin", "One", "admin")
        s.add(admin)
        s.flush()
        ids.admin = admin.id
    with replica.write(replica.actor(ids.admin)) as s:
        _people(s, ids)
        _syllabus(s, ids)
        _sessions(s, ids)
        _batch(s, ids)
        _progress(s, ids)
        _crm(s, ids)
    return ids


def _people(s, ids: Institute) -> None:  # type: ignore[no-untyped-def]
    counselor = _user("c@example.org", "Kiran", "Desai", "counselor")
    meera_u = _user("meera@example.org", "Meera", "Iyer", "faculty")
    dev_u = _user("dev@example.org", "Dev", "Singh", "faculty")
    s.add_all([counselor, meera_u, dev_u])
    s.flush()
    ids.counselor = counselor.id
    meera = Faculty(user_id=meera_u.id, employee_id="FAC-1", max_hours_per_day=6,
                    available_time_slots={"days": [
                        {"day": "monday", "slots": [{"start": "09:00", "end": "13:00"}]},
                        {"day": "wednesday", "slots": [{"start": "09:00", "end": "19:00"}]}]})
    dev = Faculty(user_id=dev_u.id, employee_id="FAC-2", available_time_slots=None)
    s.add_all([meera, dev])
    students = {
        "ENR-1": ("Asha", "Rao", date(2026, 1, 5)),
        "ENR-2": ("Ravi", "Kumar", date(2026, 3, 1)),
        "ENR-3": ("Zoë", "Ångström", date(2026, 3, 15)),
        "ENR-4": ("Nia", "Idle", date(2026, 3, 30)),
    }
    for no, (first, last, admitted) in students.items():
        user = _user(f"{no.lower()}@example.org", first, last, "student")
        s.add(user)
        s.flush()
        student = Student(user_id=user.id, enrollment_no=no, admission_date=admitted,
                          counselor_id=counselor.id)
        s.add(student)
        s.flush()
        ids.students[no] = student.id
    s.flush()
    ids.meera, ids.dev = meera.id, dev.id


def _syllabus(s, ids: Institute) -> None:  # type: ignore[no-untyped-def]
    subject = Subject(name="Python Basics", code="PY101", duration_hours=40)
    s.add(subject)
    s.flush()
    ids.subject = subject.id
    for i in range(1, 11):
        topic = Topic(subject_id=subject.id, name=f"Topic {i:02d}", order_index=i,
                      estimated_duration_minutes=60)
        s.add(topic)
        s.flush()
        ids.topics.append(topic.id)
    for no, faculty, enrolled, expected in (
            ("ENR-1", ids.meera, date(2026, 1, 5), date(2026, 4, 15)),
            ("ENR-2", ids.dev, date(2026, 3, 1), date(2026, 12, 31)),
            ("ENR-3", ids.dev, date(2026, 3, 15), None)):
        enrollment = Enrollment(student_id=ids.students[no], subject_id=subject.id,
                                faculty_id=faculty, enrollment_date=enrolled,
                                expected_completion_date=expected)
        s.add(enrollment)
        s.flush()
        ids.enrollments[no] = enrollment.id


def _session(ids: Institute, day: date, minutes: int, status: str) -> LearningSession:
    start = time(10, 0)
    end = (datetime.combine(day, start) + timedelta(minutes=minutes)).time()
    return LearningSession(student_id=ids.students["ENR-1"], faculty_id=ids.meera,
                           subject_id=ids.subject, session_date=day, start_time=start,
                           end_time=end, duration_minutes=minutes, status=status)


def _sessions(s, ids: Institute) -> None:  # type: ignore[no-untyped-def]
    asha = ids.students["ENR-1"]
    levels = {date(2026, 3, 11): 4, date(2026, 3, 12): 3, date(2026, 3, 13): 2}
    for n, (day, mark) in enumerate(zip(ASHA_DAYS, ASHA_PATTERN, strict=True)):
        attended = mark != "absent"
        session = _session(ids, day, 180 if n == 0 else 90,
                           "completed" if attended else "no_show")
        s.add(session)
        s.flush()
        attendance = SessionAttendance(session_id=session.id, student_id=asha,
                                       attendance_status=mark)
        s.add(attendance)
        s.flush()
        if day in levels:
            s.add(AttendanceTopic(attendance_id=attendance.id, topic_id=ids.topics[n % 10],
                                  understanding_level=levels[day]))
    excused = _session(ids, date(2026, 3, 14), 60, "no_show")
    cancelled = _session(ids, date(2026, 3, 15), 60, "cancelled")
    deleted = _session(ids, date(2026, 3, 7), 60, "no_show")
    s.add_all([excused, cancelled, deleted])
    s.flush()
    s.add(SessionAttendance(session_id=excused.id, student_id=asha, attendance_status="excused"))
    gone = SessionAttendance(session_id=deleted.id, student_id=asha, attendance_status="absent")
    s.add(gone)
    s.flush()
    gone.deleted_at = _at(date(2026, 3, 8))
    deleted.deleted_at = _at(date(2026, 3, 8))


def _batch(s, ids: Institute) -> None:  # type: ignore[no-untyped-def]
    batch = FlexibleBatch(name="Evening Python", subject_id=ids.subject, faculty_id=ids.dev,
                          batch_type="temporary", start_date=date(2026, 3, 1),
                          schedule={"weekly": [{"day": "tuesday", "start": "18:00",
                                                "end": "20:00"}]})
    s.add(batch)
    s.flush()
    ids.batch = batch.id
    ravi, zoe = ids.students["ENR-2"], ids.students["ENR-3"]
    s.add_all([BatchMember(batch_id=batch.id, student_id=ravi, joined_on=date(2026, 3, 1)),
               BatchMember(batch_id=batch.id, student_id=zoe, joined_on=date(2026, 3, 15))])
    marks = [(date(2026, 3, 3), ravi, "present", [0, 1]),
             (date(2026, 3, 10), ravi, "present", [2]),
             (date(2026, 3, 17), ravi, "present", [3]),
             (date(2026, 3, 17), zoe, "absent", []),
             (date(2026, 3, 24), ravi, "late", [4]),
             (date(2026, 3, 24), zoe, "absent", [])]
    for day, student, status, topics in marks:
        row = BatchSessionAttendance(batch_id=batch.id, session_date=day, student_id=student,
                                     attendance_status=status)
        s.add(row)
        s.flush()
        for t in topics:
            s.add(BatchAttendanceTopic(batch_attendance_id=row.id, topic_id=ids.topics[t],
                                       understanding_level=4))


def _progress(s, ids: Institute) -> None:  # type: ignore[no-untyped-def]
    asha, ravi = ids.students["ENR-1"], ids.students["ENR-2"]
    done = [(asha, 0, date(2026, 3, 4), 4), (asha, 1, date(2026, 3, 11), 4),
            (asha, 2, date(2026, 3, 18), 3), (asha, 3, date(2026, 3, 25), 3),
            (ravi, 0, date(2026, 3, 20), 5), (ravi, 1, date(2026, 3, 27), 4)]
    for student, t, day, level in done:
        s.add(StudentTopicProgress(student_id=student, topic_id=ids.topics[t], status="completed",
                                   completion_date=day, first_introduced_date=day,
                                   competency_level=level, last_updated_by=ids.meera))
    s.add(StudentTopicProgress(student_id=asha, topic_id=ids.topics[4], status="in_progress",
                               competency_level=2, first_introduced_date=date(2026, 3, 26)))
    s.add(Assessment(student_id=asha, subject_id=ids.subject, assessment_type="quiz",
                     title="Loops quiz", total_marks=Decimal("10"),
                     marks_obtained=Decimal("8"), percentage=Decimal("80"), grade="B",
                     assessment_date=date(2026, 3, 12), faculty_id=ids.meera, status="graded"))
    s.add(RewardPenalty(student_id=asha, faculty_id=ids.meera, type="reward",
                        category="performance", reason="Helped classmates", points=10,
                        date=date(2026, 3, 13), created_by=ids.admin))


def _crm(s, ids: Institute) -> None:  # type: ignore[no-untyped-def]
    plan = [("new", "website"), ("new", "website"), ("new", "referral"),
            ("contacted", "website"), ("contacted", "walk_in"),
            ("follow_up_scheduled", "referral"), ("enrolled", "referral"),
            ("enrolled", "walk_in"), ("lost", "website"), ("lost", "walk_in")]
    for n, (status, source) in enumerate(plan):
        inquiry = Inquiry(student_name=f"Lead {n}", status=status, source=source,
                          counselor_id=ids.counselor if n < 6 else None,
                          created_at=_at(date(2026, 3, 2 + n)))
        s.add(inquiry)
        s.flush()
        if n == 8:  # the lost inquiry that had been contacted
            s.add(FollowUp(inquiry_id=inquiry.id, counselor_id=ids.counselor,
                           follow_up_date=_at(date(2026, 3, 12)), follow_up_type="call",
                           status="completed"))
    outside = Inquiry(student_name="Too early", status="enrolled", source="website",
                      created_at=_at(date(2026, 2, 20)))
    deleted = Inquiry(student_name="Gone", status="enrolled", source="website",
                      created_at=_at(date(2026, 3, 5)))
    s.add_all([outside, deleted])
    s.flush()
    deleted.deleted_at = _at(date(2026, 3, 6))
