"""Generate, record and reprint reports.

`generate` collects the payload, renders the PDF and records what it showed through
`replica.write(actor)` (so the record syncs): progress and attendance reports of a student give
one student_reports row; a batch attendance report and a batch report give one row per student
(type attendance / progress, holding that student's own figures); a faculty report gives a
faculty_reports "utilization" row. CRM and topic-coverage reports belong to no student or faculty
member and are not recorded. `reprint` renders a recorded report from its stored data only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.access.check import permissions_of, roles_holding
from institute_core.analytics.period import Db, Period
from institute_core.branches.selection import branch_names, selection_label
from institute_core.enums import FacultyReportType, StudentReportType, UserStatus
from institute_core.replica import Replica
from institute_core.reports import (
    attendance_report,
    batch_report,
    branches_report,
    coverage_report,
    crm_report,
    faculty_report,
    progress,
)
from institute_core.reports.branding import STATE_KEY, ReportBranding
from institute_core.reports.common import choose_sections, payload_generated_at, payload_period
from institute_core.reports.layout import ReportDocument, keep_sections, signature_block
from institute_core.schema import (
    Branch,
    Faculty,
    FacultyReport,
    FlexibleBatch,
    Student,
    StudentReport,
    User,
    UserBranch,
)

KINDS = ("progress", "attendance", "faculty", "crm", "batch", "coverage", "branches")
SECTIONS: dict[str, tuple[str, ...]] = {
    "progress": progress.SECTIONS, "attendance": attendance_report.SECTIONS,
    "faculty": faculty_report.SECTIONS, "crm": crm_report.SECTIONS,
    "batch": progress.SECTIONS, "coverage": coverage_report.SECTIONS,
    "branches": branches_report.SECTIONS,
}
# The kinds about several people at once, which cover a branch selection (the others cover the
# branch of the student, batch or faculty member they are about).
BRANCH_SELECTED = ("crm", "branches")


class ReportError(ValueError):
    """A report that cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class ReportRequest:
    """What to print: the kind, whom it is about, the period, sections and remarks."""

    kind: str
    period: Period
    student_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    faculty_id: uuid.UUID | None = None
    sections: tuple[str, ...] | None = None
    remarks: Mapping[uuid.UUID, str] = field(default_factory=dict)
    today: date | None = None
    # A batch report over these students instead of the batch's members (benchmarks, ad hoc).
    student_ids: tuple[uuid.UUID, ...] | None = None
    # The branches a CRM or branches report covers (None: every branch this desk holds).
    branch_ids: tuple[uuid.UUID, ...] | None = None
    # The money columns of "Branches side by side" (collected, outstanding): only for who
    # generates it holding reports.financial (`generate` refuses anyone else).
    with_money: bool = False

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise ReportError(f"unknown report kind {self.kind!r}; choose one of "
                              f"{', '.join(KINDS)}")
        needs = {"progress": ("student", self.student_id),
                 "faculty": ("faculty", self.faculty_id),
                 "batch": ("batch", self.batch_id), "coverage": ("batch", self.batch_id)}
        if self.kind in needs and needs[self.kind][1] is None:
            raise ReportError(f"a {self.kind} report needs a {needs[self.kind][0]}")
        if self.kind == "attendance" and (self.student_id is None) == (self.batch_id is None):
            raise ReportError("an attendance report needs either a student or a batch")
        if self.branch_ids is not None and not self.branch_ids:
            raise ReportError("choose at least one branch")
        if self.with_money and self.kind != "branches":
            raise ReportError(f"a {self.kind} report has no money columns; only the "
                              "branches side by side report has")
        if self.remarks and self.kind not in WITH_REMARKS:
            raise ReportError(f"a {self.kind} report prints no remarks; remarks go on a "
                              f"{' or '.join(WITH_REMARKS)} report")
        try:
            choose_sections(SECTIONS[self.kind], self.sections)
        except ValueError as exc:
            raise ReportError(str(exc)) from exc


# The kinds that print remarks; remarks asked of another kind are refused, never dropped.
WITH_REMARKS = ("progress", "batch")


