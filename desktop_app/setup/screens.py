"""The setup screens for `desktop_app.screenshots`: people with a faculty member's week grid,
students with enrollments, syllabus, batches, the import preview with refused rows, and the
audit log."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QWidget

from desktop_app.context import AppContext
from desktop_app.setup.view import SetupView
from desktop_app.tasks import TaskManager
from institute_core.demo import DEMO_LOGINS
from institute_core.replica import Replica
from institute_core.services import auth
from institute_core.setup import people, syllabus
from institute_core.setup.week import Week

SIZE = (1280, 800)
SAMPLE = """Roll No,Name,Surname,E-mail,DOB,Counsellor,Status
NEW-101,Asha,Rao,asha.rao@example.org,2004-02-03,counselor@demo.institute,active
NEW-102,Ravi,Kumar,,31/02/2004,,
NEW-103,Sunita,Kale,asha.rao@example.org,,nobody@example.org,sleeping
NEW-104,Kiran,Das,,04/05/2005,,hold
NEW-101,Meena,Shah,,,,
"""


def render_setup(replica: Replica, out: Path, save: Callable[[QWidget, Path, str], None],
                 wait: Callable[[Callable[[], bool]], None]) -> None:
    email, password = DEMO_LOGINS["admin"]
    tasks = TaskManager()
    ctx = AppContext(replica, tasks, auth.login_offline(replica, email, password))
    try:
        view = SetupView(ctx)
        view.resize(*SIZE)
        view.show()
        staff = view.people
        wait(lambda: staff.model.rowCount() > 0)
        faculty_row = next(i for i, r in enumerate(staff.model.rows) if r.role == "faculty")
        staff.table.setCurrentIndex(staff.model.index(faculty_row, 0))
        wait(lambda: staff.availability.isEnabled())
        save(view, out, "setup_people")

        view.tabs.setCurrentWidget(view.students)
        wait(lambda: view.students.enrollments.rowCount() > 0)
        save(view, out, "setup_students")

        view.tabs.setCurrentWidget(view.syllabus)
        wait(lambda: view.syllabus.topic_model.rowCount() > 0)
        save(view, out, "setup_syllabus")

        view.tabs.setCurrentWidget(view.batches)
        wait(lambda: view.batches.members.count() > 0)
        save(view, out, "setup_batches")
        dialog = view.batches.batch_dialog(syllabus.subject_choices(replica),
                                           people.faculty_choices(replica))
        dialog.name.setText("Weekend Django workshop")
        dialog.location.setText("Lab 2")
        week = Week()
        week.set_slots("saturday", [(time(10), time(13))])
        week.set_slots("sunday", [(time(10), time(13))])
        dialog.week.set_week(week)
        dialog.resize(640, 720)
        dialog.show()
        save(dialog, out, "setup_batch_dialog")
        dialog.close()

        view.tabs.setCurrentWidget(view.importer)
        with tempfile.TemporaryDirectory() as tmp:
            sample = Path(tmp) / "new-students.csv"
            sample.write_text(SAMPLE, encoding="utf-8")
            plan_shown: list[bool] = []
            view.importer.previewed.connect(lambda: plan_shown.append(True))
            view.importer.load_file(sample)
            wait(lambda: bool(plan_shown))
            save(view, out, "setup_import")
            view.importer.accept_import()
            wait(lambda: view.importer.runs_model.rowCount() > 0)

        view.tabs.setCurrentWidget(view.audit)
        wait(lambda: view.audit.model.rowCount() > 0)
        save(view, out, "setup_audit")
        wait(lambda: tasks.idle)  # no callback may arrive after the view is gone
        view.close()
        view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    finally:
        tasks.shutdown()
        tasks.deleteLater()
