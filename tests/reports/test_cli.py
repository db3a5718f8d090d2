"""`institute-desk report`: prints PDFs for scheduled use, refuses bad input with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.cli import main
from institute_core.replica import Replica
from tests.analytics.institute import Institute, build_institute
from tests.reports.conftest import pdf_text


@pytest.fixture
def data_dir(replica: Replica) -> tuple[Path, Institute]:
    institute = build_institute(replica)
    replica.close()
    return replica.path.parent, institute


def _run(data_dir: Path, *args: str) -> int:
    return main(["report", "--data-dir", str(data_dir), *args])


def test_report_command_writes_and_records(data_dir: tuple[Path, Institute], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder, _institute = data_dir
    out = tmp_path / "asha.pdf"
    code = _run(folder, "progress", "--student", "enr-1", "--from", "2026-03-01", "--to",
                "2026-03-31", "--out", str(out), "--remarks", "Keep going")
    assert code == 0, capsys.readouterr().err
    assert "recorded 1 report row" in capsys.readouterr().out
    text = pdf_text(out)
    assert "Asha Rao (ENR-1)" in text and "Keep going" in text
    code = _run(folder, "attendance", "--batch", "Evening Python", "--from", "2026-03-01",
                "--to", "2026-03-31", "--out", str(tmp_path / "b.pdf"), "--as", "dev@example.org")
    assert code == 0 and "recorded 2 report row" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["progress", "--student", "ENR-404"], "no student with enrollment number 'ENR-404'"),
    (["progress", "--student", "ENR-1", "--from", "2026-02-30"],
     "bad date '2026-02-30' for --from"),
    (["crm", "--from", "2026-04-01", "--to", "2026-03-01"], "--from 2026-04-01 is after --to"),
    (["faculty", "--faculty", "FAC-9"], "no faculty member with employee id 'FAC-9'"),
    (["coverage", "--batch", "Nope"], "no batch named 'Nope'"),
    (["batch"], "a batch report needs a batch"),
    (["crm", "--as", "ghost@example.org"], "no user with email 'ghost@example.org'"),
    (["attendance", "--batch", "Evening Python", "--remarks", "Well done"],
     "--remarks is printed only on a student's progress report; the attendance report has none"),
    (["attendance", "--student", "ENR-1", "--remarks", "Well done"],
     "--remarks is printed only on a student's progress report"),
    (["branches", "--branch", "NOPE"], "no branch with code 'NOPE'"),
    (["progress", "--student", "ENR-1", "--branch", "MAIN"],
     "a progress report names the branch of whom it is about"),
])
def test_bad_input_is_named_and_exits_non_zero(data_dir: tuple[Path, Institute], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               args: list[str], message: str) -> None:
    out = tmp_path / "x.pdf"
    assert _run(data_dir[0], *args, "--out", str(out)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_out_and_missing_replica(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _run(tmp_path, "crm")
    assert exit_info.value.code == 2 and "--out" in capsys.readouterr().err
    assert _run(tmp_path / "empty", "crm", "--out", str(tmp_path / "c.pdf")) == 2
    assert "no replica in" in capsys.readouterr().err


def test_a_branches_report_names_the_branch_chosen_by_code(
        data_dir: tuple[Path, Institute], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "main.pdf"
    code = _run(data_dir[0], "branches", "--branch", "main", "--from", "2026-03-01", "--to",
                "2026-03-31", "--out", str(out), "--no-record")
    assert code == 0, capsys.readouterr().err
    text = pdf_text(out)
    assert "Branch: Main" in text and "Branches side by side" in text