@dataclass(frozen=True)
class GeneratedReport:
    """A PDF written to `path`, the payload it showed and the report rows recording it."""

    path: Path
    kind: str
    pages: int
    payload: dict[str, Any]
    recorded: tuple[uuid.UUID, ...]
    seconds: float


def collect(db: Db, request: ReportRequest) -> dict[str, Any]:
    """The payload (every figure the report shows) for a request; `branches` names the
    branch(es) it covers, for the header."""
    payload = _collect(db, request)
    payload["branches"] = _covers(db, request)
    return payload


def _covers(db: Db, request: ReportRequest) -> str:
    """What the header says the report covers: the branch of whom it is about, or the
    selection of a report over several branches."""
    if request.kind in BRANCH_SELECTED:
        return selection_label(db, request.branch_ids)
    if request.student_id is not None:
        owner = select(Student.branch_id).where(Student.id == request.student_id)
    elif request.batch_id is not None:
        owner = select(FlexibleBatch.branch_id).where(FlexibleBatch.id == request.batch_id)
    else:
        owner = select(Faculty.branch_id).where(Faculty.id == request.faculty_id)
    branch = db.execute(owner).scalar_one_or_none()
    return selection_label(db, [branch]) if branch is not None else ""


def _collect(db: Db, request: ReportRequest) -> dict[str, Any]:
    request.validate()
    # Predictions and risk flags are as of the end of the period (or today, if sooner), so a
    # report on a past month shows what was true then.
    today = request.today or min(date.today(), request.period.end)
    sections = choose_sections(SECTIONS[request.kind], request.sections)
    period = request.period
    if request.kind == "progress":
        assert request.student_id is not None
        return progress.collect_progress(db, [request.student_id], period, today,
                                         sections=sections, remarks=request.remarks)[0]
    if request.kind == "attendance":
        if request.student_id is not None:
            return attendance_report.collect_student_attendance(
                db, [request.student_id], period, sections=sections)[0]
        assert request.batch_id is not None
        return attendance_report.collect_batch_attendance(db, request.batch_id, period,
                                                          sections=sections)
    if request.kind == "faculty":
        assert request.faculty_id is not None
        return faculty_report.collect_faculty(db, request.faculty_id, period, sections=sections)
    if request.kind == "crm":
        return crm_report.collect_crm(db, period, sections=sections,
                                      branch_ids=request.branch_ids)
    if request.kind == "branches":
        return branches_report.collect_branches(db, period, sections=sections,
                                                branch_ids=request.branch_ids,
                                                with_money=request.with_money)
    assert request.batch_id is not None
    if request.kind == "batch":
        return batch_report.collect_batch(db, request.batch_id, period, today, sections=sections,
                                          remarks=request.remarks,
                                          student_ids=request.student_ids)
    return coverage_report.collect_coverage(db, request.batch_id, period, sections=sections)


_STORIES: dict[str, Callable[[Mapping[str, Any]], list[Flowable]]] = {
    "progress": progress.progress_story,
    "attendance": attendance_report.attendance_story,
    "faculty": faculty_report.faculty_story,
    "crm": crm_report.crm_story,
    "batch": batch_report.batch_story,
    "coverage": coverage_report.coverage_story,
    "branches": branches_report.branches_story,
}


