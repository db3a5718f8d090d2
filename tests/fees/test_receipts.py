"""Receipts and statements as real PDFs: what they print, read back with pypdf."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

from pypdf import PdfReader

from institute_core.enums import GstMode, PlanKind
from institute_core.fees.documents import receipt_data, statement_data
from institute_core.fees.payments import (
    PaymentRequest,
    cancel_payment,
    record_cheque_step,
    take_payment,
)
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.fees.printing import render_receipt, render_statement
from institute_core.fees.settings import FeeSettings
from institute_core.replica import Actor, Replica
from institute_core.reports.branding import ReportBranding
from tests.services.fixtures import Institute

TODAY = date(2026, 12, 5)
BRANDING = ReportBranding(name="Sharma Coaching Centre",
                          address="14 MG Road, Bengaluru 560001")
SETTINGS = FeeSettings(gstin="29ABCDE1234F1Z5", state="Karnataka", paper="A5")


def _text(path: Path) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(path).pages)


def _course(replica: Replica, actor: Actor, institute: Institute) -> None:
    make_plan(replica, actor, PlanRequest(
        student_id=institute.student_ids[0], name="Full Stack course", price=D("105932.20"),
        kind=PlanKind.INSTALMENTS.value, instalments=2, first_due=TODAY - timedelta(days=10),
        every_months=2, gst_mode=GstMode.EXCLUSIVE.value, gst_rate=D("18")), TODAY)


def test_a_receipt_prints_what_was_paid_for_the_tax_the_words_and_what_is_still_due(
        replica: Replica, institute: Institute, counselor: Actor, tmp_path: Path) -> None:
    _course(replica, counselor, institute)  # 1,25,000.00 with GST, in two dues of 62,500
    taken = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "62500", "upi", reference="412345678901"), TODAY)
    with replica.read() as session:
        data = receipt_data(session, taken.payment_id)
    started = time.perf_counter()
    out = render_receipt(data, BRANDING, SETTINGS, tmp_path / "receipt.pdf")
    took = time.perf_counter() - started
    text = _text(out)
    for expected in ("Sharma Coaching Centre", "GSTIN 29ABCDE1234F1Z5", "MAIN/2026-27/D07/000001",
                     "Full Stack course – instalment 1 of 2", "UPI", "UTR 412345678901",
                     "Rupees Sixty-Two Thousand Five Hundred Only", "CGST", "SGST",
                     "₹52,966.10", "₹4,766.95", "₹62,500.00", "Balance still due",
                     "Next due"):
        assert expected in text, expected
    assert data.taxable + data.cgst + data.sgst == data.amount == D("62500.00")
    assert data.next_due_on == TODAY - timedelta(days=10) + timedelta(days=61)
    assert len(PdfReader(out).pages) == 1
    assert took < 1.0  # the 300 ms budget is measured by bench/fees_bench.py


def test_a_cancelled_receipt_and_a_bounced_cheque_say_so_on_the_reprint(
        replica: Replica, institute: Institute, counselor: Actor, admin: Actor,
        tmp_path: Path) -> None:
    _course(replica, counselor, institute)
    cash = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "1000", "cash"), TODAY)
    cheque = take_payment(replica, counselor, PaymentRequest(
        institute.student_ids[0], "2000", "cheque", reference="004512", bank="SBI",
        instrument_date=TODAY), TODAY)
    cancel_payment(replica, admin, cash.payment_id, "typed twice", TODAY)
    record_cheque_step(replica, counselor, cheque.payment_id, "bounced", TODAY)
    with replica.read() as session:
        cancelled = render_receipt(receipt_data(session, cash.payment_id), BRANDING, SETTINGS,
                                   tmp_path / "cancelled.pdf")
        bounced = render_receipt(receipt_data(session, cheque.payment_id), BRANDING,
                                 SETTINGS, tmp_path / "bounced.pdf")
        statement = render_statement(statement_data(session, institute.student_ids[0]),
                                     BRANDING, SETTINGS, tmp_path / "statement.pdf")
    assert "CANCELLED" in _text(cancelled)
    assert "CHEQUE BOUNCED" in _text(bounced) and "Cheque · no. 004512 · SBI" in _text(bounced)
    text = _text(statement)
    for expected in ("Statement of account", "instalment 1 due", "instalment 2 due",
                     "Receipt MAIN/2026-27/D07/000001", "cancelled:", "typed twice",
                     "Receipt MAIN/2026-27/D07/000002", "bounced", "₹1,25,000.00"):
        assert expected in text, expected
