"""Recording assessments: percentage and grade are computed, never typed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from institute_core.enums import AssessmentStatus, AssessmentType
from institute_core.ids import natural_id
from institute_core.replica import Actor, Replica
from institute_core.schema import Assessment, Enrollment
from institute_core.services.common import faculty_id_of
from institute_core.validation import InvalidInput

# Lowest percentage for each grade, best first.
GRADE_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(90), "A+"), (Decimal(80), "A"), (Decimal(70), "B"), (Decimal(60), "C"),
    (Decimal(50), "D"), (Decimal(0), "F"),
)


@dataclass(frozen=True)
class AssessmentResult:
    """An assessment as saved."""

    id: uuid.UUID
    status: AssessmentStatus
    percentage: Decimal | None
    grade: str | None


def _decimal(field: str, value: Decimal | int | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput("assessments", field, "must be a number", value) from None


def score(marks: Decimal, total: Decimal) -> tuple[Decimal, str]:
    """Percentage (two decimals, half up) and grade of `marks` out of `total`."""
    if total <= 0:
        raise InvalidInput("assessments", "total_marks", "must be more than 0", total)
    if marks < 0 or marks > total:
        raise InvalidInput("assessments", "marks_obtained",
                           f"must be between 0 and the total marks ({total})", marks)
    percentage = (marks * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    grade = next(g for floor, g in GRADE_BANDS if percentage >= floor)
    return percentage, grade


def record(replica: Replica, actor: Actor, *, student_id: uuid.UUID, subject_id: uuid.UUID,
           kind: AssessmentType | str, title: str, total_marks: Decimal | int | str,
           on: date, marks_obtained: Decimal | int | str | None = None,
           topic_id: uuid.UUID | None = None, faculty_id: uuid.UUID | None = None,
           feedback: str | None = None) -> AssessmentResult:
    """Record an assessment: pending without marks, graded with them."""
    total = _decimal("total_marks", total_marks)
    if total is None:
        raise InvalidInput("assessments", "total_marks", "is required")
    marks = _decimal("marks_obtained", marks_obtained)
    percentage, grade = score(marks, total) if marks is not None else (None, None)
    try:
        kind = AssessmentType(kind)
    except ValueError:
        raise InvalidInput("assessments", "assessment_type",
                           "must be one of " + ", ".join(AssessmentType), kind) from None
    status = AssessmentStatus.GRADED if marks is not None else AssessmentStatus.PENDING
    with replica.write(actor) as session:
        faculty = faculty_id or faculty_id_of(session, actor.user_id)
        if faculty is None:
            # An admin records it for the faculty member who teaches the student the subject.
            enrollment = session.get(Enrollment, natural_id("student_subject_enrollments",
                                                            student_id, subject_id))
            faculty = enrollment.faculty_id if enrollment is not None else None
        if faculty is None:
            raise InvalidInput("assessments", "faculty_id",
                               "an assessment needs the faculty member who set it")
        row = Assessment(student_id=student_id, subject_id=subject_id, topic_id=topic_id,
                         assessment_type=kind.value, title=title.strip(), total_marks=total,
                         marks_obtained=marks, percentage=percentage, grade=grade,
                         assessment_date=on, faculty_id=faculty, feedback=feedback,
                         status=status.value)
        session.add(row)
        session.flush()
        return AssessmentResult(row.id, status, percentage, grade)


def grade(replica: Replica, actor: Actor, assessment_id: uuid.UUID,
          marks_obtained: Decimal | int | str, feedback: str | None = None) -> AssessmentResult:
    """Enter the marks of a pending assessment: it becomes graded."""
    marks = _decimal("marks_obtained", marks_obtained)
    if marks is None:
        raise InvalidInput("assessments", "marks_obtained", "is required to grade")
    with replica.write(actor) as session:
        row = session.get(Assessment, assessment_id)
        if row is None or row.deleted_at is not None:
            raise InvalidInput("assessments", "id", "no such assessment", str(assessment_id))
        percentage, letter = score(marks, row.total_marks)
        row.marks_obtained = marks
        row.percentage = percentage
        row.grade = letter
        row.status = AssessmentStatus.GRADED.value
        if feedback is not None:
            row.feedback = feedback
        return AssessmentResult(row.id, AssessmentStatus.GRADED, percentage, letter)