def render(payload: Mapping[str, Any], out: Path, branding: ReportBranding) -> int:
    """Write the PDF of a payload; returns its page count."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    document = ReportDocument(out, branding=branding, title=payload["title"],
                              period_label=payload_period(dict(payload)).label(),
                              generated_at=payload_generated_at(dict(payload)),
                              covers=str(payload.get("branches") or ""))
    story = _STORIES[payload["kind"]](payload)
    story.extend(signature_block(branding))
    return document.render(keep_sections(story))


def branding_of(replica: Replica) -> ReportBranding:
    """The institute's branding from the replica's "institute" setting, else the default."""
    return ReportBranding.from_mapping(replica.get_state(STATE_KEY))


def default_author(replica: Replica, db: Db, permission: str = "reports.view"
                   ) -> uuid.UUID | None:
    """The signed-in user, or in a demo/standalone replica the first active account whose role
    grants `permission` (an administrator before a super administrator, as people expect)."""
    signed_in = replica.get_state("user_id")
    if signed_in:
        return uuid.UUID(str(signed_in))
    names = roles_holding(db, permission)
    supers = set(roles_holding(db, "setup.super_admin"))
    candidates = db.execute(
        select(User.id, User.role).where(User.role.in_(names),
                                         User.status == UserStatus.ACTIVE.value,
                                         User.deleted_at.is_(None))
        .order_by(User.created_at, User.email)).all()
    ordered = sorted(candidates, key=lambda c: c.role in supers)  # stable: keeps the order
    return ordered[0].id if ordered else None


def generate(replica: Replica, request: ReportRequest, out: Path, *,
             generated_by: uuid.UUID | None, branding: ReportBranding | None = None,
             record: bool = True) -> GeneratedReport:
    """Collect, render and record a report (see the module docstring for what is recorded).

    `generated_by` (a users.id) is required when recording.
    """
    if record and generated_by is None:
        raise ReportError("recording a report needs the user who generates it")
    started = time.perf_counter()
    with replica.read() as db:
        if request.with_money and "reports.financial" not in permissions_of(db, generated_by):
            raise ReportError("the money columns (collected, outstanding) take the permission "
                              f"reports.financial, which {_who(db, generated_by)} lacks")
        payload = collect(db, request)
        extra = _per_student_attendance(db, request) if record else []
    pages = render(payload, out, branding or branding_of(replica))
    recorded = (_record(replica, request, payload, extra, generated_by)
                if record and generated_by is not None else ())
    return GeneratedReport(Path(out), request.kind, pages, payload, recorded,
                           time.perf_counter() - started)


def _per_student_attendance(db: Db, request: ReportRequest) -> list[dict[str, Any]]:
    if request.kind != "attendance" or request.batch_id is None:
        return []
    students = attendance_report.batch_members(db, request.batch_id)
    return attendance_report.collect_student_attendance(
        db, students, request.period, batch_id=request.batch_id)


def _record(replica: Replica, request: ReportRequest, payload: dict[str, Any],
            per_student: list[dict[str, Any]], generated_by: uuid.UUID) -> tuple[uuid.UUID, ...]:
    period = request.period
    generated_at = payload_generated_at(payload)
    rows: list[StudentReport | FacultyReport] = []

    def student_row(kind: StudentReportType, data: dict[str, Any]) -> StudentReport:
        return StudentReport(student_id=uuid.UUID(data["student"]["id"]), report_type=kind,
                             report_period_start=period.start, report_period_end=period.end,
                             data=data, generated_by=generated_by, generated_at=generated_at)

    if request.kind == "progress":
        rows.append(student_row(StudentReportType.PROGRESS, payload))
    elif request.kind == "attendance" and request.student_id is not None:
        rows.append(student_row(StudentReportType.ATTENDANCE, payload))
    elif request.kind == "attendance":
        rows.extend(student_row(StudentReportType.ATTENDANCE, p) for p in per_student)
    elif request.kind == "batch":
        rows.extend(student_row(StudentReportType.PROGRESS, {**p, "batch": payload["batch"]})
                    for p in payload["students"])
    elif request.kind == "faculty":
        assert request.faculty_id is not None
        rows.append(FacultyReport(faculty_id=request.faculty_id,
                                  report_type=FacultyReportType.UTILIZATION,
                                  report_period_start=period.start,
                                  report_period_end=period.end, data=payload,
                                  generated_by=generated_by, generated_at=generated_at))
    if not rows:
        return ()
    with replica.write(replica.actor(generated_by)) as session:
        session.add_all(rows)
        session.flush()
        return tuple(row.id for row in rows)


def reprint(replica: Replica, report_id: uuid.UUID, out: Path, *,
            branding: ReportBranding | None = None) -> GeneratedReport:
    """Render a recorded report again from the data it stored (not from today's database)."""
    started = time.perf_counter()
    with replica.read() as db:
        data = None
        for model in (StudentReport, FacultyReport):
            data = db.execute(select(model.data).where(model.id == report_id,
                                                       model.deleted_at.is_(None))
                              ).scalar_one_or_none()
            if data is not None:
                break
    if data is None:
        raise ReportError(f"no recorded report with id {report_id}")
    pages = render(data, out, branding or branding_of(replica))
    return GeneratedReport(Path(out), data["kind"], pages, data, (report_id,),
                           time.perf_counter() - started)


# --- finding what the command line names ------------------------------------------------------

def find_student(db: Db, enrollment_no: str) -> uuid.UUID:
    found = db.execute(select(Student.id).where(
        func.lower(Student.enrollment_no) == enrollment_no.strip().lower(),
        Student.deleted_at.is_(None))).scalar_one_or_none()
    if found is None:
        raise ReportError(f"no student with enrollment number {enrollment_no!r}")
    return found


def find_branches(db: Db, codes: str) -> tuple[uuid.UUID, ...]:
    """The branches of comma-separated codes ("NOR,SOU"), in that order."""
    found = []
    for code in (c.strip() for c in codes.split(",") if c.strip()):
        branch = db.execute(select(Branch.id).where(func.upper(Branch.code) == code.upper(),
                                                    Branch.deleted_at.is_(None))
                            ).scalar_one_or_none()
        if branch is None:
            raise ReportError(f"no branch with code {code!r}")
        found.append(branch)
    return tuple(found)


def require_branches(db: Session, user_id: uuid.UUID, branch_ids: Collection[uuid.UUID]) -> None:
    """ReportError unless account `user_id` works in every one of `branch_ids` (who holds
    branches.all works in all): a report covers only branches its author may pick."""
    if "branches.all" in permissions_of(db, user_id):
        return
    linked = set(db.execute(select(UserBranch.branch_id).where(
        UserBranch.user_id == user_id, UserBranch.deleted_at.is_(None))).scalars())
    outside = [b for b in branch_ids if b not in linked]
    if outside:
        names = ", ".join(branch_names(db, outside))
        raise ReportError(f"{_who(db, user_id)} does not work in {names}; a report covers "
                          "only the branches its author works in")


def _who(db: Session, user_id: uuid.UUID | None) -> str:
    """An account by email, for messages ("the person generating the report" if unknown)."""
    email = None if user_id is None else db.execute(
        select(User.email).where(User.id == user_id)).scalar_one_or_none()
    return email or "the person generating the report"


def find_faculty(db: Db, employee_id: str) -> uuid.UUID:
    found = db.execute(select(Faculty.id).where(
        func.lower(Faculty.employee_id) == employee_id.strip().lower(),
        Faculty.deleted_at.is_(None))).scalar_one_or_none()
    if found is None:
        raise ReportError(f"no faculty member with employee id {employee_id!r}")
    return found


def find_batch(db: Db, name: str) -> uuid.UUID:
    """A batch by its name (case-insensitive) or, when names repeat, by its id."""
    try:
        by_id: uuid.UUID | None = uuid.UUID(name.strip())
    except ValueError:
        by_id = None
    if by_id is not None:
        found_id = db.execute(select(FlexibleBatch.id).where(
            FlexibleBatch.id == by_id, FlexibleBatch.deleted_at.is_(None))).scalar_one_or_none()
        if found_id is None:
            raise ReportError(f"no batch with id {name!r}")
        return found_id
    found = db.execute(select(FlexibleBatch.id, FlexibleBatch.start_date).where(
        func.lower(FlexibleBatch.name) == name.strip().lower(),
        FlexibleBatch.deleted_at.is_(None)).order_by(FlexibleBatch.start_date)).all()
    if not found:
        raise ReportError(f"no batch named {name!r}")
    if len(found) > 1:
        choices = "; ".join(f"{batch_id} (starts {start})" for batch_id, start in found)
        raise ReportError(f"{len(found)} batches are named {name!r}; pass the id of the one "
                          f"you mean: {choices}")
    return found[0][0]


def find_user(db: Db, email: str) -> uuid.UUID:
    found = db.execute(select(User.id).where(func.lower(User.email) == email.strip().lower(),
                                             User.deleted_at.is_(None))).scalar_one_or_none()
    if found is None:
        raise ReportError(f"no user with email {email!r}")
    return found
