"""`--self-test` passes on a working installation and fails on a broken one; the PyInstaller
bundle passes it too (slow: it builds the bundle)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from desktop_app.shell.navigation import sections_for
from institute_core.enums import Role
from tests.support.server import REPO_ROOT

OFFSCREEN = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO_ROOT)}


def _expect_every_section(output: str) -> None:
    assert "all steps passed" in output, output
    for role in (Role.ADMIN, Role.FACULTY):
        for section in sections_for(role):
            assert f"{role.value}: {section.title} ok" in output
    assert "PDF report ok" in output


def test_self_test_from_source_opens_every_section_and_prints_a_report() -> None:
    run = subprocess.run([sys.executable, "-m", "desktop_app.cli", "--self-test"],
                         capture_output=True, text=True, env=OFFSCREEN, timeout=600,
                         cwd=str(REPO_ROOT))
    assert run.returncode == 0, run.stdout + run.stderr
    _expect_every_section(run.stdout)


def test_self_test_fails_when_a_screen_breaks(tmp_path: Path) -> None:
    # A section whose page raises while it is built – as a missing module in a bundle would.
    script = ("import sys\n"
              "from desktop_app.shell import pages\n"
              "pages.PAGES['students'] = 'desktop_app.no_such_module:Gone'\n"
              "from desktop_app.selftest import run_self_test\n"
              "sys.exit(run_self_test())\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=OFFSCREEN, timeout=600, cwd=str(REPO_ROOT))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILED" in run.stdout and "Students" in run.stdout


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_packaged_app_passes_its_self_test(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller")
    build = subprocess.run(
        [sys.executable, "packaging/build.py", "--dist", str(tmp_path / "dist"),
         "--work", str(tmp_path / "build")], cwd=str(REPO_ROOT), capture_output=True,
        text=True, timeout=3300)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    exe = tmp_path / "dist" / "InstituteDesk" / ("InstituteDesk.exe" if os.name == "nt"
                                                 else "InstituteDesk")
    assert exe.is_file()
    # Run it from elsewhere with the source tree out of reach: only the bundle may be used.
    env = {k: v for k, v in OFFSCREEN.items() if k != "PYTHONPATH"}
    run = subprocess.run([str(exe), "--self-test"], capture_output=True, text=True, env=env,
                         timeout=900, cwd=str(tmp_path / "dist"))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    if os.name == "nt":  # windowed: no stdout, the self-test writes to a file instead
        from desktop_app.selftest import OUTPUT_FILE

        _expect_every_section((Path(tempfile.gettempdir()) / OUTPUT_FILE).read_text())
    else:
        _expect_every_section(run.stdout)
