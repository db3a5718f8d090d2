"""Render the main screens to PNG, offscreen: `python -m desktop_app.screenshots --out DIR`.

Works on a copy of a demo replica (built with the small demo when none is given), signs in as
the demo faculty (and admin for the conflicts screen), and saves login, today, attendance,
students list, student page, conflicts and help. A sample conflict is added to the copy so the
conflicts screen has something to show.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTime, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.app import DeskApp
from desktop_app.crm.screens import render_counselor
from desktop_app.gui_gc import collect_garbage_on_gui_thread
from desktop_app.setup.screens import render_setup
from desktop_app.shell.main_window import MainWindow
from desktop_app.students.view import StudentsView
from desktop_app.theme import apply_theme
from desktop_app.today.view import TodayView
from institute_core.demo import DEMO_LOGINS, build_demo_replica
from institute_core.enums import AttendanceStatus
from institute_core.replica import Replica
from institute_core.schema import ConflictLogEntry
from institute_core.services import attendance
from institute_core.sync.credentials import MemoryCredentials

SIZE = (1280, 800)


def _wait(condition: Callable[[], bool], timeout_ms: int = 10000) -> None:
    """Run the event loop until `condition` holds (a tool's wait, like qtbot.waitUntil)."""
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: loop.quit() if condition() else None)
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(loop.quit)
    poll.start()
    give_up.start(timeout_ms)
    if not condition():
        loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError("screen did not finish loading")


def _settle(ms: int = 150) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _save(widget: QWidget, out: Path, name: str) -> None:
    _settle()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


def _add_sample_conflict(replica: Replica) -> None:
    with replica.read() as s:
        from sqlalchemy import select

        from institute_core.schema import Student, User

        student_id = s.execute(select(Student.id).limit(1)).scalar_one()
        people = s.execute(select(User.id).where(User.role.in_(["faculty", "counselor"]))
                           .limit(2)).scalars().all()
    with replica.engine.begin() as c:
        c.execute(ConflictLogEntry.__table__.insert().values(  # type: ignore[attr-defined]
            id=uuid.uuid4(), table_name="students", row_id=student_id, field="status",
            kind="overwritten", kept_value="active", lost_value="hold", kept_by=people[1],
            lost_by=people[0], server_version=42,
            note="both changed it offline; the counselor owns the record"))


def render(data_dir: Path, out: Path) -> None:
    """Render every main screen of the replica in `data_dir` into `out`."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collect_garbage_on_gui_thread()
    assert isinstance(app, QApplication)
    apply_theme(app)
    out.mkdir(parents=True, exist_ok=True)
    replica = Replica.open(data_dir)
    _add_sample_conflict(replica)
    desk = DeskApp(replica, credentials=MemoryCredentials(persistent=False), demo=True)
    desk.start()
    desk.login.resize(560, 460)
    email, password = DEMO_LOGINS["faculty"]
    _save(desk.login, out, "login")

    shown: list[MainWindow] = []
    desk.sig_main_window_shown.connect(shown.append)
    desk.login.email.setText(email)
    desk.login.password.setText(password)
    desk.login.sign_in()
    _wait(lambda: bool(shown))
    window = shown[0]
    window.resize(*SIZE)
    today = window.page("today")
    assert isinstance(today, TodayView)
    _wait(lambda: today.sessions_model.rowCount() > 0)
    # The biggest session shows the attendance screen best.
    row = max(range(today.sessions_model.rowCount()),
              key=lambda r: len(today.sessions_model.row_at(r).students))
    today.sessions.setCurrentIndex(today.sessions_model.index(row, 0))
    _save(window, out, "today")

    schedule = today.open_schedule()
    _wait(lambda: schedule.loaded)
    schedule.start.setTime(QTime(6, 30))  # before the faculty's hours: a warning to confirm
    schedule.end.setTime(QTime(7, 30))
    schedule.schedule_button.click()
    _wait(schedule.warnings.isVisible)
    _save(schedule, out, "schedule")
    schedule.close()

    session = today.sessions_model.row_at(row)
    statuses = [AttendanceStatus.PRESENT, AttendanceStatus.PRESENT, AttendanceStatus.ABSENT,
                AttendanceStatus.LATE, AttendanceStatus.EXCUSED]
    today.open_attendance(session)
    view = today.attendance
    _wait(lambda: view.model.rowCount() > 0 and view.controller.syllabus is not None)
    # Marked through the screen, as the faculty would: saved at once, counted for sync.
    count, waiting = view.model.rowCount(), window.sync.status.pending
    for i in range(count - 2 if count > 3 else 1):
        view.controller.mark(i, statuses[i % len(statuses)])
    _wait(lambda: view.controller.idle and window.sync.status.pending > waiting)
    view.table.setCurrentIndex(view.model.index(0, 0))
    _save(window, out, "attendance")
    roster = attendance.load_roster(replica, session.key)

    window.open_section("students")
    students = window.page("students")
    assert isinstance(students, StudentsView)
    _wait(lambda: students.model.rowCount() > 0)
    students.search.setText("an")
    _save(window, out, "students")
    student_id = roster.rows[0].student_id
    students.open_student(student_id)
    _wait(lambda: students.page.student is not None)
    students.page.tabs.setCurrentIndex(1)
    _save(window, out, "student_page")
    students.page.tabs.setCurrentWidget(students.page.assessments_tab)
    _save(window, out, "student_assessments")

    window.open_section("conflicts")
    conflicts = window.page("conflicts")
    assert conflicts is not None
    _wait(lambda: conflicts.model.rowCount() > 0)  # type: ignore[attr-defined]
    _save(window, out, "conflicts")

    window.open_section("my_dashboard")
    mine = window.page("my_dashboard")
    _wait(lambda: bool(getattr(mine, "loaded", False)))
    _save(window, out, "dashboard_faculty")
    from desktop_app.dashboard.screens import render_admin_screens

    render_admin_screens(replica, window.ctx, out, SIZE, _wait, _save)

    render_counselor(replica, out, _save, _wait)
    render_setup(replica, out, _save, _wait)

    panel = window.show_help()
    panel.resize(760, 560)
    _save(panel, out, "help")
    panel.close()
    settings = window.show_settings()
    _wait(settings.save_button.isEnabled)  # type: ignore[attr-defined]
    settings.resize(640, settings.sizeHint().height())
    _save(settings, out, "settings")
    settings.close()
    desk.shutdown()
    replica.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="a demo replica to copy (default: build the small demo)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="desk-shots-") as tmp:
        work = Path(tmp) / "replica"
        if args.data_dir is not None:
            shutil.copytree(args.data_dir, work)
        else:
            build_demo_replica(work, size="small")
        render(work, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
