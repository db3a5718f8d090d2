"""`institute-desk --self-test`: prove an installation works, end to end, without a display.

It builds a small demo institute in a temporary folder, signs in as each staff role, opens every
section that role sees in the real main window, renders it, and prints a PDF report. Any
exception – including one raised inside a Qt slot, or logged as an error by a background task –
fails it. A packaged build runs this in CI, so a missing hidden import, data file or font is
found before a user starts the app. Exit code 0 means every step passed.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

ROLES = ("admin", "faculty", "counselor")
# A windowed Windows build has no stdout: the lines then go to this file in the temp folder.
OUTPUT_FILE = "institute-desk-selftest.txt"


class SelfTestFailed(Exception):
    """A step did not work; the message names it."""


class _Problems(logging.Handler):
    """Collects errors logged anywhere and exceptions that reach sys.excepthook."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.name}: {record.getMessage()}")

    def excepthook(self, kind: type[BaseException], error: BaseException,
                   tb: TracebackType | None) -> None:
        self.seen.append("".join(traceback.format_exception(kind, error, tb)).strip())


def _say(text: str) -> None:
    line = f"self-test: {text}"
    if sys.stdout is not None:
        print(line, flush=True)
        return
    with open(Path(tempfile.gettempdir()) / OUTPUT_FILE, "a", encoding="utf-8") as out:
        out.write(line + "\n")


@contextmanager
def _step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except SelfTestFailed:
        raise
    except Exception as exc:
        raise SelfTestFailed(f"{name}: {type(exc).__name__}: {exc}") from exc
    _say(f"{name} ok ({time.perf_counter() - started:.1f} s)")


def _settle(tasks: Any, app: Any, ms: int = 150) -> None:
    """Let queued database work finish and its results reach the widgets."""
    from PySide6.QtCore import QEventLoop, QTimer

    for _ in range(3):
        tasks.wait_db()
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        app.processEvents()


def _check(problems: _Problems, where: str) -> None:
    if problems.seen:
        raise SelfTestFailed(f"{where}: {problems.seen[0]}")


def run_self_test(work_dir: Path | None = None, *, say: Callable[[str], None] = _say) -> int:
    """Run every step; 0 when all passed, 1 (with the failing step printed) otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    (Path(tempfile.gettempdir()) / OUTPUT_FILE).unlink(missing_ok=True)  # this run's lines only
    problems = _Problems()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(problems)
    previous_hook = sys.excepthook
    sys.excepthook = problems.excepthook
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="institute-desk-selftest-") as tmp:
            _run(Path(work_dir or tmp), problems)
    except SelfTestFailed as exc:
        say(f"FAILED: {exc}")
        return 1
    finally:
        sys.excepthook = previous_hook
        logging.getLogger().removeHandler(problems)
    say(f"all steps passed in {time.perf_counter() - started:.1f} s")
    return 0


def _run(work: Path, problems: _Problems) -> None:
    with _step("imports"):
        from PySide6.QtWidgets import QApplication

        from desktop_app.context import AppContext
        from desktop_app.gui_gc import collect_garbage_on_gui_thread
        from desktop_app.placeholders.view import PlaceholderView
        from desktop_app.shell.main_window import MainWindow
        from desktop_app.shell.navigation import sections_for
        from desktop_app.shell.sync_controller import SyncController
        from desktop_app.tasks import TaskManager
        from desktop_app.theme import apply_theme
        from institute_core.demo import DEMO_LOGINS, build_demo_replica
        from institute_core.enums import Role
        from institute_core.replica import Replica
        from institute_core.services import auth

    data_dir = work / "data"
    with _step("build a small demo institute"):
        build_demo_replica(data_dir, size="small")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collect_garbage_on_gui_thread()
    assert isinstance(app, QApplication)
    with _step("theme, fonts and icons"):
        apply_theme(app)
        if app.windowIcon().isNull() or not app.styleSheet():
            raise SelfTestFailed("the theme or the app icon did not load (resources missing?)")
        from institute_core.reports.fonts import font_dirs

        # The app's own fonts, not the system's: a user's PC may have none of them.
        if not any((d / "DejaVuSans.ttf").is_file() for d in font_dirs()
                   if not str(d).startswith("/usr/share")):
            raise SelfTestFailed("the report fonts are missing from the app's resources")
    replica = Replica.open(data_dir)
    tasks = TaskManager()
    try:
        for role_name in ROLES:
            role = Role(role_name)
            email, password = DEMO_LOGINS[role_name]
            with _step(f"sign in as {role_name}"):
                user = auth.login_offline(replica, email, password)
            ctx = AppContext(replica, tasks, user)
            window = MainWindow(ctx, SyncController(replica, tasks, None))
            window.resize(1200, 760)
            window.show()
            try:
                for section in sections_for(role):
                    with _step(f"{role_name}: {section.title}"):
                        if not window.open_section(section.id):
                            raise SelfTestFailed(f"{section.title} refused for {role_name}")
                        _settle(tasks, app)
                        page = window.page(section.id)
                        if page is None or window.grab().isNull():
                            raise SelfTestFailed(f"{section.title} did not render")
                        if isinstance(page, PlaceholderView):
                            log.warning("%s is still a placeholder", section.title)
                        _check(problems, section.title)
            finally:
                window.close()
                _settle(tasks, app, 20)
                window.deleteLater()
        with _step("PDF report"):
            _write_report(replica, work / "progress.pdf")
        _check(problems, "after the report")
    finally:
        tasks.shutdown()
        replica.close()


def _write_report(replica: Any, out: Path) -> None:
    from sqlalchemy import select

    from institute_core.analytics.period import Period
    from institute_core.reports import service
    from institute_core.schema import Student

    with replica.read() as db:
        student_id = db.execute(select(Student.id).order_by(Student.enrollment_no)
                                .limit(1)).scalar_one()
    today = date.today()
    request = service.ReportRequest("progress", Period(today - timedelta(days=60), today),
                                    student_id=student_id)
    result = service.generate(replica, request, out, generated_by=None, record=False)
    head = out.read_bytes()[:5]
    if head != b"%PDF-" or result.pages < 1 or out.stat().st_size < 2000:
        raise SelfTestFailed(f"the report at {out} is not a usable PDF")
