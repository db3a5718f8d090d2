"""The demo institute's branches: Main alone for the small and default sizes, several centres
for the large one (issue 17), every branch-scoped row placed consistently.

Placed after everything is generated, so the teaching plan stays what it was: a faculty member
gets a home branch (round robin, the demo login in Main); a student lives where the faculty
member of their first enrollment is at home, and is looked after by a counselor of that branch;
sessions follow their student, batches their faculty member, an inquiry its counselor. A faculty
member also works in every other branch whose students they teach (a member teaching in two
centres), so each of them still holds every student they teach.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal

from institute_core.demo.context import Context, Row
from institute_core.demo.people import People
from institute_core.enums import GstMode
from institute_core.schema import MAIN_BRANCH_ID

# Centres beside Main, in the order a larger demo opens them.
CENTRES = (("North Campus", "NOR", "14, Ring Road, Bengaluru"),
           ("South Campus", "SOU", "3, Lake View Road, Chennai"),
           ("East Campus", "EAS", "88, Salt Lake, Kolkata"),
           ("West Campus", "WES", "21, Linking Road, Mumbai"))


def _rows_by_id(ctx: Context, table: str) -> dict[uuid.UUID, Row]:
    return {row["id"]: row for row in ctx.tables[table]}


def make_branches(ctx: Context, people: People, count: int) -> list[uuid.UUID]:
    """Create the branches beyond Main (which every database has) and place every row."""
    if count > len(CENTRES) + 1:
        raise ValueError(f"the demo has at most {len(CENTRES) + 1} branches")
    branches = [MAIN_BRANCH_ID]
    opened = ctx.stamp(ctx.start, 9)
    for name, code, address in CENTRES[:count - 1]:
        row = ctx.add("branches", {"id": ctx.new_id(), "name": name, "code": code,
                                   "address": address, "phone": ctx.phone(),
                                   "time_zone": "Asia/Kolkata",
                                   # The model's own defaults (rows go in by bulk insert,
                                   # which leaves no column to the server's default).
                                   "gst_mode": GstMode.NONE.value,
                                   "gst_rate": Decimal("18")}, opened)
        branches.append(row["id"])

    home = {f.id: branches[i % count] for i, f in enumerate(people.faculty)}
    counselors_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    counselor_home = {c: branches[i % count] for i, c in enumerate(people.counselors)}
    for counselor, branch in counselor_home.items():
        counselors_of[branch].append(counselor)

    first_faculty: dict[uuid.UUID, uuid.UUID] = {}
    for enrollment in ctx.tables["student_subject_enrollments"]:
        first_faculty.setdefault(enrollment["student_id"], enrollment["faculty_id"])
    student_branch: dict[uuid.UUID, uuid.UUID] = {}
    for student in ctx.tables["students"]:
        teacher = first_faculty.get(student["id"])
        branch = home[teacher] if teacher is not None else counselor_home.get(
            student["counselor_id"], MAIN_BRANCH_ID)
        student["branch_id"] = student_branch[student["id"]] = branch
        if count > 1 and counselor_home.get(student["counselor_id"]) != branch:
            # Looked after at the desk of their own branch (a stable pick per student).
            choices = counselors_of[branch]
            student["counselor_id"] = choices[student["id"].int % len(choices)]
    for info in people.students:
        info.counselor_id = info.row["counselor_id"]  # type: ignore[assignment]

    works_in: dict[uuid.UUID, set[uuid.UUID]] = {f.user_id: {home[f.id]} for f in people.faculty}
    faculty_user = {f.id: f.user_id for f in people.faculty}
    for faculty in ctx.tables["faculties"]:
        faculty["branch_id"] = home[faculty["id"]]
    for session in ctx.tables["learning_sessions"]:
        session["branch_id"] = student_branch[session["student_id"]]
        works_in[faculty_user[session["faculty_id"]]].add(session["branch_id"])
    for enrollment in ctx.tables["student_subject_enrollments"]:
        works_in[faculty_user[enrollment["faculty_id"]]].add(
            student_branch[enrollment["student_id"]])
    batches = _rows_by_id(ctx, "flexible_batches")
    for batch in batches.values():
        batch["branch_id"] = home[batch["faculty_id"]]
    for member in ctx.tables["batch_members"]:
        batch = batches[member["batch_id"]]
        works_in[faculty_user[batch["faculty_id"]]].add(student_branch[member["student_id"]])
    for inquiry in ctx.tables["crm_inquiries"]:
        inquiry["branch_id"] = counselor_home.get(inquiry["counselor_id"], MAIN_BRANCH_ID)

    # Administrators see every branch; their link says where they are at home.
    for user_id in (people.super_admin, *people.admins):
        works_in[user_id] = {MAIN_BRANCH_ID}
    for counselor, branch in counselor_home.items():
        works_in[counselor] = {branch}
    for user_id, where in works_in.items():
        for branch in sorted(where, key=branches.index):
            ctx.add("user_branches", {"user_id": user_id, "branch_id": branch}, opened)
    return branches
