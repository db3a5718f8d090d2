"""Demo enrollments, individual sessions, flexible batches, attendance, assessments and the
topic progress that follows from them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Literal

from institute_core.demo.calendar import OPEN_UNTIL, BatchSlot, Calendar
from institute_core.demo.catalog import POPULARITY
from institute_core.demo.context import Context, Row, money
from institute_core.demo.people import DEMO_FACULTY_SUBJECTS, FacultyMember, People, StudentInfo
from institute_core.demo.progress import Rating, is_done, progress_of
from institute_core.demo.syllabus import SubjectInfo
from institute_core.demo.walks import BatchWalk, TopicWalk, rating
from institute_core.enums import (
    AssessmentStatus,
    AssessmentType,
    AttendanceStatus,
    BatchStatus,
    BatchType,
    EnrollmentStatus,
    SessionStatus,
    SessionType,
    StudentStatus,
)
from institute_core.services.pace import expected_completion

Mode = Literal["individual", "batch"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BATCH_SHARE = 0.4
SECOND_SUBJECT_SHARE = 0.35
LATE_SHARE = 0.08
EXCUSED_SHARE_OF_ABSENCES = 0.25
FACULTY_CANCELS = 0.02
QUIZ_EVERY = 5
BATCH_MINUTES = 120
BATCH_HOURS = (10, 12, 14, 16)
# A flexible batch takes newcomers for six weeks after it starts.
JOIN_WINDOW_DAYS = 42
DEMO_BATCH_SIZE = 8
DEMO_INDIVIDUAL_STUDENTS = 4


@dataclass
class Plan:
    """One enrollment of a student in a subject, before its sessions are simulated."""

    student: StudentInfo
    subject: SubjectInfo
    start: date
    mode: Mode
    faculty: FacultyMember | None = None
    weekday: int = 0
    hour: int = 9
    minutes: int = 60
    demo: bool = False
    row: Row = field(default_factory=dict)
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE
    finished: date | None = None


@dataclass
class Batch:
    """A flexible batch of students learning a subject together."""

    subject: SubjectInfo
    members: list[Plan]
    faculty: FacultyMember | None = None
    days: tuple[int, ...] = (0, 3)
    hour: int = 15
    demo: bool = False


class Teaching:
    """Collects the ratings of every (student, topic) while sessions are simulated."""

    def __init__(self, ctx: Context, people: People, subjects: dict[str, SubjectInfo]) -> None:
        self.ctx = ctx
        self.people = people
        self.subjects = subjects
        self.ratings: dict[tuple[uuid.UUID, uuid.UUID], list[Rating]] = defaultdict(list)
        self.rated_by: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
        self.calendar = Calendar()
        for member in people.faculty:
            self.calendar.limits[member.id] = member.limits

    # --- planning --------------------------------------------------------------------------

    def plan(self) -> tuple[list[Plan], list[Batch]]:
        plans = self._ordinary_plans()
        plans += self._demo_plans()
        self._assign_individual_faculty(plans)
        batches = self._form_batches([p for p in plans if p.mode == "batch"])
        return plans, batches

    def _pick_subject(self, exclude: set[str]) -> SubjectInfo:
        codes = [c for c in self.subjects if c not in exclude]
        weights = [POPULARITY.get(c, 2) for c in codes]
        return self.subjects[self.ctx.rng.choices(codes, weights)[0]]

    def _ordinary_plans(self) -> list[Plan]:
        ctx, rng = self.ctx, self.ctx.rng
        plans = []
        last_start = ctx.today - timedelta(days=1)
        for student in self.people.students:
            first = self._pick_subject(set())
            start = min(max(student.admission, ctx.start) + timedelta(days=rng.randint(0, 7)),
                        last_start)
            plans.append(self._plan(student, first, start))
            if ctx.chance(SECOND_SUBJECT_SHARE):
                second_start = start + timedelta(days=rng.randint(30, 100))
                if second_start > ctx.today - timedelta(days=3):
                    continue
                follow_ups = [s for s in self.subjects.values()
                              if first.spec.code in s.spec.requires]
                second = (rng.choice(follow_ups) if follow_ups and ctx.chance(0.6)
                          else self._pick_subject({first.spec.code}))
                plans.append(self._plan(student, second, second_start))
        return plans

    def _plan(self, student: StudentInfo, subject: SubjectInfo, start: date,
              mode: Mode | None = None) -> Plan:
        rng = self.ctx.rng
        student.subjects.add(subject.spec.code)
        chosen: Mode = mode or ("batch" if self.ctx.chance(BATCH_SHARE) else "individual")
        minutes = rng.choice((60, 60, 90))
        return Plan(student, subject, start, chosen, weekday=rng.randrange(6),
                    hour=rng.randint(9, (OPEN_UNTIL - minutes) // 60), minutes=minutes)

    def _demo_plans(self) -> list[Plan]:
        """Recent students of the demo faculty: a running batch and sessions today."""
        ctx = self.ctx
        demo = self.people.demo_faculty
        batch_code, individual_code = DEMO_FACULTY_SUBJECTS
        recent = sorted(self.people.students, key=lambda s: s.admission, reverse=True)
        plans = []
        in_batch = [s for s in recent if batch_code not in s.subjects][:DEMO_BATCH_SIZE]
        batch_start = ctx.today - timedelta(days=28)
        for student in in_batch:
            plan = self._plan(student, self.subjects[batch_code],
                              max(student.admission, batch_start), "batch")
            plan.demo = True
            plans.append(plan)
        alone = [s for s in recent if individual_code not in s.subjects
                 and s not in in_batch][:DEMO_INDIVIDUAL_STUDENTS]
        for hour, student in enumerate(alone, start=9):
            plan = self._plan(student, self.subjects[individual_code],
                              max(student.admission, ctx.today - timedelta(days=21)),
                              "individual")
            plan.demo, plan.faculty, plan.weekday, plan.hour = True, demo, ctx.today.weekday(), hour
            demo.load += plan.minutes
            plans.append(plan)
        return plans

    def _least_loaded(self, code: str, minutes: int) -> FacultyMember:
        """The qualified faculty member whose week is the least full, given `minutes` more."""
        chosen = min(self._qualified(code), key=lambda f: f.busy_share)
        chosen.load += minutes
        return chosen

    def _qualified(self, code: str) -> list[FacultyMember]:
        return [f for f in self.people.faculty if code in f.subjects]

    def _assign_individual_faculty(self, plans: list[Plan]) -> None:
        for plan in plans:
            if plan.mode == "individual" and plan.faculty is None:
                plan.faculty = self._least_loaded(plan.subject.spec.code, plan.minutes)

    def _form_batches(self, plans: list[Plan]) -> list[Batch]:
        rng = self.ctx.rng
        batches: list[Batch] = []
        demo = [p for p in plans if p.demo]
        if demo:
            weekday, faculty = self.ctx.today.weekday(), self.people.demo_faculty
            batch = Batch(demo[0].subject, demo, faculty, (weekday, (weekday + 3) % 7), 15,
                          demo=True)
            batches.append(batch)
            self.calendar.batch_slots[faculty.id].append(BatchSlot(
                batch.days, batch.hour, self.ctx.today - timedelta(days=28), date.max))
        by_subject: dict[str, list[Plan]] = defaultdict(list)
        for plan in sorted((p for p in plans if not p.demo), key=lambda p: p.start):
            by_subject[plan.subject.spec.code].append(plan)
        for waiting in by_subject.values():
            current: list[Plan] = []
            size = rng.randint(12, 20)
            for plan in waiting:
                if current and (len(current) >= size
                                or (plan.start - current[0].start).days > JOIN_WINDOW_DAYS):
                    batches.append(self._staffed(current))
                    current, size = [], rng.randint(12, 20)
                current.append(plan)
            if current:
                batches.append(self._staffed(current))
        for batch in batches:
            for plan in batch.members:
                plan.faculty = batch.faculty
        return batches

    def _staffed(self, members: list[Plan]) -> Batch:
        """A batch with the least-busy qualified faculty member who has a free slot for as long
        as it can run (the demo login only when nobody else teaches the subject: its day is the
        demo's own batch and individual students)."""
        subject = members[0].subject
        first = min(p.start for p in members)
        # A meeting covers at least one new topic and there are two a week.
        last = min(first + timedelta(weeks=-(-len(subject.topics) // 2) + 1),
                   self.ctx.horizon)
        qualified = self._qualified(subject.spec.code)
        others = [f for f in qualified if f is not self.people.demo_faculty] or qualified
        for faculty in sorted(others, key=lambda f: f.busy_share):
            slot = self._batch_slot(faculty.id, first, last)
            if slot is not None:
                faculty.load += 2 * BATCH_MINUTES
                self.calendar.batch_slots[faculty.id].append(slot)
                return Batch(subject, members, faculty, slot.days, slot.hour)
        raise RuntimeError(f"no faculty member has a free batch slot for {subject.spec.code} "
                           f"from {first} to {last}")

    def _batch_slot(self, faculty: uuid.UUID, first: date, last: date) -> BatchSlot | None:
        """Two weekdays two or three apart and a start hour at which none of the faculty
        member's batches meets while this one runs, days without a batch preferred."""
        options = [BatchSlot((a, (a + gap) % 6), hour, first, last)
                   for a in range(6) for gap in (2, 3) for hour in BATCH_HOURS]
        free = [o for o in options if self.calendar.batch_slot_free(faculty, o, BATCH_MINUTES)]
        if not free:
            return None
        busy = {o: self.calendar.days_with_batches(faculty, o) for o in free}
        fewest = min(busy.values())
        return self.ctx.rng.choice([o for o, n in busy.items() if n == fewest])

    # --- rows ----------------------------------------------------------------------------

    def enroll(self, plans: list[Plan]) -> None:
        ctx = self.ctx
        for plan in plans:
            assert plan.faculty is not None
            # The date the app sets on enrolling, at the pace the student is taught.
            pace = 2 * BATCH_MINUTES if plan.mode == "batch" else plan.minutes
            plan.row = ctx.add("student_subject_enrollments", {
                "student_id": plan.student.id, "subject_id": plan.subject.id,
                "faculty_id": plan.faculty.id, "enrollment_date": plan.start,
                "expected_completion_date": expected_completion(
                    plan.start, plan.subject.minutes, pace),
                "actual_completion_date": None, "completion_percentage": money(0),
                "status": EnrollmentStatus.ACTIVE.value,
                "notes": "Joined a flexible batch" if plan.mode == "batch" else None,
            }, ctx.stamp(plan.start, 11))

    def _assess(self, student: StudentInfo, subject: SubjectInfo, topic: uuid.UUID | None,
                faculty: FacultyMember, on: date, kind: AssessmentType, title: str) -> None:
        rng = self.ctx.rng
        total = money(20 if kind == AssessmentType.QUIZ else 50)
        share = min(1.0, max(0.0, rng.gauss(student.aptitude / 5, 0.12)))
        marks = money(round(float(total) * share * 2) / 2)
        percentage = money(marks * 100 / total)
        self.ctx.add("assessments", {
            "id": self.ctx.new_id(), "student_id": student.id, "topic_id": topic,
            "subject_id": subject.id, "assessment_type": kind.value, "title": title,
            "description": f"{title} – {subject.spec.name}", "total_marks": total,
            "marks_obtained": marks, "percentage": percentage, "grade": _grade(percentage),
            "assessment_date": on, "faculty_id": faculty.id,
            "feedback": "Well done." if percentage >= 75 else "Revise and practise more.",
            "status": AssessmentStatus.GRADED.value,
        }, self.ctx.stamp(on, 19))

    def _rate(self, student: StudentInfo, topic: uuid.UUID, on: date, level: int, minutes: int,
              faculty: FacultyMember) -> None:
        key = (student.id, topic)
        self.ratings[key].append(Rating(on, level, minutes))
        self.rated_by[key] = faculty.id

    def run_individual(self, plan: Plan) -> None:
        """Weekly sessions from the enrollment until done, dropped, or a week ahead of today."""
        ctx, rng = self.ctx, self.ctx.rng
        student, faculty = plan.student, plan.faculty
        assert faculty is not None
        walk = TopicWalk(plan.subject.topics)
        week_of = plan.start + timedelta(days=(plan.weekday - plan.start.weekday()) % 7)
        previous = plan.start - timedelta(days=1)
        drop_after = rng.randint(4, 12) if student.chronic and ctx.chance(0.4) else None
        week, new_topics = 0, 0
        while week_of <= ctx.horizon:
            if week_of < ctx.today and drop_after is not None and week >= drop_after:
                plan.status, plan.finished = EnrollmentStatus.DROPPED, None
                return
            # The faculty member's calendar decides the day and hour; a full week is skipped.
            placed = self.calendar.place(faculty.id, week_of, plan.hour, plan.minutes,
                                         student.id, after=previous, until=ctx.horizon)
            week_of += timedelta(days=7)
            if placed is None:
                continue
            day, hour = placed
            previous = day
            session = self._session(plan, day, hour)
            if day >= ctx.today:
                continue
            week += 1
            if ctx.chance(FACULTY_CANCELS):
                session["status"] = SessionStatus.CANCELLED.value
                session["notes"] = "Cancelled by the faculty member"
            elif ctx.chance(student.attend_p):
                session["status"] = SessionStatus.COMPLETED.value
                cover = walk.next_cover(rng)
                attendance = self._attendance(plan, session, late=ctx.chance(LATE_SHARE))
                minutes = plan.minutes // len(cover)
                for topic in cover:
                    level = walk.rate(rng, topic, student.aptitude)
                    self._rate(student, topic, day, level, minutes, faculty)
                    ctx.add("attendance_topics", {
                        "attendance_id": attendance["id"], "topic_id": topic,
                        "understanding_level": level,
                        "notes": "Needs more practice" if level <= 2 else None,
                    }, attendance["created_at"])
                attendance["next_session_prep"] = {
                    "topics_to_review": [str(t) for t in walk.queue],
                    "new_topics": [str(t) for t in walk.upcoming() if t not in walk.queue]}
                before, new_topics = new_topics, walk.pointer
                if new_topics // QUIZ_EVERY > before // QUIZ_EVERY:
                    self._assess(student, plan.subject, cover[-1], faculty, day,
                                 AssessmentType.QUIZ, f"Quiz {new_topics // QUIZ_EVERY}")
            elif ctx.chance(EXCUSED_SHARE_OF_ABSENCES):
                session["status"] = SessionStatus.CANCELLED.value
                session["notes"] = "Student informed in advance"
                self._attendance(plan, session, status=AttendanceStatus.EXCUSED)
            else:
                session["status"] = SessionStatus.NO_SHOW.value
                self._attendance(plan, session, status=AttendanceStatus.ABSENT)
            if walk.done:
                plan.status, plan.finished = EnrollmentStatus.COMPLETED, day
                self._assess(student, plan.subject, None, faculty, day,
                             AssessmentType.PROJECT, "Final project")
                return

    def _session(self, plan: Plan, day: date, hour: int) -> Row:
        assert plan.faculty is not None
        start = time(hour, 0)
        end_minutes = hour * 60 + plan.minutes
        return self.ctx.add("learning_sessions", {
            "id": self.ctx.new_id(), "student_id": plan.student.id,
            "faculty_id": plan.faculty.id, "subject_id": plan.subject.id, "session_date": day,
            "start_time": start, "end_time": time(end_minutes // 60, end_minutes % 60),
            "duration_minutes": plan.minutes, "session_type": SessionType.INDIVIDUAL.value,
            "location": f"Lab {plan.faculty.load % 6 + 1}",
            "status": SessionStatus.SCHEDULED.value, "notes": None,
        }, self.ctx.stamp(min(plan.start, day - timedelta(days=7)), 12))

    def _attendance(self, plan: Plan, session: Row, *, late: bool = False,
                    status: AttendanceStatus | None = None) -> Row:
        rng = self.ctx.rng
        if status is None:
            status = AttendanceStatus.LATE if late else AttendanceStatus.PRESENT
        attended = status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
        start: time = session["start_time"]
        check_in = time(start.hour, rng.randint(10, 25) if late else rng.randint(0, 4))
        return self.ctx.add("session_attendance", {
            "session_id": session["id"], "student_id": plan.student.id,
            "attendance_status": status.value,
            "check_in_time": check_in if attended else None,
            "check_out_time": session["end_time"] if attended else None,
            "faculty_notes": None if attended else "Absent",
            "student_feedback": None, "next_session_prep": None,
        }, self.ctx.stamp(session["session_date"], session["end_time"].hour,
                          session["end_time"].minute))

    def run_batch(self, batch: Batch) -> None:
        """Twice-weekly batch sessions: every member rated on the topics of the day."""
        ctx, rng = self.ctx, self.ctx.rng
        faculty = batch.faculty
        assert faculty is not None
        start = min(p.start for p in batch.members)
        if batch.demo:
            start = ctx.today - timedelta(days=28)
        code = batch.subject.spec.code
        row = ctx.add("flexible_batches", {
            "id": ctx.new_id(), "name": f"{code} {start:%b %Y} batch",
            "subject_id": batch.subject.id, "faculty_id": faculty.id,
            "batch_type": rng.choice((BatchType.TEMPORARY, BatchType.TEMPORARY,
                                      BatchType.WORKSHOP, BatchType.PEER_LEARNING)).value,
            "start_date": start, "end_date": None,
            "schedule": {"weekly": [{"day": WEEKDAYS[d], "start": f"{batch.hour:02d}:00",
                                     "end": f"{batch.hour + 2:02d}:00"} for d in batch.days],
                         "location": f"Lab {rng.randint(1, 6)}"},
            "max_students": max(20, len(batch.members)), "status": BatchStatus.ACTIVE.value,
            "description": f"Flexible batch for {batch.subject.spec.name}",
        }, ctx.stamp(start - timedelta(days=3), 10))
        for plan in batch.members:
            ctx.add("batch_members", {"batch_id": row["id"], "student_id": plan.student.id,
                                      "joined_on": plan.start, "left_on": None},
                    ctx.stamp(plan.start, 10))
        walk = BatchWalk(batch.subject.topics)
        day, last = start, start
        members = [p.student.id for p in batch.members]
        span = (batch.hour * 60, batch.hour * 60 + BATCH_MINUTES)
        while day < ctx.today and not walk.done:
            if day.weekday() in batch.days:
                self.calendar.book(faculty.id, day, *span, members)
                present = [p for p in batch.members if p.start <= day]
                if present:
                    self._batch_day(batch, row["id"], day, present, walk)
                    last = day
            day += timedelta(days=1)
        if walk.done:
            row["status"], row["end_date"] = BatchStatus.COMPLETED.value, last
        else:
            planned = start + timedelta(weeks=len(batch.subject.topics) // 3 + 2)
            row["end_date"] = max(planned, ctx.horizon + timedelta(days=7))
            # The coming week's meetings are in the calendar too (the app counts them).
            while day <= ctx.horizon:
                if day.weekday() in batch.days:
                    self.calendar.book(faculty.id, day, *span, members)
                day += timedelta(days=1)
        for plan in batch.members:
            plan.finished = last if walk.done else None

    def _batch_day(self, batch: Batch, batch_id: uuid.UUID, day: date, members: list[Plan],
                   walk: BatchWalk) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        assert batch.faculty is not None
        before = walk.pointer
        cover = walk.next_cover(rng)
        minutes = BATCH_MINUTES // len(cover)
        at = ctx.stamp(day, batch.hour + 2)
        for plan in members:
            student = plan.student
            if ctx.chance(student.attend_p):
                late = ctx.chance(LATE_SHARE)
                status = AttendanceStatus.LATE if late else AttendanceStatus.PRESENT
            elif ctx.chance(EXCUSED_SHARE_OF_ABSENCES):
                status = AttendanceStatus.EXCUSED
            else:
                status = AttendanceStatus.ABSENT
            attended = status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
            check_in = time(batch.hour, rng.randint(10, 25) if status == AttendanceStatus.LATE
                            else rng.randint(0, 4))
            attendance = ctx.add("batch_session_attendance", {
                "batch_id": batch_id, "session_date": day, "student_id": student.id,
                "attendance_status": status.value,
                "check_in_time": check_in if attended else None,
                "notes": None if attended else "Absent",
            }, at)
            if not attended:
                continue
            for topic in cover:
                level = rating(rng, student.aptitude)
                self._rate(student, topic, day, level, minutes, batch.faculty)
                ctx.add("batch_attendance_topics", {
                    "batch_attendance_id": attendance["id"], "topic_id": topic,
                    "understanding_level": level,
                    "notes": "Needs more practice" if level <= 2 else None,
                }, at)
            if walk.pointer // QUIZ_EVERY > before // QUIZ_EVERY:
                self._assess(student, batch.subject, cover[0], batch.faculty, day,
                             AssessmentType.QUIZ, f"Batch quiz {walk.pointer // QUIZ_EVERY}")

    # --- consequences ----------------------------------------------------------------------

    def record_progress(self) -> None:
        """One progress row per (student, topic) rated, derived by the rules in `progress`."""
        ctx = self.ctx
        for (student_id, topic_id), ratings in self.ratings.items():
            p = progress_of(ratings)
            ctx.add("student_topic_progress", {
                "student_id": student_id, "topic_id": topic_id,
                "competency_level": p.competency_level, "status": p.status.value,
                "first_introduced_date": p.first_introduced_date,
                "completion_date": p.completion_date,
                "time_spent_minutes": p.time_spent_minutes, "session_count": p.session_count,
                "assessment_scores": None, "notes": None,
                "last_updated_by": self.rated_by[(student_id, topic_id)],
            }, ctx.stamp(ratings[-1].on, 20))

    def finish_enrollments(self, plans: list[Plan]) -> None:
        """Completion percentages and statuses that agree with the progress rows."""
        status_of = {(r["student_id"], r["topic_id"]): r["status"]
                     for r in self.ctx.tables["student_topic_progress"]}
        by_student: dict[uuid.UUID, list[Plan]] = defaultdict(list)
        for plan in plans:
            topics = plan.subject.topics
            done = sum(1 for t in topics if is_done(status_of.get((plan.student.id, t), "")))
            plan.row["completion_percentage"] = money(done * 100 / len(topics))
            if plan.status == EnrollmentStatus.DROPPED:
                plan.row["status"] = EnrollmentStatus.DROPPED.value
            elif done == len(topics) and plan.finished is not None:
                plan.row["status"] = EnrollmentStatus.COMPLETED.value
                plan.row["actual_completion_date"] = plan.finished
            elif plan.mode == "batch" and plan.finished is not None:
                # The batch has finished: who followed most of it completed the course, who
                # missed most of it had stopped coming.
                kept_up = done * 2 >= len(topics)
                plan.row["status"] = (EnrollmentStatus.COMPLETED if kept_up
                                      else EnrollmentStatus.DROPPED).value
                plan.row["actual_completion_date"] = plan.finished if kept_up else None
            by_student[plan.student.id].append(plan)
        for student in self.people.students:
            statuses = {p.row["status"] for p in by_student[student.id]}
            if statuses == {EnrollmentStatus.COMPLETED.value}:
                student.row["status"] = StudentStatus.COMPLETED.value
            elif statuses == {EnrollmentStatus.DROPPED.value}:
                student.row["status"] = StudentStatus.DROPPED.value


def _grade(percentage: object) -> str:
    value = float(percentage)  # type: ignore[arg-type]
    for floor, grade in ((90, "A+"), (80, "A"), (70, "B"), (60, "C"), (50, "D")):
        if value >= floor:
            return grade
    return "F"


def make_teaching(ctx: Context, people: People, subjects: dict[str, SubjectInfo]) -> Teaching:
    """Everything taught: enrollments, sessions, batches, attendance, assessments, progress."""
    teaching = Teaching(ctx, people, subjects)
    plans, batches = teaching.plan()
    teaching.enroll(plans)
    # Batches meet on fixed days, so they are booked first; individual sessions fit around them,
    # the demo login's first so that its day of work today is never crowded out.
    for batch in batches:
        teaching.run_batch(batch)
    for plan in sorted(plans, key=lambda p: not p.demo):
        if plan.mode == "individual":
            teaching.run_individual(plan)
    teaching.record_progress()
    teaching.finish_enrollments(plans)
    return teaching
