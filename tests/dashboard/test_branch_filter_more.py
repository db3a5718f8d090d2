"""The branch picker on the screens that lacked it (issue 17): Conflicts, Certificates, the
follow-ups of the day and the feedback list show the picked branch's rows only, a row of every
branch (a conflict over the syllabus) stays under each pick, and a one-branch user sees no
picker. Screens are rendered to PNG."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from desktop_app.certificates.view import CertificatesView
from desktop_app.conflicts.view import ConflictsView
from desktop_app.context import AppContext
from desktop_app.crm.feedback_view import FeedbackView
from desktop_app.crm.followups_view import FollowUpsView
from desktop_app.tasks import TaskManager
from institute_core.branches import service
from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.schema import (
    MAIN_BRANCH_ID,
    Certificate,
    CertificateTemplate,
    ConflictLogEntry,
    Feedback,
    FollowUp,
    Inquiry,
)
from institute_core.services.auth import CurrentUser
from tests.analytics.institute import Institute
from tests.dashboard.test_branch_filter import _dev_user, _north, _pick, _shown
from tests.support.shots import shot

TODAY = date(2026, 3, 20)


def _conflict(table: str, row_id: uuid.UUID, field: str) -> ConflictLogEntry:
    return ConflictLogEntry(table_name=table, row_id=row_id, field=field, kind="update_update",
                            kept_value="kept", lost_value="lost", server_version=1)


def test_conflicts_show_the_picked_branch_and_those_of_every_branch(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, moved = _north(admin_ctx, institute)
    number = next(n for n, s in institute.students.items()
                  if s != moved and n in institute.enrollments)
    stayed = institute.students[number]
    with replica.write(admin_ctx.actor) as s:
        # Conflicts arrive from the server; here they are written as a pull would. An
        # enrollment lives in its student's branch (found through the student, as the policy
        # says); a subject in every branch.
        s.add_all([_conflict("students", moved, "notes"), _conflict("students", stayed, "notes"),
                   _conflict("student_subject_enrollments", institute.enrollments[number],
                             "status"),
                   _conflict("subjects", institute.subject, "name")])
    view = _shown(qtbot, ConflictsView(admin_ctx), 1200, 500)
    qtbot.waitUntil(lambda: view.model.total == 4, timeout=5000)
    assert view.branch.isVisible()
    _pick(qtbot, view.branch, north)
    # North: its student's conflict, and the syllabus's (a subject is every branch's).
    assert sorted((r.table, r.row_id) for r in view.model.rows) == sorted(
        [("students", moved), ("subjects", institute.subject)])
    shot(view, "conflicts_north")
    _pick(qtbot, view.branch, MAIN_BRANCH_ID)
    assert {r.row_id for r in view.model.rows} >= {stayed, institute.subject}
    assert moved not in {r.row_id for r in view.model.rows}
    assert len(view.model.rows) == 3  # the enrollment hangs off a Main student
    _pick(qtbot, view.branch, None)
    assert len(view.model.rows) == 4


def test_certificates_list_the_picked_branchs_students(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, moved = _north(admin_ctx, institute)
    stayed = next(s for s in institute.students.values() if s != moved)
    with replica.write(admin_ctx.actor) as s:
        template = CertificateTemplate(name="Completion", title="Certificate of Completion",
                                       body="{student_name}")
        s.add(template)
        s.flush()
        for n, student in enumerate((moved, stayed)):
            s.add(Certificate(template_id=template.id, student_id=student,
                              certificate_number=f"CERT-{n}", verification_token=f"tok{n}",
                              issued_on=TODAY, issued_by=institute.admin,
                              student_name=f"Student {n}", course_name="Python"))
    view = _shown(qtbot, CertificatesView(admin_ctx), 1300, 700)
    qtbot.waitUntil(lambda: view.certificates.total == 2, timeout=5000)
    _pick(qtbot, view.branch, north)
    assert [c.number for c in view.certificates.rows] == ["CERT-0"]
    assert view.templates.rowCount() == 1  # templates are the institute's, whatever the pick
    shot(view, "certificates_north")
    _pick(qtbot, view.branch, MAIN_BRANCH_ID)
    assert [c.number for c in view.certificates.rows] == ["CERT-1"]


def test_follow_ups_and_feedback_show_the_picked_branch(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, moved = _north(admin_ctx, institute)
    stayed = next(s for s in institute.students.values() if s != moved)
    due = datetime.combine(TODAY, time(9, 0), tzinfo=UTC)
    with replica.write(admin_ctx.actor) as s:
        for name, branch, when in (("North today", north, due), ("Main today", MAIN_BRANCH_ID, due),
                                   ("North late", north, due - timedelta(days=3))):
            inquiry = Inquiry(student_name=name, status="contacted", source="walk_in",
                              branch_id=branch, counselor_id=institute.counselor)
            s.add(inquiry)
            s.flush()
            s.add(FollowUp(inquiry_id=inquiry.id, counselor_id=institute.counselor,
                           follow_up_date=when, follow_up_type="call", status="pending"))
        s.add_all([Feedback(student_id=moved, rating=5, comments="Great", feedback_type="subject",
                            is_anonymous=True),
                   Feedback(student_id=stayed, rating=2, comments="Slow", feedback_type="subject")])
    view = _shown(qtbot, FollowUpsView(admin_ctx, today=TODAY), 1200, 600)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.refresh()
    qtbot.waitUntil(lambda: view.branch.count() > 1, timeout=5000)
    before = (view.due_model.total, view.overdue_model.total)
    _pick(qtbot, view.branch, north)
    assert "North today" in [r.name for r in view.due_model.rows]
    assert "Main today" not in [r.name for r in view.due_model.rows]
    assert [r.name for r in view.overdue_model.rows] == ["North late"]
    assert view.due_title.text() == f"Due today ({view.due_model.rowCount()})"
    assert view.overdue_title.text() == "Overdue (1)"
    shot(view, "followups_north")
    _pick(qtbot, view.branch, None)
    assert (view.due_model.rowCount(), view.overdue_model.rowCount()) == before
    feedback = _shown(qtbot, FeedbackView(admin_ctx), 1100, 500)
    with qtbot.waitSignal(feedback.sig_loaded, timeout=10000):
        feedback.refresh()
    _pick(qtbot, feedback.branch, north)
    # Anonymous feedback counts in its student's branch; only the name is hidden.
    assert [(r.student, r.comments) for r in feedback.model.rows] == [("Anonymous", "Great")]
    _pick(qtbot, feedback.branch, MAIN_BRANCH_ID)
    assert "Great" not in [r.comments for r in feedback.model.rows]
    assert "Slow" in [r.comments for r in feedback.model.rows]


def test_a_one_branch_user_sees_no_picker_on_these_screens(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext, tasks: TaskManager) -> None:
    ctx = one_branch_user(admin_ctx, institute, tasks)
    assert_no_picker(qtbot, ConflictsView(ctx), CertificatesView(ctx))


def one_branch_user(admin_ctx: AppContext, institute: Institute,
                    tasks: TaskManager) -> AppContext:
    """Dev Singh signed in, working in Main only, with North Campus there too."""
    replica = admin_ctx.replica
    _north(admin_ctx, institute)
    dev = _dev_user(replica, institute)
    service.set_user_branches(replica, admin_ctx.actor, admin_ctx.user, dev, [MAIN_BRANCH_ID])
    return AppContext(replica, tasks, CurrentUser(dev, "dev@example.org", "Dev Singh",
                                                  Role.FACULTY, institute.dev))


def assert_no_picker(qtbot, *views: Any) -> None:  # type: ignore[no-untyped-def]
    """Each view, shown, has read its branch choice and shows no picker."""
    for view in views:
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda v=view: v.branch.choice.loaded, timeout=5000)  # type: ignore[misc]
        assert not view.branch.isVisible()


assert os.environ.get("QT_QPA_PLATFORM") == "offscreen"
