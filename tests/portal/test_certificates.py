"""Certificates: templates and issuing on a desk (offline, numbered from its own series), the
PDF looked at as an image with its QR code read back, and the server's public verification page
for valid, revoked and unknown certificates, fed by a real push."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from institute_core.certificates import service
from institute_core.certificates.pdf import (
    CertificateContent,
    print_certificate,
    render_certificate,
)
from institute_core.demo import build_demo_replica
from institute_core.engagement.access import NotAllowed
from institute_core.enums import Role
from institute_core.numbering import SERIES_STATE_KEY, financial_year
from institute_core.replica import Replica
from institute_core.schema import Branch, Certificate, Student, User
from institute_core.validation import InvalidInput
from tests.portal.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, STUDENT_PASSWORD, PortalWorld
from tests.portal.pages import issue_code, sign_in, sign_in_with_code
from tests.server.helpers import Device, new_row

BODY = ("This certifies that {student_name} ({enrollment_no}) has completed the course "
        "{course} at {institute} on {date}.")


def _qr_of(pdf: Path) -> str:
    """The QR code of the PDF's first page, read back from the page as an image."""
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf),
                    str(pdf.with_suffix(""))], check=True)
    image = next(pdf.parent.glob(pdf.stem + "*.png"))
    return subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cert-demo")
    build_demo_replica(folder, size="small", seed=7)
    return folder


@pytest.fixture
def desk(demo_dir: Path, tmp_path: Path) -> Iterator[Replica]:
    copy = tmp_path / "desk"
    shutil.copytree(demo_dir, copy)
    replica = Replica.open(copy)
    replica.set_state(SERIES_STATE_KEY, "D07")  # given by the server when the desk connected
    yield replica
    replica.close()


def _user_of_role(replica: Replica, role: str) -> uuid.UUID:
    with replica.read() as db:
        return db.execute(select(User.id).where(User.role == role).limit(1)).scalar_one()


def test_an_admin_issues_by_hand_and_by_rule_with_numbers_from_the_desks_series(
        desk: Replica) -> None:
    admin = desk.actor(_user_of_role(desk, Role.ADMIN.value))
    template = service.save_template(desk, admin, service.TemplateDraft(
        name="Completion", title="Certificate of Completion", body=BODY, auto_issue=True,
        min_attendance_pct=Decimal("50"), signatures="Asha Rao, Director"))
    due = service.issue_due(desk, admin, date.today())
    assert due, "the small demo has no completed enrollment that meets the rules"
    series = f"{financial_year(date.today())}/D07/"
    with desk.read() as db:
        code = dict(db.execute(select(Student.id, Branch.code).join(
            Branch, Branch.id == Student.branch_id)).tuples().all())
        issued_to = dict(db.execute(select(Certificate.id, Certificate.student_id)).tuples().all())
    numbers = [c.number for c in due]
    # The student's branch code first, then one sequence of the desk's series across branches.
    assert numbers == [f"{code[issued_to[c.id]]}/{series}{n:06d}"
                       for n, c in enumerate(due, start=1)]
    assert service.issue_due(desk, admin, date.today()) == []  # certified once per template
    with desk.read() as db:
        student = db.execute(select(Student.id).where(
            Student.id.not_in(list(issued_to.values()))).limit(1)).scalar_one()
    by_hand = service.issue(desk, admin, template, student)
    assert by_hand.number == f"{code[student]}/{series}{len(due) + 1:06d}"
    tokens = {c.token for c in [*due, by_hand]}
    assert len(tokens) == len(due) + 1 and all(len(t) >= 32 for t in tokens)
    assert desk.pending_changes() > 0  # they sync like every other write
    if shutil.which("pdftoppm") and shutil.which("zbarimg"):
        desk.set_state("server_url", "https://sync.example.org")
        pdf = print_certificate(desk, by_hand.id, desk.path.parent / "by-hand.pdf")
        assert by_hand.number in PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
        assert _qr_of(pdf) == f"https://sync.example.org/portal/verify/{by_hand.token}"


