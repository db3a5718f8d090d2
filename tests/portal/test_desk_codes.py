"""The desk's printed guardian code against a real server: an administrator on the student page
asks the server for a code (on the network pool), the slip is a PDF with the code, and the code
opens that student's pages on the portal once."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from desktop_app import sync_bridge
from desktop_app.context import AppContext
from desktop_app.students import page as page_module
from desktop_app.students import portal_code
from desktop_app.students.page import StudentPageView
from desktop_app.tasks import TaskManager
from institute_core.replica import Replica
from institute_core.sync.backoff import CancelToken
from institute_core.sync.client import SyncClient
from institute_core.sync.credentials import MemoryCredentials
from institute_core.sync.errors import RequestRefused
from institute_core.sync.transport import Transport
from tests.portal.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, STUDENT_PASSWORD, PortalWorld
from tests.portal.pages import csrf_of
from tests.support.server import ServerProcess

CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}\b")


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:  # type: ignore[no-untyped-def]
    manager = TaskManager()
    yield manager
    manager.shutdown()


@pytest.fixture
def admin_desk(tmp_path: Path, portal_server: ServerProcess, tasks: TaskManager,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[AppContext]:
    """An administrator's desk connected to the portal's server (its first sync done)."""
    replica = Replica.open(tmp_path / "desk")
    credentials = MemoryCredentials(persistent=False)
    user = sync_bridge.connect(replica, credentials, portal_server.base_url, ADMIN_EMAIL,
                               ADMIN_PASSWORD, None, CancelToken())
    monkeypatch.setattr(portal_code, "slips_folder", lambda: tmp_path / "slips")
    monkeypatch.setattr(page_module, "open_pdf", lambda _path: True)
    yield AppContext(replica, tasks, user, credentials)
    replica.close()


def _open_with_code(server: ServerProcess, code: str) -> str:
    """The portal's home page after signing in with `code` through the form."""
    with httpx.Client(base_url=server.base_url, follow_redirects=True) as browser:
        form = browser.get("/portal/sign-in")
        home = browser.post("/portal/code", data={"csrf": csrf_of(form.text), "code": code},
                            headers={"Origin": server.base_url})
        return home.text


def test_an_administrator_prints_a_guardian_code_that_opens_the_childs_pages(
        qtbot, admin_desk: AppContext, portal_server: ServerProcess,  # type: ignore[no-untyped-def]
        portal_world: PortalWorld, tmp_path: Path) -> None:
    bob = portal_world.bob
    view = StudentPageView(admin_desk)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    view.load(bob.student_id)
    qtbot.waitUntil(lambda: view.student is not None, timeout=20000)
    assert view.code_button.isVisible()
    view.code_button.click()
    assert not view.code_button.isEnabled()  # asked on the network pool, the window is free
    qtbot.waitUntil(lambda: "Sign-in code for the guardian" in view.message.text()
                    or "No code" in view.message.text(), timeout=30000)
    said = view.message.text()
    shots = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    view.grab().save(str(shots / "desk-student-page-code.png"))
    found = CODE.search(said)
    assert found, said
    slip = tmp_path / "slips" / f"sign-in-code-{bob.enrollment_no}.pdf"
    text = " ".join(PdfReader(slip).pages[0].extract_text().split())
    assert found.group(0) in text and bob.name in text and bob.enrollment_no in text
    assert f"{portal_server.base_url}/portal/sign-in" in text
    home = _open_with_code(portal_server, found.group(0))
    assert bob.name in home and portal_world.alice.name not in home
    assert "Wrong" not in home
    again = _open_with_code(portal_server, found.group(0))  # once only
    assert bob.name not in again


def test_without_the_permission_there_is_no_button_and_the_server_refuses(
        qtbot, admin_desk: AppContext, portal_server: ServerProcess,  # type: ignore[no-untyped-def]
        portal_world: PortalWorld) -> None:
    """The button follows the permission; an account without it that asks anyway (a
    student's, here) gets the server's 403, which the desk puts in words."""
    limited = AppContext(admin_desk.replica, admin_desk.tasks,
                         replace(admin_desk.user, permissions=frozenset()),
                         admin_desk.credentials)
    view = StudentPageView(limited)
    qtbot.addWidget(view)
    assert view.code_button.isHidden()
    client = SyncClient(Transport(portal_server.base_url), MemoryCredentials(persistent=False),
                        portal_world.alice.email)
    try:
        client.login(STUDENT_PASSWORD)
        with pytest.raises(RequestRefused) as refused:
            client.guardian_code(portal_world.bob.student_id)
    finally:
        client.transport.close()
    assert refused.value.status == 403
    assert "may not issue guardian codes" in portal_code.refusal_text(refused.value)
