"""Certificate templates and issued certificates (seed 003, issue 20).

A certificate is a numbered document, a fact: it is issued once (on a desk, maybe offline, with
a number from that desk's own series) and afterwards only revoked, never edited; the name and
course it certifies are copied into it, so renaming a subject later does not change what was
certified. Anyone holding one can check it on the server's public verification page through its
random `verification_token` (printed as a QR code); the number alone lists nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import CertificateLayout
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import between, checks, not_blank, one_of
from institute_core.schema.types import money


class CertificateTemplate(Synced, Base):
    """How a certificate reads and looks, and when one is issued by itself."""

    __tablename__ = "certificate_templates"
    __table_args__ = (
        *checks(
            not_blank("name"),
            not_blank("title"),
            not_blank("body"),
            one_of("layout", CertificateLayout),
            between("min_attendance_pct", 0, 100),
            between("min_grade_pct", 0, 100),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    # Text with {student_name}, {course}, {date}, {number}, {institute}, {enrollment_no}.
    body: Mapped[str] = mapped_column(Text)
    # One signatory a line: "Name, Title".
    signatures: Mapped[str | None] = mapped_column(Text)
    logo_path: Mapped[str | None] = mapped_column(String(500))
    layout: Mapped[str] = mapped_column(String(20), default=CertificateLayout.LANDSCAPE,
                                        server_default=CertificateLayout.LANDSCAPE.value)
    # The course it certifies (None: any subject's completion).
    subject_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subjects.id", ondelete="SET NULL"))
    # Issue rules: on enrollment completion (all topics completed), with an optional minimum
    # attendance rate and average assessment percentage.
    auto_issue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    min_attendance_pct: Mapped[Decimal | None] = mapped_column(money(5, 2))
    min_grade_pct: Mapped[Decimal | None] = mapped_column(money(5, 2))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Certificate(Synced, Base):
    """One issued certificate: its number, what it certifies, and whether it was revoked."""

    __tablename__ = "certificates"
    __owner__ = OwnerRule("issued_by")
    __table_args__ = (
        UniqueConstraint("certificate_number"),
        UniqueConstraint("verification_token"),
        Index("ix_certificates_student_id", "student_id"),
        Index("ix_certificates_enrollment_id", "enrollment_id"),
        *checks(
            not_blank("certificate_number"),
            not_blank("student_name"),
            not_blank("course_name"),
        ),
    )

    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_templates.id"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("student_subject_enrollments.id", ondelete="SET NULL"))
    # "<series>-<n>": the issuing desk's own series, so desks offline never collide.
    certificate_number: Mapped[str] = mapped_column(String(100))
    # Random, printed as a QR code: what the public verification page is opened with.
    verification_token: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date]
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    student_name: Mapped[str] = mapped_column(String(200))
    course_name: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
