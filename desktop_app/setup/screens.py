"""The setup screens for `desktop_app.screenshots`: people with a faculty member's week grid,
students with enrollments and a profile with its preferred schedule, syllabus with the subject
and topic forms, batches with a new and an existing batch's form, the import preview with
refused rows, and the audit log."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QDialog, QWidget

from desktop_app.context import AppContext
from desktop_app.setup.view import SetupView
from desktop_app.tasks import TaskManager
from institute_core.demo import DEMO_LOGINS
from institute_core.replica import Replica
from institute_core.services import auth
from institute_core.setup import batches, people, syllabus
from institute_core.setup.week import Week

SIZE = (1280, 800)
SAMPLE = """Roll No,Name,Surname,E-mail,DOB,Counsellor,Status
NEW-101,Asha,Rao,asha.rao@example.org,2004-02-03,counselor@demo.institute,active
NEW-102,Ravi,Kumar,,31/02/2004,,
NEW-103,Sunita,Kale,asha.rao@example.org,,nobody@example.org,sleeping
NEW-104,Kiran,Das,,04/05/2005,,hold
NEW-101,Meena,Shah,,,,
"""


def _show_dialog(dialog: QDialog, save: Callable[[QWidget, Path, str], None], out: Path,
                 name: str, width: int = 620) -> None:
    dialog.resize(width, dialog.sizeHint().height())
    dialog.show()
    save(dialog, out, name)
    dialog.close()


def _syllabus_screens(view: SetupView, replica: Replica, out: Path,
                      save: Callable[[QWidget, Path, str], None],
                      wait: Callable[[Callable[[], bool]], None]) -> None:
    tab = view.syllabus
    tab.topics.setCurrentIndex(tab.topic_model.index(min(2, tab.topic_model.rowCount() - 1)))
    # A loop between subjects, refused with its name (when the demo has two subjects).
    subject = tab.subject.currentData()
    if tab.subject_needs.count() > 0:
        other = tab.subject_needs.currentData()
        done: list[bool] = []
        tab.loaded.connect(lambda: done.append(True))
        tab.add_subject_prerequisite_of(other, subject)
        wait(lambda: len(done) >= 1)
        tab.add_subject_prerequisite_of(subject, other)
        wait(lambda: len(done) >= 2)
    save(view, out, "setup_syllabus")
    _show_dialog(tab.subject_dialog(syllabus.subject_info(replica, subject)), save, out,
                 "setup_subject_dialog")
    _show_dialog(tab.topic_dialog(tab.topic_model.topic_at(tab.topics.currentIndex().row())),
                 save, out, "setup_topic_dialog")


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
        student = view.students.model.row_at(0)
        profile = view.students.profile_dialog(people.student_profile(replica, student.id),
                                               people.counselor_choices(replica))
        _show_dialog(profile, save, out, "setup_student_profile")

        view.tabs.setCurrentWidget(view.syllabus)
        wait(lambda: view.syllabus.topic_model.rowCount() > 0)
        _syllabus_screens(view, replica, out, save, wait)

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
        dialog.resize(640, 760)
        dialog.show()
        save(dialog, out, "setup_batch_dialog")
        dialog.close()
        fullest = max(view.batches.model.rows, key=lambda b: b.members)
        edit = view.batches.batch_dialog(syllabus.subject_choices(replica),
                                         people.faculty_choices(replica),
                                         batches.batch_detail(replica, fullest.id))
        # Fewer places than students: what the refusal looks like (the form stays open).
        edit.capacity.setValue(max(1, fullest.members - 1))
        edit.resize(640, 760)
        edit.show()
        edit.submit()
        wait(lambda: bool(edit.error.text()))
        save(edit, out, "setup_batch_edit")
        edit.close()

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
