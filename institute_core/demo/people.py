"""Demo people: staff with their logins, faculty with their subjects, students."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from institute_core.demo.calendar import OPEN_FROM, OPEN_UNTIL, WORKING_DAYS, Limits
from institute_core.demo.catalog import POPULARITY, SUBJECTS
from institute_core.demo.context import Context, SizeSpec, money
from institute_core.demo.logins import DEMO_LOGINS, OTHER_STAFF_PASSWORD, PasswordHashes
from institute_core.demo.names import CITIES, FIRST_NAMES, LAST_NAMES, STREETS, Name
from institute_core.enums import FacultyStatus, LearningStyle, Role, StudentStatus, UserStatus

# The demo faculty login teaches these, so it has students in an individual course and a batch.
DEMO_FACULTY_SUBJECTS = ("PY101", "WD101")
CHRONIC_ABSENTEE_SHARE = 0.05
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass
class FacultyMember:
    """A faculty member as the rest of the generation needs them."""

    id: uuid.UUID
    user_id: uuid.UUID
    subjects: list[str]
    limits: Limits
    load: int = 0  # planned teaching minutes a week

    @property
    def busy_share(self) -> float:
        """Planned weekly minutes as a share of what the limits allow in a week."""
        return self.load / (self.limits.max_minutes * len(self.limits.days))


@dataclass
class StudentInfo:
    """A student and the traits that shape their attendance and ratings."""

    id: uuid.UUID
    user_id: uuid.UUID
    row: dict[str, object]
    admission: date
    counselor_id: uuid.UUID
    aptitude: float  # mean understanding rating, 1..5
    attend_p: float  # chance of attending a session
    chronic: bool
    subjects: set[str] = field(default_factory=set)


@dataclass
class People:
    """Everyone in the demo institute."""

    super_admin: uuid.UUID
    admins: list[uuid.UUID]
    counselors: list[uuid.UUID]
    faculty: list[FacultyMember]
    students: list[StudentInfo]

    @property
    def demo_faculty(self) -> FacultyMember:
        return self.faculty[0]

    @property
    def demo_counselor(self) -> uuid.UUID:
        return self.counselors[0]


def _name(ctx: Context) -> tuple[Name, Name]:
    rng = ctx.rng
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _user(ctx: Context, hashes: PasswordHashes, role: Role, email: str, password: str | None,
          joined: date) -> uuid.UUID:
    (first, _), (last, _) = _name(ctx)
    at = ctx.stamp(joined, 9)
    row = ctx.add("users", {
        "email": email,
        "password_hash": hashes.of(password) if password else None,
        "first_name": first,
        "last_name": last,
        "phone": ctx.phone(),
        "role": role.value,
        "status": UserStatus.ACTIVE.value,
        "email_verified_at": at,
        "last_login_at": ctx.now if password else None,
    }, at)
    return row["id"]  # type: ignore[no-any-return]


def _staff(ctx: Context, hashes: PasswordHashes, role: Role, count: int,
           prefix: str) -> list[uuid.UUID]:
    founded = ctx.start - timedelta(days=400)
    demo_email, demo_password = DEMO_LOGINS[role.value]
    ids = [_user(ctx, hashes, role, demo_email, demo_password, founded)]
    for n in range(2, count + 1):
        ids.append(_user(ctx, hashes, role, f"{prefix}{n}@demo.institute",
                         OTHER_STAFF_PASSWORD, ctx.day_between(founded, ctx.start)))
    return ids


def _faculty(ctx: Context, hashes: PasswordHashes, count: int) -> list[FacultyMember]:
    rng = ctx.rng
    user_ids = _staff(ctx, hashes, Role.FACULTY, count, "faculty")
    codes = [s.code for s in SUBJECTS]
    teaches: list[list[str]] = [[] for _ in range(count)]
    teaches[0].extend(DEMO_FACULTY_SUBJECTS)
    # Round robin first so that every subject has someone to teach it, then a few extra each.
    for i, code in enumerate(c for c in codes if c not in DEMO_FACULTY_SUBJECTS):
        teaches[(i + 1) % count].append(code)
    # The extra subjects follow demand, so popular subjects have more people to teach them.
    weights = [POPULARITY.get(c, 2) for c in codes]
    for subjects in teaches:
        for code in rng.choices(codes, weights, k=2):
            if code not in subjects and len(subjects) < 4:
                subjects.append(code)
    names = {s.code: s.name for s in SUBJECTS}
    members = []
    for n, (user_id, subjects) in enumerate(zip(user_ids, teaches, strict=True), start=1):
        # The demo login teaches on whatever day the demo is opened, Sunday included.
        days = frozenset(range(7)) if n == 1 else WORKING_DAYS
        limits = Limits(rng.choice((6, 7, 8)) * 60, rng.choice((24, 30, 36)), days)
        row = ctx.add("faculties", {
            "id": ctx.new_id(),
            "user_id": user_id,
            "employee_id": f"EMP-{n:04d}",
            "specialization": [names[c] for c in subjects],
            "qualification": rng.choice(("B.Tech", "M.Tech", "MCA", "M.Sc Computer Science",
                                         "BCA", "B.Com with CA")),
            "experience_years": money(rng.uniform(1, 18), "0.1"),
            "hourly_rate": money(rng.randrange(400, 1500, 50)),
            "max_hours_per_day": limits.max_minutes // 60,
            "max_students_per_day": limits.max_students,
            "available_time_slots": {"days": [
                {"day": WEEKDAYS[d], "slots": [{"start": f"{OPEN_FROM // 60:02d}:00",
                                                "end": f"{OPEN_UNTIL // 60:02d}:00"}]}
                for d in sorted(days)]},
            "performance_rating": money(rng.uniform(3.2, 4.9)),
            "status": FacultyStatus.ACTIVE.value,
        }, ctx.stamp(ctx.start - timedelta(days=30), 9))
        members.append(FacultyMember(row["id"], user_id, subjects, limits))
    return members


def _email_part(name: Name) -> str:
    return "".join(ch for ch in name[1] if ch.isalnum() and ch.isascii())


def _students(ctx: Context, hashes: PasswordHashes, count: int,
              counselors: list[uuid.UUID]) -> list[StudentInfo]:
    rng = ctx.rng
    students = []
    first_admission = ctx.start - timedelta(days=20)
    last_admission = ctx.today - timedelta(days=7)
    for n in range(1, count + 1):
        first, last = _name(ctx)
        admission = ctx.day_between(first_admission, last_admission)
        at = ctx.stamp(admission, 10)
        user = ctx.add("users", {
            "email": f"{_email_part(first)}.{_email_part(last)}{n}@students.demo.institute",
            "password_hash": None,  # students do not sign in
            "first_name": first[0],
            "last_name": last[0],
            "phone": ctx.phone(),
            "role": Role.STUDENT.value,
            "status": UserStatus.ACTIVE.value,
        }, at)
        counselor = rng.choice(counselors)
        row = ctx.add("students", {
            "user_id": user["id"],
            "enrollment_no": f"ENR-{admission.year}-{n:05d}",
            "date_of_birth": admission - timedelta(days=rng.randint(17 * 365, 35 * 365)),
            "address": f"{rng.randint(1, 250)}, {rng.choice(STREETS)}, {rng.choice(CITIES)}",
            "emergency_contact_name": f"{rng.choice(FIRST_NAMES)[0]} {last[0]}",
            "emergency_contact_phone": ctx.phone(),
            "admission_date": admission,
            "counselor_id": counselor,
            "learning_style": rng.choice(list(LearningStyle)).value,
            "preferred_schedule": {
                "preferred_days": rng.sample(["monday", "tuesday", "wednesday", "thursday",
                                              "friday", "saturday"], 3),
                "preferred_times": [rng.choice(("morning", "afternoon", "evening"))]},
            "status": StudentStatus.ACTIVE.value,
        }, at)
        chronic = ctx.chance(CHRONIC_ABSENTEE_SHARE)
        students.append(StudentInfo(
            id=row["id"], user_id=user["id"], row=row, admission=admission,
            counselor_id=counselor,
            aptitude=min(4.7, max(2.3, rng.gauss(3.6, 0.55))),
            # Chronic absentees attend well under 60 % of their sessions.
            attend_p=rng.uniform(0.35, 0.5) if chronic else rng.uniform(0.84, 0.99),
            chronic=chronic,
        ))
    return students


def make_people(ctx: Context, spec: SizeSpec, hashes: PasswordHashes) -> People:
    """Users, faculty and students, with the four demo logins first in their role."""
    super_admin = _staff(ctx, hashes, Role.SUPER_ADMIN, 1, "superadmin")[0]
    admins = _staff(ctx, hashes, Role.ADMIN, spec.admins, "admin")
    counselors = _staff(ctx, hashes, Role.COUNSELOR, spec.counselors, "counselor")
    faculty = _faculty(ctx, hashes, spec.faculty)
    students = _students(ctx, hashes, spec.students, counselors)
    return People(super_admin, admins, counselors, faculty, students)
