"""The portal's test institute: the small demo in PostgreSQL, two students who sign in, an
administrator, and the app (in process, or as a real server on a socket for the browser)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, update

from institute_core import migrations
from institute_core.demo import load_into_database
from institute_core.schema import table_of
from sync_server.app import create_app
from sync_server.auth.passwords import hash_password
from sync_server.settings import Settings, sqlalchemy_url
from tests.pg import throwaway_database
from tests.support.server import TEST_SECRET, ServerProcess, create_user, running_server

STUDENT_PASSWORD = "portal-student-2026"
ADMIN_EMAIL, ADMIN_PASSWORD = "portal-admin@example.org", "portal-admin-2026"


@dataclass(frozen=True)
class PortalStudent:
    student_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    enrollment_no: str


@dataclass(frozen=True)
class PortalWorld:
    url: str
    engine: Engine
    alice: PortalStudent  # enrolled, with sessions, attendance, assessments and a batch
    bob: PortalStudent  # another student: alice must never see a thing of his
    admin: uuid.UUID
    # Each student's one receipt (tests.portal.conftest.give_fees): student id -> payment id.
    receipts: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    # Each student's one certificate (give_certificate): student id -> certificate id.
    certificates: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    # The notice board (give_announcements): name -> announcement id.
    announcements: dict[str, uuid.UUID] = field(default_factory=dict)


def _pick_students(engine: Engine) -> list[PortalStudent]:
    """Two students with enrollments, sessions, attendance, assessments and a batch."""
    st, us = table_of("students"), table_of("users")
    ses, asm, mem = (table_of("learning_sessions"), table_of("assessments"),
                     table_of("batch_members"))
    att = table_of("session_attendance")
    busy = (select(st.c.id, st.c.user_id, us.c.email, us.c.first_name, us.c.last_name,
                   st.c.enrollment_no)
            .join(us, us.c.id == st.c.user_id)
            .where(st.c.id.in_(select(ses.c.student_id)), st.c.id.in_(select(asm.c.student_id)),
                   st.c.id.in_(select(mem.c.student_id)), st.c.id.in_(select(att.c.student_id)),
                   st.c.deleted_at.is_(None), us.c.status == "active")
            .order_by(st.c.enrollment_no).limit(2))
    with engine.connect() as conn:
        rows = conn.execute(busy).all()
    assert len(rows) == 2, "the small demo has no two busy students any more"
    return [PortalStudent(r.id, r.user_id, r.email, f"{r.first_name} {r.last_name}",
                          r.enrollment_no) for r in rows]


FEE_PLAN = "Python course fee"
BRANCH_NAME, BRANCH_ADDRESS = "Koramangala centre", "12 80 Feet Road, Koramangala, Bengaluru"
BRANCH_PHONE = "+91 80 4123 4567"
PAID, DUE_LATER, OVERDUE = Decimal("6000.00"), Decimal("4500.00"), Decimal("3000.00")


def give_fees(engine: Engine, student_id: uuid.UUID, admin: uuid.UUID, n: int) -> uuid.UUID:
    """A three-instalment plan: the first paid (one receipt), the second overdue, the third
    due next month; the payment's id."""
    from sqlalchemy.orm import Session

    from institute_core.schema import FeeInstalment, FeePlan, Payment, PaymentAllocation

    today = date.today()
    with Session(engine) as session, session.begin():
        plan = FeePlan(student_id=student_id, name=FEE_PLAN, kind="instalments",
                       total=PAID + OVERDUE + DUE_LATER)
        session.add(plan)
        session.flush()
        instalments = [FeeInstalment(plan_id=plan.id, student_id=student_id, number=i + 1,
                                     due_on=today + timedelta(days=days), amount=amount)
                       for i, (days, amount) in enumerate(((-40, PAID), (-10, OVERDUE),
                                                           (25, DUE_LATER)))]
        session.add_all(instalments)
        payment = Payment(student_id=student_id, receipt_no=f"2026-27/D09/{n:06d}",
                          paid_on=today - timedelta(days=41), amount=PAID, mode="upi",
                          reference=f"UTR41235{n}", taxable=PAID, received_by=admin)
        session.add(payment)
        session.flush()
        session.add(PaymentAllocation(payment_id=payment.id, instalment_id=instalments[0].id,
                                      student_id=student_id, amount=PAID))
        return payment.id


