"""What every report payload shares: people's names, the period, JSON-safe values."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from institute_core.analytics.period import Db, Period
from institute_core.schema import Faculty, FlexibleBatch, Student, Subject, User

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class StudentInfo:
    """A student as reports name them."""

    id: uuid.UUID
    enrollment_no: str
    name: str
    admission_date: date
    status: str

    def as_payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "enrollment_no": self.enrollment_no, "name": self.name,
                "admission_date": self.admission_date.isoformat(), "status": self.status}


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def students_info(db: Db, student_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, StudentInfo]:
    """Name, enrollment number, admission date and status of each student."""
    rows = db.execute(
        select(Student.id, Student.enrollment_no, User.first_name, User.last_name,
               Student.admission_date, Student.status)
        .join(User, User.id == Student.user_id).where(Student.id.in_(list(student_ids))))
    return {sid: StudentInfo(sid, no, full_name(first, last), admitted, status)
            for sid, no, first, last, admitted, status in rows}


def faculty_names(db: Db) -> dict[uuid.UUID, str]:
    rows = db.execute(select(Faculty.id, User.first_name, User.last_name)
                      .join(User, User.id == Faculty.user_id))
    return {fid: full_name(first, last) for fid, first, last in rows}


def subject_names(db: Db) -> dict[uuid.UUID, str]:
    return dict(db.execute(select(Subject.id, Subject.name)).tuples().all())


def batch_names(db: Db) -> dict[uuid.UUID, str]:
    return dict(db.execute(select(FlexibleBatch.id, FlexibleBatch.name)).tuples().all())


def base_payload(kind: str, title: str, period: Period, sections: Sequence[str],
                 generated_at: datetime | None = None) -> dict[str, Any]:
    """The keys every payload has; `sections` are the ones chosen to appear, in order."""
    return {
        "version": PAYLOAD_VERSION,
        "kind": kind,
        "title": title,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "sections": list(sections),
    }


def payload_period(payload: dict[str, Any]) -> Period:
    return Period(date.fromisoformat(payload["period"]["start"]),
                  date.fromisoformat(payload["period"]["end"]))


def payload_generated_at(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["generated_at"])


def choose_sections(all_sections: Sequence[str], chosen: Collection[str] | None) -> list[str]:
    """The chosen sections in the report's own order; unknown names are an error."""
    if chosen is None:
        return list(all_sections)
    unknown = sorted(set(chosen) - set(all_sections))
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; "
                         f"this report has {', '.join(all_sections)}")
    return [s for s in all_sections if s in chosen]