def test_rules_hold_back_what_they_should(desk: Replica) -> None:
    admin = desk.actor(_user_of_role(desk, Role.ADMIN.value))
    service.save_template(desk, admin, service.TemplateDraft(
        name="Honours", title="Honours", body=BODY, auto_issue=True,
        min_grade_pct=Decimal("100")))
    with desk.read() as db:
        everyone = len(service.due(db, date.today()))
    service.save_template(desk, admin, service.TemplateDraft(
        name="Any", title="Completion", body=BODY, auto_issue=True))
    with desk.read() as db:
        assert len(service.due(db, date.today())) > everyone


def test_only_an_administrator_issues_and_a_bad_placeholder_is_refused(desk: Replica) -> None:
    admin = desk.actor(_user_of_role(desk, Role.ADMIN.value))
    faculty = desk.actor(_user_of_role(desk, Role.FACULTY.value))
    with pytest.raises(InvalidInput, match="studnet_name"):
        service.save_template(desk, admin, service.TemplateDraft(
            name="x", title="x", body="Awarded to {studnet_name}"))
    template = service.save_template(desk, admin, service.TemplateDraft(
        name="x", title="x", body=BODY))
    with desk.read() as db:
        student = db.execute(select(Student.id).limit(1)).scalar_one()
    with pytest.raises(NotAllowed):
        service.issue(desk, faculty, template, student)
    issued = service.issue(desk, admin, template, student)
    with pytest.raises(InvalidInput, match="say why"):
        service.revoke(desk, admin, issued.id, "  ")
    service.revoke(desk, admin, issued.id, "Issued to the wrong student")
    with desk.read() as db:
        kept = db.get(Certificate, issued.id)
        assert kept is not None and kept.revoked_reason == "Issued to the wrong student"


def test_the_pdf_shows_the_certificate_and_its_qr_code_reads_back_the_address(
        tmp_path: Path) -> None:
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("needs poppler-utils (pdftoppm) and zbar-tools (zbarimg)")
    url = "https://sync.example.org/portal/verify/" + "Xy3_" * 8
    out = tmp_path / "certificate.pdf"
    render_certificate(CertificateContent(
        title="Certificate of Completion", body=BODY, signatures="Asha Rao, Director\n"
        "Vikram Sen, Course lead", logo_path=None, layout="landscape",
        number="2026-27/D07/000007", student_name="Meena Iyer", course_name="Python Programming",
        enrollment_no="ENR-2026-00007", issued_on=date(2026, 12, 5),
        institute="Institute Desk Demo Institute", verify_url=url), out)
    text = " ".join(PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text().split())
    for expected in ("Certificate of Completion", "Meena Iyer", "Python Programming",
                     "2026-27/D07/000007", "Asha Rao", "Course lead"):
        assert expected in text
    assert _qr_of(out) == url


@pytest.fixture
def pushed(portal: TestClient, portal_world: PortalWorld) -> dict[str, object]:
    """A template and two certificates of alice pushed by an administrator's desk."""
    admin = Device(portal, ADMIN_EMAIL).sign_in(ADMIN_PASSWORD)
    template = uuid.uuid4()
    tokens = {name: f"{name}-{uuid.uuid4().hex}" for name in ("valid", "revoked")}
    ids = {name: uuid.uuid4() for name in tokens}
    changes = [admin.change("certificate_templates", template, new_row(
        name="Completion", title="Certificate of Completion", body=BODY, layout="landscape",
        auto_issue=False, is_active=True))]
    for n, name in enumerate(tokens):
        changes.append(admin.change("certificates", ids[name], new_row(
            template_id=template, student_id=portal_world.alice.student_id,
            certificate_number=f"2026-27/{admin.series_code}/{n + 1:06d}",
            verification_token=tokens[name], issued_on=date(2026, 11, 30),
            issued_by=admin.user_id, student_name=portal_world.alice.name,
            course_name="Python Programming")))
    results = admin.push(*changes)
    assert [r["outcome"] for r in results] == ["applied"] * 3, results
    versions = {name: results[n + 1]["version"] for n, name in enumerate(tokens)}
    revoke = admin.change("certificates", ids["revoked"], {
        "revoked_at": new_row()["created_at"], "revoked_reason": "Marks were miscounted"},
        base_version=versions["revoked"])
    assert admin.push(revoke)[0]["outcome"] == "applied"
    return {"admin": admin, "tokens": tokens, "ids": ids, "versions": versions}


