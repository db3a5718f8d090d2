"""A counselor has a Conflicts section and restores what sync overwrote on their inquiries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.conflicts.view import ConflictsView
from desktop_app.context import AppContext
from desktop_app.shell.navigation import sections_for
from desktop_app.tasks import TaskManager
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.enums import Role
from institute_core.replica import Actor, Replica
from institute_core.schema import ConflictLogEntry, Inquiry, OutboxEntry
from institute_core.services import auth
from tests.services.fixtures import PASSWORD, Institute


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:  # type: ignore[no-untyped-def]
    manager = TaskManager()
    yield manager
    manager.shutdown(5000)


def test_counselors_have_a_conflicts_section() -> None:
    assert "conflicts" in [s.id for s in sections_for(Role.COUNSELOR)]


def test_a_counselor_restores_an_overwritten_inquiry_note(
        qtbot: QtBot, replica: Replica, institute: Institute, counselor: Actor,
        tasks: TaskManager, tmp_path: Path) -> None:
    inquiry = create_inquiry(replica, counselor, InquiryDraft(
        "Meena Iyer", phone="98450 11111", notes="Wants evening Python"))
    conflict_id = uuid.uuid4()
    with replica.engine.begin() as c:  # as a pull brings it: the counselor's note lost
        c.execute(ConflictLogEntry.__table__.insert().values(  # type: ignore[attr-defined]
            id=conflict_id, table_name="crm_inquiries", row_id=inquiry, field="notes",
            kind="overwritten", kept_value="Call back in May",
            lost_value="Wants evening Python; fees agreed", kept_by=institute.admin_id,
            lost_by=institute.counselor_id, server_version=9))
    ctx = AppContext(replica, tasks, auth.login_offline(replica, "counselor@example.org",
                                                        PASSWORD))
    view = ConflictsView(ctx)
    qtbot.addWidget(view)
    view.resize(1280, 500)
    view.show()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)
    row = view.model.row_at(0)
    assert (row.row_label, row.lost_by, row.kept_by) == ("Meena Iyer", "Cyrus Counselor",
                                                         "Ada Admin")
    view.grab().save(str(tmp_path / "counselor_conflicts.png"))
    before = replica.pending_changes()
    with qtbot.waitSignal(view.sig_saved, timeout=5000):
        view.restore_button.click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=5000)
    qtbot.waitUntil(lambda: view.message.text() == "Restored notes of Meena Iyer. Nothing "
                    "else needs your attention.", timeout=5000)
    with replica.read() as s:
        assert s.get(Inquiry, inquiry).notes == "Wants evening Python; fees agreed"  # type: ignore[union-attr]
        entry = s.execute(select(OutboxEntry).where(OutboxEntry.table_name == "crm_inquiries")
                          .order_by(OutboxEntry.seq.desc())).scalars().first()
    assert entry is not None and entry.fields["notes"] == "Wants evening Python; fees agreed"
    assert replica.pending_changes() > before  # syncs like any edit
