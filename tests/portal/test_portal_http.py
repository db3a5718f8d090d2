"""The portal over HTTP: what a student and a guardian see, and what nobody else can.

Every test reads the pages as HTML, the way a phone without JavaScript gets them, against the
small demo institute in a real PostgreSQL.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select, update

from institute_core.schema import table_of
from sync_server import cli
from sync_server.app import create_app
from sync_server.auth.passwords import hash_password
from sync_server.clock import now
from sync_server.portal.i18n import CATALOG
from tests.portal.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    STUDENT_PASSWORD,
    PortalWorld,
    portal_settings,
)
from tests.portal.pages import PAGES, csrf_of, issue_code, sign_in, sign_in_with_code
from tests.server.helpers import Device, new_row


def test_every_word_has_a_hindi_translation() -> None:
    assert set(CATALOG["hi"]) == set(CATALOG["en"])
    assert all(CATALOG["hi"][key].strip() for key in CATALOG["en"])


def test_signed_out_pages_lead_to_sign_in(portal: TestClient) -> None:
    for path in (*PAGES, "/portal/report.pdf", "/portal/"):
        answer = portal.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/portal/sign-in"


def test_a_student_sees_their_own_schedule_progress_attendance_and_grades(
        portal: TestClient, portal_world: PortalWorld) -> None:
    alice, bob = portal_world.alice, portal_world.bob
    assert sign_in(portal, alice.email, STUDENT_PASSWORD).headers["location"] == "/portal/home"
    pages = {path: portal.get(path) for path in PAGES}
    for path, page in pages.items():
        assert page.status_code == 200, path
        assert alice.name in page.text and alice.enrollment_no in page.text, path
        assert bob.name not in page.text and bob.enrollment_no not in page.text, path
    assert "Your batches" in pages["/portal/home"].text
    progress = pages["/portal/progress"].text
    assert "Predicted completion" in progress and "Topics done" in progress
    assert re.search(r"Attendance rate</dt><dd>\d", pages["/portal/attendance"].text)
    assert "<table>" in pages["/portal/assessments"].text


def test_the_progress_page_shows_the_figures_of_the_printed_report(
        portal: TestClient, portal_world: PortalWorld) -> None:
    """The portal and the admin desk's report come from one payload: the PDF a guardian
    downloads names the same subjects with the same topic counts."""
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    html = portal.get("/portal/progress").text
    pdf = portal.get("/portal/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert portal_world.alice.name in text and "Student progress report" in text
    counts = re.findall(r"Topics done: <strong>(\d+) / (\d+)</strong>", html)
    assert counts, "no subject on the progress page"
    for done, total in counts:
        assert f"{done}/{total}" in text.replace(" ", "")


def test_hindi_is_chosen_by_link_and_remembered(portal: TestClient,
                                                 portal_world: PortalWorld) -> None:
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    first = portal.get("/portal/attendance?lang=hi")
    assert "उपस्थिति दर" in first.text and '<html lang="hi">' in first.text
    assert "उपस्थिति दर" in portal.get("/portal/attendance").text  # the cookie keeps it
    assert "Attendance rate" in portal.get("/portal/attendance?lang=en").text


def test_wrong_password_staff_and_throttling(portal_world: PortalWorld) -> None:
    settings = portal_settings(portal_world.url, login_max_failures=3)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        wrong = sign_in(client, portal_world.alice.email, "not the password")
        assert wrong.status_code == 401 and "Wrong email or password." in wrong.text
        staff = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert staff.status_code == 403 and "staff use the desk" in staff.text
        email = f"nobody-{uuid.uuid4().hex[:6]}@example.org"
        answers = [sign_in(client, email, "guess").status_code for _ in range(4)]
        assert answers == [401, 401, 401, 429]
        assert "Too many attempts" in sign_in(client, email, "guess").text


def test_forms_without_the_csrf_token_or_from_another_site_change_nothing(
        portal: TestClient, portal_world: PortalWorld) -> None:
    alice = portal_world.alice
    refused = portal.post("/portal/sign-in", data={"email": alice.email,
                                                   "password": STUDENT_PASSWORD})
    assert refused.status_code == 403 and "portal_session" not in str(refused.headers)
    form = portal.get("/portal/sign-in")
    foreign = portal.post("/portal/sign-in", headers={"Origin": "https://evil.example"},
                          data={"csrf": csrf_of(form.text), "email": alice.email,
                                "password": STUDENT_PASSWORD})
    assert foreign.status_code == 403
    sign_in(portal, alice.email, STUDENT_PASSWORD)
    feedback = table_of("feedback")
    with portal_world.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(feedback)).scalar()
    about = re.search(r'<option value="([^"]+)"', portal.get("/portal/feedback").text)
    assert about
    answer = portal.post("/portal/feedback", data={"about": about.group(1), "rating": "5",
                                                   "csrf": "forged"})
    assert answer.status_code == 403
    with portal_world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(feedback)).scalar() == before


def test_responses_carry_security_headers_and_secure_cookies(portal_world: PortalWorld) -> None:
    secure = portal_settings(portal_world.url, portal_secure_cookies=True)
    with TestClient(create_app(secure), base_url="https://testserver",
                    follow_redirects=False) as client:
        page = client.get("/portal/sign-in")
        headers = page.headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert "max-age" in headers["strict-transport-security"]
        cookie = headers["set-cookie"]
        assert cookie.startswith("__Host-portal_form=")
        assert all(flag in cookie.lower() for flag in ("secure", "httponly", "samesite=lax",
                                                        "path=/"))
        signed = client.post("/portal/sign-in", data={
            "csrf": csrf_of(page.text), "email": portal_world.alice.email,
            "password": STUDENT_PASSWORD})
        session_cookie = signed.headers["set-cookie"]
        assert signed.status_code == 303 and session_cookie.startswith("__Host-portal_session=")
        assert "secure" in session_cookie.lower() and "httponly" in session_cookie.lower()


def test_sign_out_ends_the_session_for_good(portal: TestClient,
                                            portal_world: PortalWorld) -> None:
    sign_in(portal, portal_world.alice.email, STUDENT_PASSWORD)
    stolen = dict(portal.cookies)
    home = portal.get("/portal/home")
    assert portal.post("/portal/sign-out", data={"csrf": csrf_of(home.text)}).status_code == 303
    with TestClient(portal.app, follow_redirects=False, cookies=stolen) as thief:
        assert thief.get("/portal/home").headers["location"] == "/portal/sign-in"


def test_a_deactivated_account_and_an_expired_session_read_nothing(
        portal: TestClient, portal_world: PortalWorld) -> None:
    bob = portal_world.bob
    users, sessions = table_of("users"), table_of("portal_sessions")
    sign_in(portal, bob.email, STUDENT_PASSWORD)
    assert portal.get("/portal/home").status_code == 200
    with portal_world.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == bob.user_id).values(status="inactive"))
    try:
        assert portal.get("/portal/home").status_code == 303
    finally:
        with portal_world.engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == bob.user_id).values(status="active"))
    assert portal.get("/portal/home").status_code == 200
    with portal_world.engine.begin() as conn:
        conn.execute(update(sessions).where(sessions.c.user_id == bob.user_id)
                     .values(expires_at=now() - timedelta(seconds=1)))
    assert portal.get("/portal/home").status_code == 303


def test_a_guardian_code_opens_one_childs_pages_once(portal: TestClient,
                                                    portal_world: PortalWorld) -> None:
    alice, bob = portal_world.alice, portal_world.bob
    code = issue_code(portal, ADMIN_EMAIL, ADMIN_PASSWORD, bob.student_id)
    assert re.fullmatch(r"[2-9A-Z]{5}-[2-9A-Z]{5}", code)
    assert sign_in_with_code(portal, code.lower().replace("-", " ")).status_code == 303
    for path in PAGES:
        page = portal.get(path)
        assert bob.name in page.text and alice.name not in page.text, path
    assert "Guardian of" in portal.get("/portal/home").text
    assert portal.get("/portal/report.pdf").status_code == 200
    with TestClient(portal.app, follow_redirects=False) as someone_else:
        again = sign_in_with_code(someone_else, code)
        assert again.status_code == 401 and "used already" in again.text


def test_only_an_administrator_issues_codes(portal: TestClient,
                                            portal_world: PortalWorld) -> None:
    student = Device(portal, portal_world.alice.email).sign_in(STUDENT_PASSWORD)
    answer = portal.post("/v1/portal/codes", headers=student.headers(),
                         json={"student_id": str(portal_world.alice.student_id)})
    assert answer.status_code == 403
    token = portal.post("/v1/auth/login", json={"email": ADMIN_EMAIL,
                                                "password": ADMIN_PASSWORD}).json()
    unknown = portal.post("/v1/portal/codes", json={"student_id": str(uuid.uuid4())},
                          headers={"Authorization": f"Bearer {token['access_token']}"})
    assert unknown.status_code == 404


def test_guessed_codes_are_throttled(portal_world: PortalWorld) -> None:
    settings = portal_settings(portal_world.url, login_max_failures=3)
    with TestClient(create_app(settings), follow_redirects=False,
                    client=("203.0.113.9", 5000)) as client:
        answers = [sign_in_with_code(client, "ABCDE-FGHJK").status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]


def test_feedback_becomes_a_synced_row_the_desks_pull(portal: TestClient,
                                                      portal_world: PortalWorld) -> None:
    alice = portal_world.alice
    sign_in(portal, alice.email, STUDENT_PASSWORD)
    page = portal.get("/portal/feedback")
    targets = re.findall(r'<option value="((?:session|faculty):[^"]+)"', page.text)
    assert any(t.startswith("session:") for t in targets)
    assert any(t.startswith("faculty:") for t in targets)
    comment = f"The lab session was excellent {uuid.uuid4().hex[:6]}"
    sent = portal.post("/portal/feedback", data={
        "csrf": csrf_of(page.text), "about": targets[0], "rating": "5", "comments": comment})
    assert sent.status_code == 303 and "sent=1" in sent.headers["location"]
    assert comment in portal.get("/portal/feedback?sent=1").text
    feedback = table_of("feedback")
    with portal_world.engine.connect() as conn:
        row = conn.execute(select(feedback).where(feedback.c.comments == comment)).one()
    assert row.student_id == alice.student_id and row.version > 0
    assert row.feedback_type == "session" and row.sentiment == "positive"
    admin = Device(portal, ADMIN_EMAIL).sign_in(ADMIN_PASSWORD)
    pulled, _ = admin.pull_all(limit=5000)
    assert any(r["table"] == "feedback" and r["id"] == str(row.id) for r in pulled)


@pytest.mark.parametrize("what", ["session", "faculty", "garbage"])
def test_feedback_about_someone_elses_session_or_teacher_is_refused(
        portal: TestClient, portal_world: PortalWorld, what: str) -> None:
    """Every id the portal's forms carry, swapped for one of another student's: refused,
    nothing written."""
    alice, bob = portal_world.alice, portal_world.bob
    ses, enr = table_of("learning_sessions"), table_of("student_subject_enrollments")
    with portal_world.engine.connect() as conn:
        mine = set(conn.execute(select(enr.c.faculty_id).where(
            enr.c.student_id == alice.student_id)).scalars())
        mine |= set(conn.execute(select(ses.c.faculty_id).where(
            ses.c.student_id == alice.student_id)).scalars())
        bobs_session = conn.execute(select(ses.c.id).where(
            ses.c.student_id == bob.student_id).limit(1)).scalar_one()
        stranger = conn.execute(select(table_of("faculties").c.id).where(
            table_of("faculties").c.id.not_in(mine)).limit(1)).scalar_one()
    about = {"session": f"session:{bobs_session}", "faculty": f"faculty:{stranger}",
             "garbage": "session:../../students"}[what]
    sign_in(portal, alice.email, STUDENT_PASSWORD)
    feedback = table_of("feedback")
    with portal_world.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(feedback)).scalar()
    answer = portal.post("/portal/feedback", data={
        "csrf": csrf_of(portal.get("/portal/feedback").text), "about": about, "rating": "1"})
    assert answer.status_code == 422 and "Choose what the feedback is about" in answer.text
    with portal_world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(feedback)).scalar() == before


def test_no_address_names_a_student(portal: TestClient, portal_world: PortalWorld) -> None:
    """The pages take no student id: adding another student's id to any address, as a query
    or a path, still shows only the signed-in student (or nothing at all)."""
    alice, bob = portal_world.alice, portal_world.bob
    sign_in(portal, alice.email, STUDENT_PASSWORD)
    for path in (*PAGES, "/portal/report.pdf"):
        for tail in (f"?student_id={bob.student_id}", f"?student={bob.enrollment_no}",
                     f"/{bob.student_id}", f"?id={bob.user_id}"):
            answer = portal.get(path + tail)
            if answer.status_code == 200 and path.endswith(".pdf"):
                text = "".join(p.extract_text() for p in PdfReader(
                    io.BytesIO(answer.content)).pages)
                assert bob.name not in text and alice.name in text
            elif answer.status_code == 200:
                assert bob.name not in answer.text and alice.name in answer.text, path + tail
            else:
                assert answer.status_code == 404, path + tail


def test_a_password_reset_pushed_by_a_desk_ends_the_students_portal_sessions(
        portal: TestClient, portal_world: PortalWorld) -> None:
    """A leaked student password: the administrator's reset (a synced row) signs the student
    out of the portal everywhere, as it does on the desks."""
    alice = portal_world.alice
    sign_in(portal, alice.email, STUDENT_PASSWORD)
    assert portal.get("/portal/home").status_code == 200
    admin = Device(portal, ADMIN_EMAIL).sign_in(ADMIN_PASSWORD)
    reset = admin.change("password_resets", uuid.uuid4(), new_row(
        user_id=alice.user_id, reset_by=admin.user_id,
        verifier=hash_password(STUDENT_PASSWORD)))
    assert admin.push(reset)[0]["outcome"] == "applied"
    assert portal.get("/portal/home").headers["location"] == "/portal/sign-in"


def test_an_administrator_prints_a_guardian_code_on_the_servers_console(
        portal: TestClient, portal_world: PortalWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", portal_world.url)
    assert cli.main(["portal-code", portal_world.bob.enrollment_no.lower()]) == 0
    code = re.search(r"[2-9A-Z]{5}-[2-9A-Z]{5}", capsys.readouterr().out)
    assert code is not None
    assert sign_in_with_code(portal, code.group(0)).status_code == 303
    assert portal_world.bob.name in portal.get("/portal/home").text
    assert cli.main(["portal-code", "NO-SUCH-STUDENT"]) == 2
    assert "no student with enrollment number" in capsys.readouterr().err
