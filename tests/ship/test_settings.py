"""The settings dialog: wrong values are named and nothing is stored; right ones reach the
reports, the settings file, and the scheduled restore/reset done at the next start."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_app.context import AppContext
from desktop_app.settings import pending
from desktop_app.settings.dialog import SettingsDialog
from desktop_app.settings.store import DeskSettings, load_settings, save_settings
from desktop_app.tasks import TaskManager
from desktop_app.theme import apply_theme
from institute_core.analytics.period import Period
from institute_core.replica import Replica
from institute_core.reports.service import ReportRequest, branding_of, generate
from institute_core.services import auth
from tests.services.fixtures import PASSWORD, Institute, build_institute
from tests.sync.builders import add_subject


@pytest.fixture
def tasks(qapp: QApplication) -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.shutdown()


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)


@pytest.fixture
def admin_ctx(replica: Replica, tasks: TaskManager, institute: Institute) -> AppContext:
    return AppContext(replica, tasks, auth.login_offline(replica, "admin@example.org", PASSWORD))


def _open(qtbot: QtBot, ctx: AppContext, settings_file: Path) -> SettingsDialog:
    dialog = SettingsDialog(ctx, settings_file=settings_file)
    dialog.restart_after_schedule = False
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.save_button.isEnabled)
    return dialog


def _png(tmp_path: Path) -> Path:
    from PySide6.QtGui import QColor, QPixmap

    pixmap = QPixmap(64, 64)
    pixmap.fill(QColor("#14324a"))
    path = tmp_path / "logo.png"
    assert pixmap.save(str(path))
    return path


def test_saved_settings_reach_reports_and_the_settings_file(
        qtbot: QtBot, admin_ctx: AppContext, institute: Institute, tmp_path: Path) -> None:
    settings_file = tmp_path / "config" / "settings.json"
    dialog = _open(qtbot, admin_ctx, settings_file)
    apply_theme(QApplication.instance())  # type: ignore[arg-type]
    dialog.name.setText("Sunrise Computer Academy")
    dialog.address.setPlainText("12 MG Road, Pune")
    dialog.logo.setText(str(_png(tmp_path)))
    dialog.signature.setText("Principal")
    dialog.interval.setValue(10)
    dialog.scale.setCurrentIndex(dialog.scale.findText("115%"))
    dialog.resize(620, dialog.sizeHint().height())
    dialog.grab().save(str(tmp_path / "settings.png"))
    with qtbot.waitSignal(dialog.sig_saved, timeout=10000) as saved:
        dialog.save()
    assert saved.args[0] == load_settings(settings_file)
    assert load_settings(settings_file).sync_interval_minutes == 10
    assert load_settings(settings_file).theme_scale == 1.15
    branding = branding_of(admin_ctx.replica)
    assert branding.name == "Sunrise Computer Academy" and branding.signature_line == "Principal"
    assert branding.logo_file() is not None
    pdf = tmp_path / "progress.pdf"
    generate(admin_ctx.replica, ReportRequest(
        "progress", Period(institute.today - timedelta(days=30), institute.today),
        student_id=institute.student_ids[0], today=institute.today), pdf,
        generated_by=None, record=False)
    first_page = PdfReader(pdf).pages[0].extract_text()
    assert "Sunrise Computer Academy" in first_page and "12 MG Road, Pune" in first_page


def test_wrong_values_are_named_and_nothing_is_stored(
        qtbot: QtBot, admin_ctx: AppContext, tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    save_settings(DeskSettings(sync_interval_minutes=5), settings_file)
    before = branding_of(admin_ctx.replica)
    dialog = _open(qtbot, admin_ctx, settings_file)
    dialog.name.setText("New Name")
    dialog.logo.setText(str(tmp_path / "missing.png"))
    dialog.interval.setValue(20)
    dialog.save()
    qtbot.waitUntil(lambda: "Logo" in dialog.message.text())
    assert "missing.png" in dialog.message.text() and dialog.isVisible() is not None
    assert branding_of(admin_ctx.replica) == before
    assert load_settings(settings_file).sync_interval_minutes == 5
    assert dialog.name.text() == "New Name"  # what was typed is still there
    dialog.logo.setText("")
    dialog.data_dir.setText("relative/folder")
    dialog.save()
    assert "Data folder" in dialog.message.text() and "full path" in dialog.message.text()
    assert not dialog.server_url.isEnabled()  # a standalone replica has no server to change


def test_backup_now_and_restore_at_next_start(qtbot: QtBot, admin_ctx: AppContext,
                                              tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    dialog = _open(qtbot, admin_ctx, settings_file)
    backup = tmp_path / "friday.idbackup"
    with qtbot.waitSignal(dialog.sig_message, timeout=20000) as said:
        dialog.back_up(backup)
    assert "Backed up to" in said.args[0] and backup.exists()
    add_subject(admin_ctx.replica, admin_ctx.user.user_id, "AFTER", topics=0)
    with qtbot.waitSignal(dialog.sig_message, timeout=20000) as said:
        dialog.restore(backup, confirm=False)
    assert "when Institute Desk starts again" in said.args[0]
    data_dir = admin_ctx.replica.path.parent
    admin_ctx.tasks.wait_db()
    admin_ctx.replica.close()
    outcome = pending.run_pending(data_dir, settings_file)
    assert outcome is not None and outcome.ok, outcome
    assert pending.run_pending(data_dir, settings_file) is None  # done once only
    reopened = Replica.open(data_dir)
    try:
        from institute_core.schema import Subject

        with reopened.read() as s:
            assert "AFTER" not in {x.code for x in s.query(Subject)}
    finally:
        reopened.close()


def test_reset_of_a_standalone_desk_is_not_offered_and_refused(
        qtbot: QtBot, admin_ctx: AppContext, tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    dialog = _open(qtbot, admin_ctx, settings_file)
    assert not dialog.reset_button.isEnabled()
    pending.schedule("reset", None, data_dir=admin_ctx.replica.path.parent,
                     settings_file=settings_file)
    admin_ctx.tasks.wait_db()
    admin_ctx.replica.close()
    outcome = pending.run_pending(admin_ctx.replica.path.parent, settings_file)
    assert outcome is not None and not outcome.ok
    assert "not connected to a server" in outcome.message
