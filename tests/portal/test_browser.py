"""The portal in Chromium at a phone's width (360 px) and a desktop's, for a student and a
guardian: signed in through the forms, every page fits the screen, the keyboard reaches
everything, and no script is needed (JavaScript is switched off)."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.portal import pages
from tests.portal.browser import DESKTOP, PHONE, chromium, screenshot_dir
from tests.portal.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, STUDENT_PASSWORD, PortalWorld
from tests.server.helpers import Device, new_row
from tests.support.server import ServerProcess

__all__ = ["chromium"]  # the fixture, imported for pytest
PAGES = tuple(path.removeprefix("/portal/") for path in pages.PAGES)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory)


def _page(chromium: Any, viewport: dict[str, int]) -> Iterator[Any]:
    context = chromium.new_context(viewport=viewport, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _page(chromium, request.param)


def _fits(page: Any) -> bool:
    """Nothing wider than the window (no sideways scrolling on a phone)."""
    chromium_page = page
    width = chromium_page.viewport_size["width"]
    # Measured by the browser's layout through the DevTools protocol: the page itself runs
    # no script.
    session = chromium_page.context.new_cdp_session(chromium_page)
    metrics = session.send("Page.getLayoutMetrics")
    return bool(metrics["cssContentSize"]["width"] <= width + 1)


def test_a_student_signs_in_and_reads_every_page(page: Any, portal_server: ServerProcess,
                                                 portal_world: PortalWorld, shots: Path) -> None:
    width = page.viewport_size["width"]
    page.goto(portal_server.base_url + "/portal/")
    page.get_by_label("Email").fill(portal_world.alice.email)
    page.get_by_label("Password").fill(STUDENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/portal/home")
    for name in PAGES:
        page.goto(f"{portal_server.base_url}/portal/{name}")
        assert portal_world.alice.name in page.content()
        assert portal_world.bob.name not in page.content()
        assert _fits(page), f"{name} is wider than {width} px"
        page.screenshot(path=str(shots / f"student-{width}-{name}.png"), full_page=True)
    page.goto(portal_server.base_url + "/portal/progress?lang=hi")
    assert "विषयवार प्रगति" in page.content()
    assert _fits(page)
    page.screenshot(path=str(shots / f"student-{width}-progress-hi.png"), full_page=True)


def test_a_student_sends_feedback_with_the_keyboard_only(
        chromium: Any, portal_server: ServerProcess, portal_world: PortalWorld,
        shots: Path) -> None:
    for page in _page(chromium, PHONE):
        page.goto(portal_server.base_url + "/portal/sign-in")
        page.keyboard.press("Tab")  # the first stop is the skip link
        assert page.evaluate("document.activeElement.className") == "skip"
        page.get_by_label("Email").fill(portal_world.alice.email)
        page.get_by_label("Password").fill(STUDENT_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/portal/home")
        page.goto(portal_server.base_url + "/portal/feedback")
        page.get_by_label("About").focus()
        page.keyboard.press("Tab")  # to the rating radios
        page.keyboard.press("ArrowRight")  # 4 -> 5
        page.get_by_label("Comments").fill("Clear explanations, thank you")
        page.get_by_label("Comments").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Space")  # anonymous
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")  # send
        assert "sent=1" in page.url
        assert "your feedback was sent" in page.content()
        assert "Clear explanations, thank you" in page.content()
        page.screenshot(path=str(shots / "student-360-feedback-sent.png"), full_page=True)


def _guardian_code(server: ServerProcess, student_id: object) -> str:
    token = httpx.post(server.base_url + "/v1/auth/login",
                       json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).json()
    answer = httpx.post(server.base_url + "/v1/portal/codes",
                        json={"student_id": str(student_id)},
                        headers={"Authorization": f"Bearer {token['access_token']}"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["code"])


def test_a_guardian_opens_their_childs_pages_with_a_printed_code(
        page: Any, portal_server: ServerProcess, portal_world: PortalWorld,
        shots: Path) -> None:
    width = page.viewport_size["width"]
    code = _guardian_code(portal_server, portal_world.bob.student_id)
    page.goto(portal_server.base_url + "/portal/sign-in?lang=hi")
    assert _fits(page)
    page.screenshot(path=str(shots / f"guardian-{width}-sign-in-hi.png"), full_page=True)
    page.get_by_label("साइन-इन कोड").fill(code)
    page.get_by_role("button", name="कोड से खोलें").click()
    assert page.url.endswith("/portal/home")
    for name in PAGES:
        page.goto(f"{portal_server.base_url}/portal/{name}")
        assert portal_world.bob.name in page.content()
        assert portal_world.alice.name not in page.content()
        assert "अभिभावक" in page.content()
        assert _fits(page), f"{name} is wider than {width} px"
        page.screenshot(path=str(shots / f"guardian-{width}-{name}.png"), full_page=True)
    with page.expect_download() as download:
        page.goto(portal_server.base_url + "/portal/report")
        page.get_by_role("button", name="PDF डाउनलोड करें").click()
    assert download.value.suggested_filename.startswith(
        f"progress-{portal_world.bob.enrollment_no}-")


def test_the_verification_page_for_valid_revoked_and_unknown(
        chromium: Any, portal_server: ServerProcess, portal_world: PortalWorld,
        shots: Path) -> None:
    with httpx.Client(base_url=portal_server.base_url) as http:
        admin = Device(http, ADMIN_EMAIL).sign_in(ADMIN_PASSWORD)
        template, valid, revoked = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        tokens = {valid: f"v-{uuid.uuid4().hex}", revoked: f"r-{uuid.uuid4().hex}"}
        changes = [admin.change("certificate_templates", template, new_row(
            name="Completion", title="Certificate of Completion", body="{student_name}",
            layout="landscape", auto_issue=False, is_active=True))]
        changes += [admin.change("certificates", cid, new_row(
            template_id=template, student_id=portal_world.bob.student_id,
            certificate_number=f"2026-27/{admin.series_code}/{n + 1:06d}",
            verification_token=token,
            issued_on=date(2026, 11, 30), issued_by=admin.user_id,
            student_name=portal_world.bob.name, course_name="Python Programming"))
            for n, (cid, token) in enumerate(tokens.items())]
        results = admin.push(*changes)
        assert [r["outcome"] for r in results] == ["applied"] * 3
        assert admin.push(admin.change("certificates", revoked, {
            "revoked_at": new_row()["created_at"], "revoked_reason": "Issued by mistake"},
            base_version=results[2]["version"]))[0]["outcome"] == "applied"
    expected = {tokens[valid]: "Valid certificate", tokens[revoked]: "Issued by mistake",
                uuid.uuid4().hex: "Unknown certificate"}
    for viewport in (PHONE, DESKTOP):
        for page in _page(chromium, viewport):
            width = viewport["width"]
            for (token, words), name in zip(expected.items(), ("valid", "revoked", "unknown"),
                                            strict=True):
                page.goto(f"{portal_server.base_url}/portal/verify/{token}?lang=en")
                assert words in page.content()
                assert (portal_world.bob.name in page.content()) == (name != "unknown")
                assert _fits(page)
                page.screenshot(path=str(shots / f"verify-{width}-{name}.png"), full_page=True)
            page.goto(f"{portal_server.base_url}/portal/verify/{tokens[revoked]}?lang=hi")
            assert "Issued by mistake" in page.content() and _fits(page)
            page.screenshot(path=str(shots / f"verify-{width}-revoked-hi.png"), full_page=True)


def _route_pattern(route: str) -> re.Pattern[str]:
    """A route like /portal/fees/receipts/{payment_id}.pdf as the pattern of its addresses."""
    parts = re.split(r"\{[a-z_]+\}", route)
    return re.compile("[^/]+".join(re.escape(part) for part in parts) + "$")


ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_every_id_in_every_address_changed_shows_nothing_of_another_student(
        chromium: Any, portal_server: ServerProcess, portal_world: PortalWorld,
        shots: Path) -> None:
    """Alice follows every link of every page; each id in an address is swapped for each of
    Bob's ids (his student record, account, receipt, certificate, his batch's announcement)
    and a made-up one: the browser then shows a 404 or Alice's own data, never a thing of
    Bob's. Every route of the portal with an id in its address (read from the router) must be
    among the links tried."""
    alice, bob = portal_world.alice, portal_world.bob
    theirs = [str(bob.student_id), str(bob.user_id), str(portal_world.receipts[bob.student_id]),
              str(portal_world.certificates[bob.student_id]),
              str(portal_world.announcements["bob_batch"]), str(uuid.uuid4())]
    for page in _page(chromium, DESKTOP):
        page.goto(portal_server.base_url + "/portal/sign-in")
        page.get_by_label("Email").fill(alice.email)
        page.get_by_label("Password").fill(STUDENT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        links: set[str] = set()
        for name in PAGES:
            page.goto(f"{portal_server.base_url}/portal/{name}")
            links |= set(page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"))
        with_ids = sorted(link for link in links if ID.search(link))
        for route in pages.ID_ROUTES:
            shape = _route_pattern(route)
            assert any(shape.search(link) for link in with_ids), f"no link to {route} tried"
        tried = 0
        for link in with_ids:
            for other in theirs:
                changed = ID.sub(other, link)
                answer = page.request.get(changed)
                tried += 1
                assert answer.status in (200, 404), changed
                body = answer.body()
                if answer.headers["content-type"].startswith("application/pdf"):
                    assert bob.name.encode() not in body
                    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
                    assert bob.name not in text and bob.enrollment_no not in text, changed
                else:
                    assert bob.name not in body.decode(), changed
        assert tried >= len(pages.ID_ROUTES) * len(theirs)
        # Alice's own receipt downloads from the fees page.
        page.goto(portal_server.base_url + "/portal/fees")
        page.screenshot(path=str(shots / "student-1280-fees.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Receipt 2026-27/D09/000001 (PDF)").click()
        assert download.value.suggested_filename == "receipt-2026-27-D09-000001.pdf"
