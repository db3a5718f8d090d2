"""The student page changes an enrollment's status and dates, with the reason, as a synced edit."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.context import AppContext
from desktop_app.students.page import StudentPageView
from desktop_app.tasks import TaskManager
from desktop_app.widgets import index_of
from institute_core.display import date_text
from institute_core.ids import natural_id
from institute_core.replica import Replica
from institute_core.schema import Enrollment, OutboxEntry
from institute_core.services import auth
from institute_core.services.enrollments import EnrollmentChange, change_enrollment
from institute_core.validation import InvalidInput
from tests.services.fixtures import PASSWORD, Institute
from tests.setup.conftest import ADMIN

pytestmark = pytest.mark.usefixtures("qapp")


def _enrollment(replica: Replica, institute: Institute, n: int = 0) -> Enrollment:
    with replica.read() as s:
        row = s.get(Enrollment, natural_id("student_subject_enrollments",
                                           institute.student_ids[n], institute.subject_id))
        assert row is not None
        return row


def _page(qtbot: QtBot, ctx: AppContext, institute: Institute) -> StudentPageView:
    page = StudentPageView(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    page.load(institute.student_ids[0])
    qtbot.waitUntil(lambda: page.enrollments.rowCount() == 1, timeout=5000)
    return page


def test_pausing_then_completing_an_enrollment_from_the_student_page(
        qtbot: QtBot, replica: Replica, institute: Institute, admin_ctx: AppContext,
        tmp_path: Path) -> None:
    page = _page(qtbot, admin_ctx, institute)
    before = replica.pending_changes()
    dialog = page.change_enrollment()
    assert dialog is not None
    dialog.status.setCurrentIndex(index_of(dialog.status, "paused"))
    dialog.save()  # no reason yet: refused in words, nothing stored
    qtbot.waitUntil(lambda: "give the reason" in dialog.error.text(), timeout=5000)
    assert _enrollment(replica, institute).status == "active"
    qtbot.keyClicks(dialog.reason, "Board exams until March")
    dialog.grab().save(str(tmp_path / "enrollment_dialog.png"))
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        dialog.save()
    qtbot.waitUntil(lambda: page.enrollments.rowCount() == 1
                    and page.enrollments.row_at(0).status == "paused", timeout=5000)
    paused = _enrollment(replica, institute)
    today = date_text(date.today())
    assert paused.status == "paused"
    assert paused.notes == f"{today} · active → paused: Board exams until March"
    assert replica.pending_changes() > before  # a synced edit
    with replica.read() as s:
        entry = s.execute(select(OutboxEntry).where(
            OutboxEntry.table_name == "student_subject_enrollments")
            .order_by(OutboxEntry.seq.desc())).scalars().first()
    assert entry is not None and entry.fields["status"] == "paused"
    page.grab().save(str(tmp_path / "student_enrollments.png"))

    # Completing suggests today as the finishing date; a date in the future is refused.
    dialog = page.change_enrollment()
    assert dialog is not None
    dialog.status.setCurrentIndex(index_of(dialog.status, "completed"))
    assert dialog.finished_on.value() == date.today()
    tomorrow = date.today() + timedelta(days=1)
    dialog.finished_on.edit.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    qtbot.keyClicks(dialog.reason, "Course finished")
    dialog.save()
    qtbot.waitUntil(lambda: "cannot be in the future" in dialog.error.text(), timeout=5000)
    dialog.finished_on.edit.setDate(QDate.currentDate())
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        dialog.save()
    done = _enrollment(replica, institute)
    assert (done.status, done.actual_completion_date) == ("completed", date.today())
    assert done.notes is not None and done.notes.splitlines()[-1] == \
        f"{today} · paused → completed: Course finished"
    qtbot.waitUntil(lambda: admin_ctx.tasks.idle, timeout=5000)


def test_the_rules_of_a_change(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    row = _enrollment(replica, institute, 1)
    start = row.enrollment_date

    def change(**kw: object) -> None:
        wanted = dict(status="active", enrollment_date=start, expected_completion_date=None,
                      actual_completion_date=None, reason="checked")
        wanted.update(kw)
        change_enrollment(replica, actor, ADMIN, row.id,
                          EnrollmentChange(**wanted))  # type: ignore[arg-type]

    with pytest.raises(InvalidInput, match="must be one of: active, completed, paused, dropped"):
        change(status="frozen")
    with pytest.raises(InvalidInput, match="cannot be before the enrollment date"):
        change(expected_completion_date=start - timedelta(days=1))
    with pytest.raises(InvalidInput, match="give the reason"):
        change(status="dropped", reason="   ")
    assert _enrollment(replica, institute, 1).status == "active"
    change(status="dropped", reason="Moved to Pune", expected_completion_date=start)
    assert _enrollment(replica, institute, 1).status == "dropped"


def test_only_admins_change_enrollments(qtbot: QtBot, replica: Replica, institute: Institute,
                                        tasks: TaskManager) -> None:
    faculty = AppContext(replica, tasks, auth.login_offline(replica, "faculty@example.org",
                                                            PASSWORD))
    page = _page(qtbot, faculty, institute)
    assert not page.change_button.isVisible() and page.change_enrollment() is None
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)