def give_certificate(engine: Engine, student: PortalStudent, admin: uuid.UUID,
                     n: int) -> uuid.UUID:
    """A certificate of completion, as a desk issues it (its template, number and token)."""
    from sqlalchemy.orm import Session

    from institute_core.schema import Certificate, CertificateTemplate

    with Session(engine) as session, session.begin():
        template = CertificateTemplate(
            name=f"Completion {n}", title="Certificate of Completion",
            body="This certifies that {student_name} ({enrollment_no}) has completed the "
                 "course {course} on {date}.",
            signatures="Asha Rao, Course lead", layout="landscape", auto_issue=False,
            is_active=True)
        session.add(template)
        session.flush()
        certificate = Certificate(
            template_id=template.id, student_id=student.student_id,
            certificate_number=f"MAIN/2026-27/D09/{n:06d}",
            verification_token=f"portal-{n}-{uuid.uuid4().hex}", issued_on=date(2026, 11, 28),
            issued_by=admin, student_name=student.name, course_name="Python Programming")
        session.add(certificate)
        session.flush()
        return certificate.id


NOTICES = {"holiday": "Institute closed for Diwali", "alice_batch": "Extra class for your batch",
           "bob_batch": "Room change for the other batch", "expired": "Last month's fair",
           "staff": "Staff meeting on Monday"}


def give_announcements(engine: Engine, alice: PortalStudent, bob: PortalStudent,
                       admin: uuid.UUID) -> dict[str, uuid.UUID]:
    """A pinned notice for everyone, one for a batch of alice's (not bob's), one for a batch of
    bob's (not alice's), an expired one and one for faculty only."""
    from sqlalchemy.orm import Session

    from institute_core.schema import Announcement
    from institute_core.schema.types import utcnow

    mem = table_of("batch_members")
    with engine.connect() as conn:
        batches = {s: set(conn.execute(select(mem.c.batch_id).where(
            mem.c.student_id == s.student_id, mem.c.left_on.is_(None),
            mem.c.deleted_at.is_(None))).scalars()) for s in (alice, bob)}
    only = {s: sorted(batches[s] - batches[o]) for s, o in ((alice, bob), (bob, alice))}
    assert only[alice] and only[bob], "alice and bob share every batch in the small demo"
    now = utcnow()
    rows = {
        "holiday": dict(audience="everyone", pinned=True,
                        body="Closed from 1 to 3 November.\nClasses resume on the 4th."),
        "alice_batch": dict(audience="batch", batch_id=only[alice][0],
                            body="Saturday 10:00, same room."),
        "bob_batch": dict(audience="batch", batch_id=only[bob][0], body="Now in room 4."),
        "expired": dict(audience="everyone", body="It is over.",
                        expires_at=now - timedelta(days=1)),
        "staff": dict(audience="role", audience_role="faculty", body="Bring your plans."),
    }
    with Session(engine) as session, session.begin():
        made = {name: Announcement(title=NOTICES[name], author_id=admin, **values)
                for name, values in rows.items()}
        session.add_all(made.values())
        session.flush()
        return {name: row.id for name, row in made.items()}


@pytest.fixture(scope="session")
def portal_world(pg_admin_url: str) -> Iterator[PortalWorld]:
    with throwaway_database(pg_admin_url, prefix="idportal") as url:
        engine = create_engine(sqlalchemy_url(url))
        migrations.upgrade(engine)
        load_into_database(engine, size="small", seed=7)
        alice, bob = _pick_students(engine)
        users = table_of("users")
        with engine.begin() as conn:  # demo students have no password: give these two one
            conn.execute(update(users).where(users.c.id.in_([alice.user_id, bob.user_id]))
                         .values(password_hash=hash_password(STUDENT_PASSWORD)))
            assert conn.execute(select(func.count()).select_from(users).where(
                users.c.email == ADMIN_EMAIL)).scalar() == 0
        admin = create_user(url, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, role="admin")
        with engine.begin() as conn:  # the centre a student's home page names
            conn.execute(update(table_of("branches")).where(
                table_of("branches").c.code == "MAIN").values(
                name=BRANCH_NAME, address=BRANCH_ADDRESS, phone=BRANCH_PHONE))
        receipts = {s.student_id: give_fees(engine, s.student_id, admin, n)
                    for n, s in enumerate((alice, bob), start=1)}
        certificates = {s.student_id: give_certificate(engine, s, admin, n)
                        for n, s in enumerate((alice, bob), start=901)}
        notices = give_announcements(engine, alice, bob, admin)
        yield PortalWorld(url, engine, alice, bob, admin, receipts, certificates, notices)
        engine.dispose()


def portal_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"portal_secure_cookies": False, **overrides}
    return Settings(database_url=sqlalchemy_url(url), secret_key=TEST_SECRET, **values)  # type: ignore[arg-type]


@pytest.fixture
def portal(portal_world: PortalWorld) -> Iterator[TestClient]:
    """The app in process, with cookies allowed over plain HTTP (as on a trial machine)."""
    with TestClient(create_app(portal_settings(portal_world.url)),
                    follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def portal_server(portal_world: PortalWorld) -> Iterator[ServerProcess]:
    """The real server on a socket (uvicorn), for the browser."""
    with running_server(portal_world.url, INSTITUTE_PORTAL_SECURE_COOKIES="0") as server:
        yield server
