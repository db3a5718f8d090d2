"""Generated reports, kept with the data they showed so they can be printed again as they were."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import FacultyReportType, ReportStatus, StudentReportType
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import checks, not_after, one_of
from institute_core.schema.types import JsonDoc, utcnow


def _report_table_args(table: str, subject: str, types: type[StrEnum]) -> tuple[Any, ...]:
    return (
        Index(f"ix_{table}_{subject}", subject),
        Index(f"ix_{table}_report_type", "report_type"),
        *checks(
            one_of("report_type", types),
            one_of("status", ReportStatus),
            not_after("report_period_start", "report_period_end", "the end of the period"),
        ),
    )


class _KeptReport:
    """What a kept report holds whoever it is about: the period, the figures, who made it."""

    __owner__: ClassVar[OwnerRule | None] = OwnerRule("generated_by")

    report_type: Mapped[str] = mapped_column(String(30))
    report_period_start: Mapped[date]
    report_period_end: Mapped[date]
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    generated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.GENERATED,
                                        server_default=ReportStatus.GENERATED.value)


class StudentReport(_KeptReport, Synced, Base):
    __tablename__ = "student_reports"
    __table_args__ = _report_table_args("student_reports", "student_id", StudentReportType)

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))


class FacultyReport(_KeptReport, Synced, Base):
    __tablename__ = "faculty_reports"
    __table_args__ = _report_table_args("faculty_reports", "faculty_id", FacultyReportType)

    faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id", ondelete="CASCADE"))
