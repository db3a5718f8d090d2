"""A small institute written through the unit of work, for service and desktop tests.

The demo institute is much bigger; tests use this one so that each stays fast and says
exactly what it starts from.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta

from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.schema import (
    BatchMember,
    Enrollment,
    Faculty,
    FlexibleBatch,
    LearningSession,
    Student,
    Subject,
    Topic,
    TopicPrerequisite,
    User,
)
from institute_core.services.auth import hash_password
from institute_core.services.common import SessionKey
from institute_core.services.schedule import WEEKDAYS

PASSWORD = "correct horse 42"
_HASH = hash_password(PASSWORD)


@dataclass(frozen=True)
class Institute:
    admin_id: uuid.UUID
    faculty_user_id: uuid.UUID
    faculty_id: uuid.UUID
    counselor_id: uuid.UUID
    subject_id: uuid.UUID
    topic_ids: tuple[uuid.UUID, ...]
    student_ids: tuple[uuid.UUID, ...]
    batch_id: uuid.UUID
    individual_session_id: uuid.UUID
    today: date

    @property
    def batch_key(self) -> SessionKey:
        return SessionKey.batch(self.batch_id, self.today)

    @property
    def individual_key(self) -> SessionKey:
        return SessionKey.individual(self.individual_session_id, self.today)


FIRST = ["Asha", "Ravi", "Sunita", "Kiran", "Meena", "Arjun", "Divya", "Farhan", "Gita", "Harsh",
         "Isha", "Jatin", "Kavya", "Lokesh", "Manoj", "Neha", "Omkar", "Pooja", "Qadir", "Rekha",
         "Sahil", "Tara", "Uday", "Vani", "Wasim", "Xena", "Yash", "Zoya", "Anil", "Bina"]


def build_institute(replica: Replica, *, students: int = 30,
                    today: date | None = None) -> Institute:
    """Admin, faculty, counselor; one subject of 6 topics; a batch meeting today; 1 session."""
    today = today or date.today()
    admin_id, faculty_user_id, counselor_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with replica.write(replica.actor(admin_id)) as s:
        s.add_all([
            User(id=admin_id, email="admin@example.org", password_hash=_HASH, first_name="Ada",
                 last_name="Admin", role=Role.ADMIN),
            User(id=faculty_user_id, email="faculty@example.org", password_hash=_HASH,
                 first_name="Farah", last_name="Faculty", role=Role.FACULTY),
            User(id=counselor_id, email="counselor@example.org", password_hash=_HASH,
                 first_name="Cyrus", last_name="Counselor", role=Role.COUNSELOR),
            User(email="gone@example.org", password_hash=_HASH, first_name="Gone",
                 last_name="Away", role=Role.FACULTY, status="inactive"),
        ])
        s.flush()
        faculty = Faculty(user_id=faculty_user_id, employee_id="F-001", max_hours_per_day=6,
                          max_students_per_day=40,
                          available_time_slots={"days": [
                              {"day": d, "slots": [{"start": "09:00", "end": "18:00"}]}
                              for d in WEEKDAYS]})
        subject = Subject(name="Python Programming", code="PY101", duration_hours=40)
        s.add_all([faculty, subject])
        s.flush()
        names = ["Variables", "Conditions", "Loops", "Functions", "Classes", "Modules"]
        topics = [Topic(subject_id=subject.id, name=n, order_index=i,
                        estimated_duration_minutes=60) for i, n in enumerate(names)]
        s.add_all(topics)
        s.flush()
        # A chain: each topic needs the one before it, except Modules which needs Functions.
        for before, after in itertools.pairwise(topics[:5]):
            s.add(TopicPrerequisite(topic_id=after.id, prerequisite_id=before.id))
        s.add(TopicPrerequisite(topic_id=topics[5].id, prerequisite_id=topics[3].id))
        student_ids = []
        for i in range(students):
            user = User(email=f"student{i + 1:02d}@example.org",
                        first_name=FIRST[i % len(FIRST)], last_name=f"S{i + 1:02d}",
                        role=Role.STUDENT)
            s.add(user)
            s.flush()
            student = Student(user_id=user.id, enrollment_no=f"PY-{i + 1:03d}",
                              admission_date=today - timedelta(days=60), counselor_id=counselor_id)
            s.add(student)
            s.flush()
            student_ids.append(student.id)
            s.add(Enrollment(student_id=student.id, subject_id=subject.id, faculty_id=faculty.id,
                             enrollment_date=today - timedelta(days=60)))
        batch = FlexibleBatch(name="Python Evening", subject_id=subject.id,
                              faculty_id=faculty.id, batch_type="temporary",
                              start_date=today - timedelta(days=30),
                              schedule={"weekly": [{"day": d, "start": "17:00", "end": "18:00"}
                                                   for d in WEEKDAYS], "location": "Lab 2"})
        s.add(batch)
        s.flush()
        for student_id in student_ids:
            s.add(BatchMember(batch_id=batch.id, student_id=student_id,
                              joined_on=today - timedelta(days=30)))
        session = LearningSession(student_id=student_ids[0], faculty_id=faculty.id,
                                  subject_id=subject.id, session_date=today,
                                  start_time=time(10, 0), end_time=time(11, 0),
                                  duration_minutes=60, location="Room 1")
        s.add(session)
        s.flush()
        return Institute(admin_id, faculty_user_id, faculty.id, counselor_id, subject.id,
                         tuple(t.id for t in topics), tuple(student_ids), batch.id, session.id,
                         today)
