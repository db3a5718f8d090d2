"""The reports screen generates a real, recorded PDF on the worker and opens or prints it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QProcess, Qt
from PySide6.QtGui import QDesktopServices
from sqlalchemy import select

from desktop_app.context import AppContext
from desktop_app.reports.view import ReportsView
from institute_core.replica import Replica
from institute_core.schema import StudentReport
from tests.analytics.institute import Institute
from tests.reports.conftest import pdf_text


def _view(qtbot, ctx: AppContext, tmp_path: Path) -> ReportsView:  # type: ignore[no-untyped-def]
    view = ReportsView(ctx)
    qtbot.addWidget(view)
    view.output_dir = tmp_path / "out"
    with qtbot.waitSignal(view.sig_choices_loaded, timeout=10000):
        pass
    view.date_from.setDate(QDate(2026, 3, 1))
    view.date_to.setDate(QDate(2026, 3, 31))
    return view


def test_generates_a_progress_report_with_remarks_and_chosen_sections(  # type: ignore[no-untyped-def]
        qtbot, monkeypatch: pytest.MonkeyPatch, replica: Replica, institute: Institute,
        admin_ctx: AppContext, tmp_path: Path) -> None:
    view = _view(qtbot, admin_ctx, tmp_path)
    asha = institute.students["ENR-1"]
    view.kind.setCurrentIndex(view.kind.findData("progress"))
    view.select(asha)
    assert view.remarks.rowCount() == 1
    view.set_remarks(asha, "Revise loops before the test.")
    for i in range(view.sections.count()):  # leave out assessments
        item = view.sections.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == "assessments":
            item.setCheckState(Qt.CheckState.Unchecked)
    with qtbot.waitSignals([view.sig_generated, view.sig_saved], timeout=20000):
        view.generate_button.click()
    assert view.last is not None
    out = view.last.path
    assert out.parent == tmp_path / "out" and out.suffix == ".pdf" and out.stat().st_size > 1000
    lines = pdf_text(out).splitlines()
    assert "Asha Rao (ENR-1)" in lines and "Revise loops before the test." in lines
    assert "Assessments" not in lines and "Attendance summary" in lines
    assert "01 Mar 2026 – 31 Mar 2026" in " ".join(lines)
    with replica.read() as db:
        recorded = db.execute(select(StudentReport).where(StudentReport.student_id == asha)
                              ).scalars().all()
    assert [r.data["remarks"] for r in recorded] == ["Revise loops before the test."]
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    assert view.open_last() and opened == [str(out)]
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(QProcess, "startDetached",
                        staticmethod(lambda program, args: started.append((program, args))
                                     or (True, 1)))
    assert view.print_last() and started and str(out) in " ".join(started[0][1])


def test_a_batch_report_takes_remarks_per_student(qtbot, institute: Institute,  # type: ignore[no-untyped-def]
                                                  admin_ctx: AppContext, tmp_path: Path) -> None:
    view = _view(qtbot, admin_ctx, tmp_path)
    view.kind.setCurrentIndex(view.kind.findData("batch"))
    view.select(institute.batch)
    qtbot.waitUntil(lambda: view.remarks.rowCount() == 2, timeout=10000)
    view.set_remarks(institute.students["ENR-3"], "Zoë: keep it up.")
    with qtbot.waitSignal(view.sig_generated, timeout=20000):
        view.generate()
    assert view.last is not None and view.last.pages >= 3
    lines = pdf_text(view.last.path).splitlines()
    assert lines.index("Zoë: keep it up.") > lines.index("Zoë Ångström (ENR-3)")


def test_what_is_missing_is_said_and_nothing_is_written(qtbot, admin_ctx: AppContext,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    view = _view(qtbot, admin_ctx, tmp_path)
    view.kind.setCurrentIndex(view.kind.findData("faculty"))
    view.generate()
    assert "Choose the faculty" in view.message.text()
    view.kind.setCurrentIndex(view.kind.findData("crm"))
    view.date_from.setDate(QDate(2026, 4, 10))
    view.generate()
    assert "after it ends" in view.message.text()
    assert not (tmp_path / "out").exists()
    assert view.generate_button.isEnabled()


def test_a_kept_report_is_printed_again_as_it_was(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                 institute: Institute, admin_ctx: AppContext,
                                                 tmp_path: Path) -> None:
    view = _view(qtbot, admin_ctx, tmp_path)
    asha = institute.students["ENR-1"]
    view.kind.setCurrentIndex(view.kind.findData("progress"))
    view.select(asha)
    view.set_remarks(asha, "Remarks of March.")
    assert view.kept_model.rowCount() == 0
    view.generate()
    qtbot.waitUntil(lambda: view.kept_model.rowCount() == 1, timeout=20000)
    assert view.kept_model.row_at(0).about == "Asha Rao (ENR-1)"
    # Today's data changes after the report was made: the reprint keeps the old name.
    with replica.write(replica.actor(institute.admin)) as s:
        from institute_core.schema import Student, User

        user_id = s.get(Student, asha).user_id  # type: ignore[union-attr]
        s.get(User, user_id).first_name = "Ashaa"  # type: ignore[union-attr]
    view.kept_table.setCurrentIndex(view.kept_model.index(0, 0))
    with qtbot.waitSignal(view.sig_generated, timeout=20000):
        view.reprint_button.click()
    assert view.last is not None and view.last.path.name.startswith("again-progress-")
    lines = pdf_text(view.last.path).splitlines()
    assert "Asha Rao (ENR-1)" in lines and "Remarks of March." in lines
    assert "printed again" in view.message.text()
