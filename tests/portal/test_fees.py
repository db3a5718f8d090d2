"""Fees on the portal: what is due with its dates, what was paid, and the receipt PDF the desk
prints, for the signed-in student or guardian only; and the student's centre."""

from __future__ import annotations

import io
import uuid

from fastapi.testclient import TestClient
from pypdf import PdfReader

from institute_core.display import money
from tests.portal.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    BRANCH_ADDRESS,
    BRANCH_NAME,
    BRANCH_PHONE,
    DUE_LATER,
    FEE_PLAN,
    OVERDUE,
    PAID,
    STUDENT_PASSWORD,
    PortalWorld,
)
from tests.portal.pages import issue_code, sign_in, sign_in_with_code


def _pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_student_sees_what_is_due_and_what_was_paid(portal: TestClient,
                                                      portal_world: PortalWorld) -> None:
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    page = portal.get("/portal/fees")
    assert page.status_code == 200
    html = page.text
    assert FEE_PLAN in html and "instalment 2 of 3" in html
    assert money(OVERDUE + DUE_LATER) in html  # still to pay
    assert "overdue" in html and money(OVERDUE) in html
    assert money(PAID) in html and "UPI" in html
    assert "Receipt 2026-27/D09/000001 (PDF)" in html
    assert "2026-27/D09/000002" not in html  # bob's receipt


def test_the_receipt_pdf_is_the_desks_receipt(portal: TestClient,
                                              portal_world: PortalWorld) -> None:
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    payment = portal_world.receipts[portal_world.alice.student_id]
    answer = portal.get(f"/portal/fees/receipts/{payment}.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert 'filename="receipt-2026-27-D09-000001.pdf"' in answer.headers["content-disposition"]
    text = _pdf_text(answer.content)
    assert "Fee receipt" in text and "2026-27/D09/000001" in text
    assert portal_world.alice.name in text and "Six Thousand" in text
    assert "Balance still due" in text and money(OVERDUE + DUE_LATER) in text


def test_another_students_receipt_is_not_found(portal: TestClient,
                                               portal_world: PortalWorld) -> None:
    """Bob's receipt id, a made-up id and a malformed one get the same answer, so ids cannot
    be tried to learn whose receipts exist."""
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    bobs = portal_world.receipts[portal_world.bob.student_id]
    tails = (str(bobs), str(uuid.uuid4()), "not-an-id")
    answers = [portal.get(f"/portal/fees/receipts/{tail}.pdf") for tail in tails]
    assert [a.status_code for a in answers] == [404] * 3
    assert len({a.text.replace(tail, "") for a, tail in zip(answers, tails, strict=True)}) == 1
    assert all(portal_world.bob.name not in a.text for a in answers)


def test_a_guardian_sees_their_childs_fees_and_receipt(portal: TestClient,
                                                       portal_world: PortalWorld) -> None:
    bob = portal_world.bob
    code = issue_code(portal, ADMIN_EMAIL, ADMIN_PASSWORD, bob.student_id)
    sign_in_with_code(portal, code)
    html = portal.get("/portal/fees").text
    assert "2026-27/D09/000002" in html and "2026-27/D09/000001" not in html
    answer = portal.get(f"/portal/fees/receipts/{portal_world.receipts[bob.student_id]}.pdf")
    assert answer.status_code == 200 and bob.name in _pdf_text(answer.content)
    alices = portal_world.receipts[portal_world.alice.student_id]
    assert portal.get(f"/portal/fees/receipts/{alices}.pdf").status_code == 404


def test_signed_out_receipt_leads_to_sign_in(portal: TestClient,
                                             portal_world: PortalWorld) -> None:
    payment = portal_world.receipts[portal_world.alice.student_id]
    answer = portal.get(f"/portal/fees/receipts/{payment}.pdf")
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/sign-in"


def test_the_home_page_names_the_students_centre(portal: TestClient,
                                                 portal_world: PortalWorld) -> None:
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    html = portal.get("/portal/home").text
    assert "Your centre" in html and BRANCH_NAME in html
    assert BRANCH_ADDRESS in html and BRANCH_PHONE in html
    assert 'href="tel:+918041234567"' in html
