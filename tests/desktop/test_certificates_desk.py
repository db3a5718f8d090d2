"""The Certificates section on screen: an administrator writes a template, the rules issue a
certificate to the student who completed every topic, it is revoked with a reason and saved as
a PDF whose QR code reads back."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QInputDialog

from desktop_app.certificates import view as view_module
from desktop_app.certificates.issue import IssueDialog
from desktop_app.certificates.view import CertificatesView
from desktop_app.context import AppContext
from desktop_app.tasks import TaskManager
from institute_core.enums import ProgressStatus
from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.schema import StudentTopicProgress
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import Institute
from tests.support.shots import shot


@pytest.fixture
def admin_ctx(replica: Replica, institute: Institute, tasks: TaskManager,
              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppContext:
    replica.set_state(SERIES_STATE_KEY, "D04")
    replica.set_state("server_url", "https://sync.example.org")
    monkeypatch.setattr(view_module.CertificatesView, "pdf_folder", lambda _self: tmp_path)
    monkeypatch.setattr(view_module, "open_pdf", lambda _path: True)
    with replica.write(replica.actor(institute.admin_id)) as session:
        for topic in institute.topic_ids:  # the first student has completed the course
            session.add(StudentTopicProgress(
                student_id=institute.student_ids[0], topic_id=topic, competency_level=4,
                status=ProgressStatus.COMPLETED.value, completion_date=institute.today))
    return make_ctx(replica, tasks, "admin@example.org")


def test_a_template_issues_by_rule_and_a_certificate_is_revoked_and_printed(
        qtbot, admin_ctx: AppContext, tmp_path: Path,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = CertificatesView(admin_ctx)
    qtbot.addWidget(view)
    view.resize(1280, 760)
    qtbot.waitUntil(lambda: view.form.subject.count() > 1)
    view.form.name.setText("Python completion")
    view.form.subject.setCurrentIndex(1)
    view.form.auto_issue.setChecked(True)
    view.form.signatures.setPlainText("Ada Admin, Director")
    view.save_button.click()
    qtbot.waitUntil(lambda: view.templates.rowCount() == 1)
    assert "saved" in view.message.text()
    view.issue_button.click()
    qtbot.waitUntil(lambda: view.certificates.rowCount() == 1)
    assert view.message.text() == "1 certificate(s) issued."
    issued = view.certificates.row_at(0)
    # The student's branch code, then this desk's series.
    assert issued.number == f"MAIN/{_year()}/D04/000001" and issued.student_name == "Asha S01"
    view.issue_button.click()  # once per template
    qtbot.waitUntil(lambda: "No enrollment" in view.message.text())
    shot(view, "certificates-desk")
    view.certificate_table.selectRow(0)
    monkeypatch.setattr(QInputDialog, "getText",
                        lambda *_a, **_k: ("Printed with the wrong name", True))
    view.revoke_button.click()
    qtbot.waitUntil(lambda: view.certificates.rowCount() == 1
                    and view.certificates.row_at(0).revoked_reason is not None)
    view.certificate_table.selectRow(0)
    view.pdf_button.click()
    qtbot.waitUntil(lambda: view.message.text().startswith("Saved"))
    pdf = tmp_path / f"certificate-{issued.number.replace('/', '-')}.pdf"
    assert pdf.is_file()
    if shutil.which("pdftoppm") and shutil.which("zbarimg"):
        subprocess.run(["pdftoppm", "-png", "-r", "150", str(pdf), str(tmp_path / "p")],
                       check=True)
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw",
                                  str(next(tmp_path.glob("p*.png")))],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert decoded.startswith("https://sync.example.org/portal/verify/")


def test_a_template_with_a_misspelt_placeholder_is_refused_on_screen(
        qtbot, admin_ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    view = CertificatesView(admin_ctx)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.form.subject.count() > 1)
    view.form.name.setText("Typo")
    view.form.body.setPlainText("Awarded to {studnet_name}")
    view.save_button.click()
    qtbot.waitUntil(lambda: "studnet_name" in view.message.text())
    assert view.templates.rowCount() == 0


def _year() -> str:
    from institute_core.numbering import financial_year

    return financial_year(date.today())


def test_an_admin_issues_a_certificate_by_hand_to_a_student_they_type(
        qtbot, admin_ctx: AppContext, institute: Institute,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = CertificatesView(admin_ctx)
    qtbot.addWidget(view)
    view.resize(1280, 760)
    qtbot.waitUntil(lambda: view.form.subject.count() > 1)
    view.form.name.setText("Workshop")
    view.form.title.setText("Certificate of Participation")
    view.save_button.click()
    qtbot.waitUntil(lambda: view.templates.rowCount() == 1)
    seen: list[IssueDialog] = []

    def pick(dialog: IssueDialog) -> bool:
        seen.append(dialog)
        dialog.show()
        shot(dialog, "certificates-issue-dialog")
        dialog.student.setEditText("S0")  # half-typed: not a student yet
        dialog.buttons.accepted.emit()
        assert "Choose a student" in dialog.problem.text() and dialog.result() == 0
        label = next(dialog.student.itemText(i) for i in range(dialog.student.count())
                     if "Ravi S02" in dialog.student.itemText(i))
        dialog.student.setEditText(label)
        dialog.issued_on.setDate(QDate(2026, 11, 30))
        dialog.buttons.accepted.emit()
        return dialog.result() == IssueDialog.DialogCode.Accepted

    monkeypatch.setattr(CertificatesView, "exec_dialog", lambda _self, d: pick(d))
    view.hand_button.click()
    qtbot.waitUntil(lambda: view.certificates.rowCount() == 1)
    made = view.certificates.row_at(0)
    assert made.student_name == "Ravi S02" and made.issued_on == date(2026, 11, 30)
    assert made.number == f"MAIN/{_year()}/D04/000001"
    assert view.message.text() == f"Certificate {made.number} issued to Ravi S02."
    assert seen and seen[0].template.currentText().startswith("Workshop")
    shot(view, "certificates-desk-by-hand")
