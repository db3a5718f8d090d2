"""Generated reports, kept with the data they showed so they can be printed again as they were."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import FacultyReportType, ReportStatus, StudentReportType
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import checks, not_after, one_of
from institute_core.schema.types import JsonDoc, utcnow


class StudentReport(Synced, Base):
    __tablename__ = "student_reports"
    __owner__ = OwnerRule("generated_by")
    __table_args__ = (
        Index("ix_student_reports_student_id", "student_id"),
        Index("ix_student_reports_report_type", "report_type"),
        *checks(
            one_of("report_type", StudentReportType),
            one_of("status", ReportStatus),
            not_after("report_period_start", "report_period_end", "the end of the period"),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    report_type: Mapped[str] = mapped_column(String(30))
    report_period_start: Mapped[date]
    report_period_end: Mapped[date]
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    generated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.GENERATED,
                                        server_default=ReportStatus.GENERATED.value)


class FacultyReport(Synced, Base):
    __tablename__ = "faculty_reports"
    __owner__ = OwnerRule("generated_by")
    __table_args__ = (
        Index("ix_faculty_reports_faculty_id", "faculty_id"),
        Index("ix_faculty_reports_report_type", "report_type"),
        *checks(
            one_of("report_type", FacultyReportType),
            one_of("status", ReportStatus),
            not_after("report_period_start", "report_period_end", "the end of the period"),
        ),
    )

    faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id", ondelete="CASCADE"))
    report_type: Mapped[str] = mapped_column(String(30))
    report_period_start: Mapped[date]
    report_period_end: Mapped[date]
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    generated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.GENERATED,
                                        server_default=ReportStatus.GENERATED.value)
