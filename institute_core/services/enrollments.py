"""An enrollment's lifecycle: active, paused, completed or dropped, its dates, and why.

A change is an ordinary edit through the unit of work (so it syncs and is audited); the reason
is kept in the enrollment's notes as a dated line ("05 Dec 2026 · active → paused: exams"), so
the history reads on any desk without a table of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from institute_core.display import date_text
from institute_core.enums import EnrollmentStatus
from institute_core.replica import Actor, Replica
from institute_core.schema import Enrollment
from institute_core.setup.access import HasRole, require_admin
from institute_core.validation import InvalidInput

TABLE = "student_subject_enrollments"
STATUSES = tuple(s.value for s in EnrollmentStatus)


@dataclass(frozen=True)
class EnrollmentChange:
    """What the enrollment screen asks for; every field is the wanted value."""

    status: str
    enrollment_date: date
    expected_completion_date: date | None
    actual_completion_date: date | None
    reason: str


def change_enrollment(replica: Replica, actor: Actor, viewer: HasRole,
                      enrollment_id: uuid.UUID, wanted: EnrollmentChange, *,
                      today: date | None = None) -> None:
    """Apply `wanted`; `InvalidInput` names the field that is wrong and nothing is written.

    Rules: the status is one of `STATUSES`; a reason is given; the expected date is not before
    the enrollment date; a completed enrollment has a completion date (today when none is
    given), not before the enrollment date and not in the future.
    """
    require_admin(viewer, "change an enrollment", "students.manage")
    today = today or date.today()
    reason = " ".join(wanted.reason.split())
    if wanted.status not in STATUSES:
        raise InvalidInput(TABLE, "status", f"must be one of: {', '.join(STATUSES)}",
                           wanted.status)
    if not reason:
        raise InvalidInput(TABLE, "reason", "give the reason for the change (it is kept with "
                           "the enrollment)")
    expected, actual = wanted.expected_completion_date, wanted.actual_completion_date
    if expected is not None and expected < wanted.enrollment_date:
        raise InvalidInput(TABLE, "expected_completion_date",
                           "cannot be before the enrollment date", date_text(expected))
    if wanted.status == EnrollmentStatus.COMPLETED.value and actual is None:
        actual = today
    if actual is not None:
        if actual < wanted.enrollment_date:
            raise InvalidInput(TABLE, "actual_completion_date",
                               "cannot be before the enrollment date", date_text(actual))
        if actual > today:
            raise InvalidInput(TABLE, "actual_completion_date", "cannot be in the future",
                               date_text(actual))
    with replica.write(actor) as session:
        row = session.get(Enrollment, enrollment_id)
        if row is None or row.deleted_at is not None:
            raise InvalidInput(TABLE, "id", "no such enrollment", str(enrollment_id))
        what = (f"{row.status} → {wanted.status}" if row.status != wanted.status
                else f"{wanted.status}, dates changed")
        line = f"{date_text(today)} · {what}: {reason}"
        row.status = wanted.status
        row.enrollment_date = wanted.enrollment_date
        row.expected_completion_date = expected
        row.actual_completion_date = actual
        row.notes = f"{row.notes}\n{line}" if row.notes else line
