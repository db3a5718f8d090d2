"""The counselor screens for `desktop_app.screenshots`: inquiries list with a lead's panel,
capture with a duplicate warning, the pipeline board, insights, the Enroll dialog, follow-ups,
feedback and its charts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from desktop_app.context import AppContext
from desktop_app.crm.followups_view import FollowUpsView
from desktop_app.crm.inquiries_view import InquiriesView
from desktop_app.tasks import TaskManager
from institute_core.demo import DEMO_LOGINS
from institute_core.replica import Replica
from institute_core.services import auth

SIZE = (1280, 800)


def render_counselor(replica: Replica, out: Path,
                     save: Callable[[QWidget, Path, str], None],
                     wait: Callable[[Callable[[], bool]], None]) -> None:
    email, password = DEMO_LOGINS["counselor"]
    tasks = TaskManager()
    ctx = AppContext(replica, tasks, auth.login_offline(replica, email, password))
    try:
        view = InquiriesView(ctx)
        view.resize(*SIZE)
        view.show()
        wait(lambda: view.loaded and view.index_ready)
        open_leads = [r for r in view.rows if r.status in ("new", "contacted")]
        view.open_inquiry(open_leads[0].id)
        save(view, out, "crm_inquiries")
        known = open_leads[1]
        view.new_inquiry()
        view.capture.name.setText(known.name.split()[0])
        view.capture.phone.setText("0" + known.phone.replace("+91", "").strip())
        save(view, out, "crm_capture_duplicate")
        view.tabs.setCurrentWidget(view.board_tab)
        view.board.select(open_leads[0].id)
        save(view, out, "crm_board")
        view.tabs.setCurrentWidget(view.insights_tab)
        wait(lambda: view.insights is not None and view.insights.figures is not None)
        save(view, out, "crm_insights")
        dialog = view.open_enroll(open_leads[0])
        dialog.resize(760, 540)
        wait(dialog.enroll_button.isEnabled)
        save(dialog, out, "crm_enroll")
        dialog.reject()
        follow_ups = FollowUpsView(ctx)
        follow_ups.resize(*SIZE)
        loaded: list[bool] = []
        follow_ups.sig_loaded.connect(lambda: loaded.append(True))
        follow_ups.show()
        wait(lambda: bool(loaded))
        save(follow_ups, out, "crm_follow_ups")
        follow_ups.tabs.setCurrentWidget(follow_ups.feedback_tab)
        feedback = follow_ups.feedback
        assert feedback is not None
        wait(lambda: feedback.model.total > 0)
        feedback.table.setCurrentIndex(feedback.model.index(0, 0))
        save(follow_ups, out, "crm_feedback")
        follow_ups.tabs.setCurrentWidget(follow_ups.insights_tab)
        feedback_insights = follow_ups.insights
        assert feedback_insights is not None
        wait(lambda: feedback_insights.figures is not None)
        save(follow_ups, out, "crm_feedback_insights")
        follow_ups.tabs.setCurrentWidget(follow_ups.points_tab)
        points = follow_ups.points
        assert points is not None
        wait(lambda: points.balance.text() != "")
        # The student with the longest history shows the screen best.
        for i in range(min(points.student.count(), 60)):
            points.student.setCurrentIndex(i)
            wait(lambda: points.balance.text() != "")
            if points.model.rowCount() >= 3:
                break
        save(follow_ups, out, "crm_points")
        view.close()
        follow_ups.close()
    finally:
        tasks.shutdown()
