"""On the desk's screens (pytest-qt, offscreen): a sync the server fails on is in red in the
status bar within one sync, retried with a growing pause, and cleared by the next good sync;
the admin's Devices tab lists the desk that cannot upload, since when and the reference.

The fault is real: a trigger in the test's PostgreSQL database refuses one marked inquiry
(tests/support/faults.py). Screens are rendered to PNG next to the test's files for a look.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from desktop_app.app import make_sync_function
from desktop_app.context import AppContext
from desktop_app.setup.devices_tab import FAILING_BACKGROUND, DevicesTab
from desktop_app.setup.view import SetupView
from desktop_app.shell.main_window import MainWindow
from desktop_app.shell.sync_controller import SyncController, SyncStatus
from desktop_app.tasks import TaskManager
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.schema import table_of
from institute_core.services import auth
from institute_core.sync.account import sync_replica
from institute_core.sync.errors import SyncFailing
from sync_server.settings import make_engine
from tests.services.fixtures import PASSWORD, build_institute
from tests.support.faults import TableFault
from tests.support.server import ServerProcess
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk

MARKER = "Fault Marker"
FAILING_LINE = re.compile(r"Sync failing since \d\d:\d\d – the server could not apply a change "
                          r"\(ref ([0-9a-f]{10})\)")
RETRY_BASE_MS = 4000


@pytest.fixture
def fault(institute: Institute) -> Iterator[TableFault]:
    fault = TableFault(institute.url, "crm_inquiries", "student_name", MARKER)
    fault.install()
    yield fault


@pytest.fixture
def tasks(qapp: object) -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.shutdown(10_000)
    assert manager.active_threads() == 0, "a background task is still running"


def _ctx(desk: Desk, tasks: TaskManager) -> AppContext:
    user = auth.current_user(desk.replica, desk.user_id, online=True)
    return AppContext(desk.replica, tasks, user, desk.credentials)


def _red_pixels(widget: QWidget) -> int:
    """Pixels a person would call red (the alarm colour #a4282b, antialiased)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.red() > 120 and colour.green() < 90 and colour.blue() < 90:
                count += 1
    return count


def _save(widget: QWidget, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("INSTITUTE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    assert widget.grab().save(str(path))
    return path


def test_the_status_bar_says_in_red_that_the_server_fails_and_clears_after_a_good_sync(
        qtbot, institute: Institute, server: ServerProcess,  # type: ignore[no-untyped-def]
        desks: list[Desk], tmp_path: Path, fault: TableFault, tasks: TaskManager) -> None:
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    actor = front.replica.actor(front.user_id)
    create_inquiry(front.replica, actor, InquiryDraft(MARKER, "98450 11111"))
    create_inquiry(front.replica, actor, InquiryDraft("Asha Rao", "98450 22222"))
    function = make_sync_function(front.replica, front.credentials)
    assert function is not None
    sync = SyncController(front.replica, tasks, function, interval_ms=60 * 60 * 1000,
                          retry_base_ms=RETRY_BASE_MS)
    shown: list[SyncStatus] = []
    sync.sig_status_changed.connect(shown.append)
    window = MainWindow(_ctx(front, tasks), sync)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    panel = window.status_panel
    assert panel.message.text() == "" and _red_pixels(panel.message) == 0

    # One sync: the line is there, in red, with the server's reference.
    sync.sync_now()
    qtbot.waitUntil(lambda: not sync.running and bool(sync.status.failing), timeout=30_000)
    first = FAILING_LINE.fullmatch(panel.message.text())
    assert first is not None, panel.message.text()
    # Laid out whole (the line fits a 1200-pixel window), then red.
    qtbot.waitUntil(lambda: panel.message.width() >= panel.message.sizeHint().width(),
                    timeout=5000)
    qtbot.waitUntil(lambda: _red_pixels(panel.message) > 50, timeout=5000)
    assert "tried again by itself" in panel.message.toolTip()
    assert panel.pending.text().startswith(str(front.replica.pending_changes()))
    _save(window.statusBar(), tmp_path, "status_bar_sync_failing.png")
    # A narrower window keeps the reference: the short line, the whole one in the tooltip.
    whole = panel.message.text()
    window.resize(900, 700)
    qtbot.waitUntil(lambda: panel.message.text() != whole, timeout=5000)
    assert panel.message.text() == whole.split(" – ")[0] + f" (ref {first.group(1)})"
    assert panel.message.toolTip().startswith(whole)
    _save(window.statusBar(), tmp_path, "status_bar_sync_failing_narrow.png")
    window.resize(1200, 700)
    qtbot.waitUntil(lambda: panel.message.text() == whole, timeout=5000)

    # It keeps trying by itself, the pause doubling; "since" stays the first failure's time.
    # (Read from every status shown: on a loaded machine the retry may come before we look.)
    assert [s.retry_in_ms for s in shown if s.retry_in_ms][:1] == [RETRY_BASE_MS]
    qtbot.waitUntil(lambda: any(s.retry_in_ms == 2 * RETRY_BASE_MS for s in shown),
                    timeout=30_000)
    again = next(s for s in shown if s.retry_in_ms == 2 * RETRY_BASE_MS)
    second = FAILING_LINE.fullmatch(again.failing)
    assert second is not None and second.group(1) != first.group(1)
    assert again.failing.split(" – ")[0] == first.group(0).split(" – ")[0]
    assert fault.hits() >= 4  # two pushes, each the bulk write and the one redo

    # The server is mended: the next sync uploads and the red line goes.
    qtbot.waitUntil(lambda: not sync.running, timeout=30_000)
    fault.remove()
    sync.sync_now()  # (or the retry due now does it)
    qtbot.waitUntil(lambda: not sync.running and not sync.status.failing, timeout=30_000)
    qtbot.waitUntil(lambda: panel.message.text().startswith("sent "), timeout=5000)
    assert _red_pixels(panel.message) == 0 and panel.message.toolTip() == ""
    assert sync.status.retry_in_ms is None
    assert front.replica.pending_changes() == 0
    qtbot.waitUntil(lambda: panel.pending.text().startswith("0 changes"), timeout=5000)
    _save(window.statusBar(), tmp_path, "status_bar_sync_recovered.png")
    sync.stop()


def test_the_admin_sees_every_device_that_cannot_upload_with_its_reference(
        qtbot, institute: Institute, server: ServerProcess,  # type: ignore[no-untyped-def]
        desks: list[Desk], tmp_path: Path, fault: TableFault, tasks: TaskManager) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"],
                         name="front-desk")
    blocked = create_inquiry(front.replica, front.replica.actor(front.user_id),
                             InquiryDraft(MARKER, "98450 11111"))
    with pytest.raises(SyncFailing):
        sync_replica(front.replica, front.credentials, retry=FAST_RETRY)
    devices = table_of("sync_devices")
    engine = make_engine(institute.url)
    with engine.connect() as conn:
        ref = conn.execute(select(devices.c.push_failure_ref).where(
            devices.c.device_id == front.replica.device_id)).scalar_one()
    engine.dispose()

    ctx = _ctx(admin, tasks)
    setup = SetupView(ctx)
    qtbot.addWidget(setup)
    titles = [setup.tabs.tabText(i) for i in range(setup.tabs.count())]
    assert "Devices" in titles
    setup.tabs.setCurrentIndex(titles.index("Devices"))  # shown: it asks the server
    tab = setup.devices
    qtbot.waitUntil(lambda: tab.loaded, timeout=20_000)
    setup.resize(1100, 420)
    setup.show()

    model = tab.model
    assert model.rowCount() == 2
    failing = model.row_at(0)
    assert failing.device_id == front.replica.device_id and failing.owner == front.email
    assert failing.name == platform.node()  # desks register with the computer's name
    shown = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert re.fullmatch(rf"push failing since \d\d:\d\d \(ref {ref}\)", shown[3]), shown
    assert shown[4].startswith(f"applying crm_inquiries row {blocked} (change ")
    assert "the test fault refuses" in shown[4]
    background = model.data(model.index(0, 0), 8)  # Qt.BackgroundRole
    assert background is not None and background.color().name() == FAILING_BACKGROUND
    healthy = model.row_at(1)
    assert healthy.owner == admin.email and not healthy.failing
    assert model.data(model.index(1, 0), 8) is None
    assert tab.summary.text().startswith("1 of 2 devices cannot upload")
    qtbot.waitUntil(lambda: _red_pixels(tab.summary) > 50, timeout=5000)
    _save(setup, tmp_path, "admin_devices_tab.png")

    # Mended and synced: the list says so on 'Refresh'.
    fault.remove()
    sync_replica(front.replica, front.credentials, retry=FAST_RETRY)
    tab.loaded = False
    tab.refresh_button.click()
    qtbot.waitUntil(lambda: tab.loaded, timeout=20_000)
    assert not any(d.failing for d in model.rows)
    assert tab.summary.text() == "All 2 devices upload their changes."
    assert _red_pixels(tab.summary) == 0


def test_the_devices_tab_of_a_desk_without_a_server_says_so(
        qtbot, replica, tasks: TaskManager) -> None:  # type: ignore[no-untyped-def]
    build_institute(replica)
    user = auth.login_offline(replica, "admin@example.org", PASSWORD)
    tab = DevicesTab(AppContext(replica, tasks, user))
    qtbot.addWidget(tab)
    tab.refresh()
    assert "not connected to a sync server" in tab.summary.text()
    assert tab.model.rowCount() == 0
