"""Two front desks offline take money for the same instalment, then sync through a real
server on PostgreSQL: both receipts are kept (numbers from each desk's own series), the student
shows the overpayment, and a desk cannot push a number of another desk's series."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

from sqlalchemy import select

from institute_core.enums import PlanKind
from institute_core.fees.ledger import ledger_of
from institute_core.fees.payments import PaymentRequest, take_payment
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.numbering import SERIES_STATE_KEY, parse
from institute_core.schema import Payment
from institute_core.sync.account import sync_replica
from institute_core.sync.runner import SyncReport
from sync_server.settings import make_engine
from tests.support.server import ServerProcess
from tests.sync.builders import add_student, add_subject
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk

TODAY = date(2026, 12, 5)


def _sync(desk: Desk) -> SyncReport:
    return sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)


def _server_receipts(institute: Institute) -> list[str]:
    engine = make_engine(institute.url)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(select(Payment.receipt_no)).scalars())
    finally:
        engine.dispose()


def test_two_desks_offline_both_keep_their_receipts_and_the_overpayment_shows(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    subject, _topics = add_subject(admin.replica, admin.user_id)
    student = add_student(admin.replica, admin.user_id, "ENR-1", counselor_id=institute.counselor,
                          subject_id=subject, faculty_id=institute.faculty)
    make_plan(admin.replica, admin.replica.actor(admin.user_id), PlanRequest(
        student_id=student, name="Python course", price=D("20000"),
        kind=PlanKind.INSTALMENTS.value, instalments=2, first_due=TODAY), TODAY)
    assert not _sync(admin).rejected
    front = [open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"],
                       name=f"front-{n}")[0] for n in (1, 2)]
    series = [desk.replica.get_state(SERIES_STATE_KEY) for desk in front]
    assert all(series) and series[0] != series[1] != admin.replica.get_state(SERIES_STATE_KEY)

    # Offline, both desks take the first instalment.
    taken = [take_payment(desk.replica, desk.replica.actor(desk.user_id), PaymentRequest(
        student, "10000", "cash"), TODAY) for desk in front]
    assert [parse(t.receipt_no).series for t in taken] == series  # type: ignore[union-attr]
    assert taken[0].receipt_no != taken[1].receipt_no

    for desk in (*front, *front, admin):
        assert not _sync(desk).rejected
    assert _server_receipts(institute) == sorted(t.receipt_no for t in taken)
    for desk in (*front, admin):
        with desk.replica.read() as session:
            book = ledger_of(session, student)
        # Both payments count; instalment 1 is paid twice over, instalment 2 still open.
        assert (book.paid, book.credit, book.outstanding) == (
            D("20000.00"), D("10000.00"), D("10000.00")), desk.replica.get_state("role")
        assert [d.overpaid for d in book.dues] == [D("10000.00"), D("0.00")]


def test_a_desk_cannot_push_a_receipt_number_of_another_desks_series(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    subject, _topics = add_subject(admin.replica, admin.user_id)
    student = add_student(admin.replica, admin.user_id, "ENR-2", counselor_id=institute.counselor,
                          subject_id=subject, faculty_id=institute.faculty)
    assert not _sync(admin).rejected
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    mine = front.replica.get_state(SERIES_STATE_KEY)
    # A tampered desk claims the admin desk's series for its own receipt.
    front.replica.set_state(SERIES_STATE_KEY, admin.replica.get_state(SERIES_STATE_KEY))
    forged = take_payment(front.replica, front.replica.actor(front.user_id),
                          PaymentRequest(student, "500", "cash"), TODAY)
    report = _sync(front)
    assert [r.table for r in report.rejected] == ["payments"]
    assert "not a number of this device's series" in report.rejected[0].reason
    assert mine in report.rejected[0].reason
    assert forged.receipt_no not in _server_receipts(institute)