def test_the_verification_page_says_valid_revoked_or_unknown(
        portal: TestClient, portal_world: PortalWorld, pushed: dict[str, object]) -> None:
    tokens = pushed["tokens"]
    assert isinstance(tokens, dict)
    valid = portal.get(f"/portal/verify/{tokens['valid']}")
    assert valid.status_code == 200 and "Valid certificate" in valid.text
    assert portal_world.alice.name in valid.text and "Python Programming" in valid.text
    revoked = portal.get(f"/portal/verify/{tokens['revoked']}")
    assert "This certificate was revoked" in revoked.text
    assert "Marks were miscounted" in revoked.text
    unknown = portal.get(f"/portal/verify/{uuid.uuid4().hex}")
    assert unknown.status_code == 404 and "Unknown certificate" in unknown.text
    assert portal_world.alice.name not in unknown.text
    typed = portal.get("/portal/verify", params={"code": tokens["valid"]})
    assert typed.status_code == 303
    assert typed.headers["location"] == f"/portal/verify/{tokens['valid']}"


def test_an_issued_certificate_cannot_be_rewritten(portal: TestClient,
                                                  pushed: dict[str, object]) -> None:
    """A certificate is a fact: even an administrator's desk may only revoke it."""
    admin, ids, versions = pushed["admin"], pushed["ids"], pushed["versions"]
    assert isinstance(admin, Device) and isinstance(ids, dict) and isinstance(versions, dict)
    for field, value in (("student_name", "Somebody Else"), ("course_name", "Anything"),
                         ("certificate_number", f"2026-27/{admin.series_code}/999999")):
        result = admin.push(admin.change("certificates", ids["valid"], {field: value},
                                         base_version=versions["valid"]))[0]
        assert result["outcome"] == "rejected" and "not allowed" in result["reason"], result
    deleted = admin.push(admin.change("certificates", ids["valid"], {
        "deleted_at": new_row()["created_at"]}, base_version=versions["valid"]))[0]
    assert deleted["outcome"] == "rejected"


def test_a_certificate_number_outside_the_desks_series_is_refused(
        portal: TestClient, portal_world: PortalWorld, pushed: dict[str, object]) -> None:
    admin = pushed["admin"]
    assert isinstance(admin, Device)
    template = uuid.uuid4()
    result = admin.push(
        admin.change("certificate_templates", template, new_row(
            name="Other", title="Other", body=BODY, layout="portrait", auto_issue=False,
            is_active=True)),
        admin.change("certificates", uuid.uuid4(), new_row(
            template_id=template, student_id=portal_world.alice.student_id,
            certificate_number="2026-27/D999/000001", verification_token=uuid.uuid4().hex,
            issued_on=date(2026, 12, 1), issued_by=admin.user_id,
            student_name=portal_world.alice.name, course_name="Python Programming")))
    assert result[0]["outcome"] == "applied"
    assert result[1]["outcome"] == "rejected" and "series" in result[1]["reason"], result[1]


