"""Certificate templates and certificates on a desk: save a template, issue (by hand or by the
templates' rules), revoke. Writes go through `replica.write(actor)`, so they sync; only
administrators may do them (the server's policy says the same, docs/security.md).

Issuing by rule: a template with `auto_issue` certifies every enrollment in its subject (any
subject when it names none) whose topics are all completed, when the student's attendance rate
in that subject and their average assessment percentage reach the template's minimums (each
optional); an enrollment is certified once per template. The completion figures are the
progress report's own (`analytics.prediction`, `analytics.attendance`).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.analytics import attendance, prediction
from institute_core.analytics.period import Db, Period
from institute_core.engagement.access import NotAllowed, require_any
from institute_core.enums import CertificateLayout
from institute_core.numbering import SERIES_STATE_KEY, next_number
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    Assessment,
    Branch,
    Certificate,
    CertificateTemplate,
    Enrollment,
    Student,
    Subject,
    User,
)
from institute_core.schema.types import utcnow
from institute_core.services.common import full_name
from institute_core.validation import InvalidInput

ADMINS = frozenset({"certificates.issue"})  # who keeps templates, issues and revokes
PLACEHOLDERS = ("student_name", "course", "date", "number", "institute", "enrollment_no")
__all__ = ["NotAllowed"]


@dataclass(frozen=True)
class TemplateDraft:
    """What an administrator edits on a template."""

    name: str
    title: str
    body: str
    signatures: str | None = None
    logo_path: str | None = None
    layout: str = CertificateLayout.LANDSCAPE.value
    subject_id: uuid.UUID | None = None
    auto_issue: bool = False
    min_attendance_pct: Decimal | None = None
    min_grade_pct: Decimal | None = None
    is_active: bool = True


def _check_body(body: str) -> None:
    """Refuse a body naming a placeholder that does not exist ({studnet_name})."""
    import string

    for _text, field, _spec, _conv in string.Formatter().parse(body):
        if field is not None and field not in PLACEHOLDERS:
            raise InvalidInput("certificate_templates", "body",
                               f"{{{field}}} is not a placeholder; use "
                               + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS), field)


def save_template(replica: Replica, actor: Actor, draft: TemplateDraft,
                  template_id: uuid.UUID | None = None) -> uuid.UUID:
    """Create a template, or change the one `template_id` names."""
    _check_body(draft.body)
    with replica.write(actor) as session:
        require_any(session, actor.user_id, ADMINS, "editing certificate templates")
        template = (session.get(CertificateTemplate, template_id) if template_id
                    else CertificateTemplate())
        if template is None:
            raise InvalidInput("certificate_templates", None, "no such template",
                               template_id)
        for field_name, value in draft.__dict__.items():
            setattr(template, field_name, value)
        template.updated_at = utcnow()
        session.add(template)
        session.flush()
        return template.id


def fill_body(body: str, values: dict[str, str]) -> str:
    """The template's body with its placeholders filled (unknown ones stay as written)."""

    class _Keep(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return body.format_map(_Keep(values))


@dataclass(frozen=True)
class IssuedCertificate:
    id: uuid.UUID
    number: str
    token: str
    student_name: str
    course_name: str
    issued_on: date


def _issue(session: Session, actor: Actor, template: CertificateTemplate,
           student_id: uuid.UUID, enrollment_id: uuid.UUID | None,
           today: date, series: str | None) -> IssuedCertificate:
    student = session.execute(
        select(User.first_name, User.last_name, Branch.code.label("branch_code"))
        .join(Student, Student.user_id == User.id)
        .outerjoin(Branch, Branch.id == Student.branch_id)
        .where(Student.id == student_id, Student.deleted_at.is_(None))).first()
    if student is None:
        raise InvalidInput("certificates", "student_id", "no such student", student_id)
    subject_id = template.subject_id
    if enrollment_id is not None:
        subject_id = session.execute(select(Enrollment.subject_id).where(
            Enrollment.id == enrollment_id, Enrollment.student_id == student_id)).scalar()
        if subject_id is None:
            raise InvalidInput("certificates", "enrollment_id",
                               "not an enrollment of this student", enrollment_id)
    course = (session.execute(select(Subject.name).where(Subject.id == subject_id)).scalar()
              if subject_id else None) or template.title
    assert actor.user_id is not None
    certificate = Certificate(
        template_id=template.id, student_id=student_id, enrollment_id=enrollment_id,
        # The desk's own series (institute_core/numbering.py), as receipts: offline desks
        # never collide, and the server refuses a number outside the pusher's series.
        certificate_number=next_number(session, "certificates", "certificate_number", series,
                                       today, branch=student.branch_code),
        verification_token=secrets.token_urlsafe(24), issued_on=today,
        issued_by=actor.user_id, student_name=full_name(student.first_name, student.last_name),
        course_name=course)
    session.add(certificate)
    session.flush()
    return IssuedCertificate(certificate.id, certificate.certificate_number,
                             certificate.verification_token, certificate.student_name,
                             certificate.course_name, today)


def issue(replica: Replica, actor: Actor, template_id: uuid.UUID, student_id: uuid.UUID,
          enrollment_id: uuid.UUID | None = None, today: date | None = None
          ) -> IssuedCertificate:
    """Issue a certificate by hand."""
    with replica.write(actor) as session:
        require_any(session, actor.user_id, ADMINS, "issuing certificates")
        template = session.get(CertificateTemplate, template_id)
        if template is None or template.deleted_at is not None:
            raise InvalidInput("certificates", "template_id", "no such template", template_id)
        return _issue(session, actor, template, student_id, enrollment_id,
                      today or date.today(), replica.get_state(SERIES_STATE_KEY))


def revoke(replica: Replica, actor: Actor, certificate_id: uuid.UUID, reason: str) -> None:
    """Revoke a certificate, saying why (the verification page shows it)."""
    if not reason.strip():
        raise InvalidInput("certificates", "revoked_reason", "say why it is revoked")
    with replica.write(actor) as session:
        require_any(session, actor.user_id, ADMINS, "revoking certificates")
        certificate = session.get(Certificate, certificate_id)
        if certificate is None:
            raise InvalidInput("certificates", None, "no such certificate", certificate_id)
        certificate.revoked_at = utcnow()
        certificate.revoked_reason = reason.strip()
        certificate.updated_at = utcnow()


@dataclass(frozen=True)
class Due:
    """An enrollment a template's rules certify now."""

    template_id: uuid.UUID
    student_id: uuid.UUID
    enrollment_id: uuid.UUID


def due(db: Db, today: date) -> list[Due]:
    """Every enrollment an automatic template certifies and that has no certificate of it."""
    templates = db.execute(select(CertificateTemplate).where(
        CertificateTemplate.auto_issue.is_(True), CertificateTemplate.is_active.is_(True),
        CertificateTemplate.deleted_at.is_(None))).scalars().all()
    if not templates:
        return []
    issued = {(t, e) for t, e in db.execute(select(Certificate.template_id,
                                                   Certificate.enrollment_id)
                                            .where(Certificate.deleted_at.is_(None)))}
    complete = [p for p in prediction.predict_completion(db, today, ranges=False)
                if p.topics_total and p.topics_done >= p.topics_total]
    found = []
    for template in templates:
        for p in complete:
            if template.subject_id not in (None, p.subject_id) \
                    or (template.id, p.enrollment_id) in issued:
                continue
            if _meets(db, template, p, today):
                found.append(Due(template.id, p.student_id, p.enrollment_id))
    return found


def _meets(db: Db, template: CertificateTemplate, p: prediction.CompletionPrediction,
           today: date) -> bool:
    if template.min_attendance_pct is not None:
        enrolled = db.execute(select(Enrollment.enrollment_date).where(
            Enrollment.id == p.enrollment_id)).scalar_one()
        marks = attendance.attendance_marks(db, Period(min(enrolled, today), today),
                                            student_ids=[p.student_id],
                                            subject_id=p.subject_id)
        rate = attendance.summarize(marks).rate
        if rate is None or Decimal(str(rate)) < template.min_attendance_pct:
            return False
    if template.min_grade_pct is not None:
        average = db.execute(select(func.avg(Assessment.percentage)).where(
            Assessment.student_id == p.student_id, Assessment.subject_id == p.subject_id,
            Assessment.deleted_at.is_(None))).scalar()
        if average is None or Decimal(str(average)) < template.min_grade_pct:
            return False
    return True


def issue_due(replica: Replica, actor: Actor, today: date | None = None
              ) -> list[IssuedCertificate]:
    """Issue every certificate the automatic templates' rules call for now."""
    today = today or date.today()
    with replica.read() as db:
        found = due(db, today)
    issued = []
    for item in found:
        issued.append(issue(replica, actor, item.template_id, item.student_id,
                            item.enrollment_id, today))
    return issued


# --- lists for the desk ------------------------------------------------------------------------

@dataclass(frozen=True)
class TemplateRow:
    id: uuid.UUID
    draft: TemplateDraft
    course: str


@dataclass(frozen=True)
class CertificateRow:
    id: uuid.UUID
    number: str
    student_name: str
    course_name: str
    issued_on: date
    revoked_reason: str | None
    branch_id: uuid.UUID | None = None  # the student's branch now

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_reason is not None else "valid"


def list_templates(replica: Replica) -> tuple[TemplateRow, ...]:
    with replica.read() as db:
        rows = db.execute(select(CertificateTemplate, Subject.name)
                          .outerjoin(Subject, Subject.id == CertificateTemplate.subject_id)
                          .where(CertificateTemplate.deleted_at.is_(None))
                          .order_by(CertificateTemplate.name)).all()
    fields = TemplateDraft.__dataclass_fields__
    return tuple(TemplateRow(t.id, TemplateDraft(**{f: getattr(t, f) for f in fields}),
                             course or "any subject") for t, course in rows)


def list_certificates(replica: Replica) -> tuple[CertificateRow, ...]:
    with replica.read() as db:
        rows = db.execute(select(Certificate, Student.branch_id)
                          .outerjoin(Student, Student.id == Certificate.student_id)
                          .where(Certificate.deleted_at.is_(None))
                          .order_by(Certificate.issued_on.desc(),
                                    Certificate.certificate_number.desc())).tuples().all()
    return tuple(CertificateRow(c.id, c.certificate_number, c.student_name, c.course_name,
                                c.issued_on, c.revoked_reason if c.revoked_at else None,
                                branch_id)
                 for c, branch_id in rows)


def subjects(replica: Replica) -> tuple[tuple[uuid.UUID, str], ...]:
    with replica.read() as db:
        return tuple(db.execute(select(Subject.id, Subject.name)
                                .where(Subject.deleted_at.is_(None))
                                .order_by(Subject.name)).tuples())