def test_a_student_finds_their_certificates_on_the_portal_and_no_one_elses(
        portal: TestClient, portal_world: PortalWorld, pushed: dict[str, object]) -> None:
    tokens = pushed["tokens"]
    assert isinstance(tokens, dict)
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    home = portal.get("/portal/home").text
    assert "Your certificates" in home
    assert all(f"/portal/verify/{token}" in home for token in tokens.values())
    assert "This certificate was revoked" in home  # the revoked one says so
    with TestClient(portal.app, follow_redirects=False) as bob:
        sign_in(bob, portal_world.bob.email, STUDENT_PASSWORD)
        assert not any(token in bob.get("/portal/home").text for token in tokens.values())


def test_a_certificate_number_must_carry_a_real_branch_code(
        portal: TestClient, portal_world: PortalWorld, pushed: dict[str, object]) -> None:
    admin = pushed["admin"]
    assert isinstance(admin, Device)
    template = uuid.uuid4()
    year = financial_year(date(2026, 12, 1))

    def certificate(number: str) -> object:
        return admin.change("certificates", uuid.uuid4(), new_row(
            template_id=template, student_id=portal_world.alice.student_id,
            certificate_number=number, verification_token=uuid.uuid4().hex,
            issued_on=date(2026, 12, 1), issued_by=admin.user_id,
            student_name=portal_world.alice.name, course_name="Python Programming"))

    result = admin.push(
        admin.change("certificate_templates", template, new_row(
            name="Branch", title="Branch", body=BODY, layout="portrait", auto_issue=False,
            is_active=True)),
        certificate(f"NOWHERE/{year}/{admin.series_code}/000901"),
        certificate(f"MAIN/{year}/{admin.series_code}/000902"))
    assert [r["outcome"] for r in result] == ["applied", "rejected", "applied"], result
    assert "code of no branch" in result[1]["reason"]


def test_a_student_and_their_guardian_download_the_certificate_pdf_and_no_one_elses(
        portal: TestClient, portal_world: PortalWorld, pushed: dict[str, object],
        tmp_path: Path) -> None:
    """The PDF the desk prints, drawn on the server: the student's name and number in it, its
    QR code read back from the page image to this server's verification page; another
    student's certificate id, a made-up one and a malformed one are the same 404."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("needs poppler-utils (pdftoppm) and zbar-tools (zbarimg)")
    tokens, ids = pushed["tokens"], pushed["ids"]
    assert isinstance(tokens, dict) and isinstance(ids, dict)
    alice, bob = portal_world.alice, portal_world.bob
    sign_in(portal, alice.email, STUDENT_PASSWORD)
    page = portal.get("/portal/certificates").text
    assert f'/portal/certificates/{ids["valid"]}.pdf' in page
    answer = portal.get(f'/portal/certificates/{ids["valid"]}.pdf')
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith('attachment; filename="certificate-')
    out = tmp_path / "certificate.pdf"
    out.write_bytes(answer.content)
    text = " ".join(PdfReader(io.BytesIO(answer.content)).pages[0].extract_text().split())
    assert alice.name in text and alice.enrollment_no in text and "Python Programming" in text
    assert _qr_of(out) == f"http://testserver/portal/verify/{tokens['valid']}"
    assert "Valid certificate" in portal.get(
        _qr_of(out).removeprefix("http://testserver")).text
    for other in (portal_world.certificates[bob.student_id], uuid.uuid4(), "nonsense"):
        refused = portal.get(f"/portal/certificates/{other}.pdf")
        assert refused.status_code == 404 and bob.name not in refused.text
    with TestClient(portal.app, follow_redirects=False) as guardian:
        code = issue_code(guardian, ADMIN_EMAIL, ADMIN_PASSWORD, alice.student_id)
        sign_in_with_code(guardian, code)
        assert guardian.get(f'/portal/certificates/{ids["revoked"]}.pdf').status_code == 200
        assert guardian.get(f"/portal/certificates/{portal_world.certificates[bob.student_id]}"
                            ".pdf").status_code == 404
    signed_out = TestClient(portal.app, follow_redirects=False)
    assert signed_out.get(f'/portal/certificates/{ids["valid"]}.pdf').status_code == 303
