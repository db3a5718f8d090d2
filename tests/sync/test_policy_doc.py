"""docs/security.md shows the sync policy as `python -m institute_core.sync.policy --markdown`
renders it: the page cannot drift from the declaration the server enforces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from institute_core.sync import policy

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_security_page_holds_the_rendered_policy() -> None:
    text = DOC.read_text(encoding="utf-8")
    inside = text.split("<!-- policy:begin -->\n", 1)[1].split("<!-- policy:end -->", 1)[0]
    assert inside == policy.markdown(), \
        "run: python -m institute_core.sync.policy --markdown, and paste it into docs/security.md"


def test_the_command_prints_the_table() -> None:
    done = subprocess.run([sys.executable, "-m", "institute_core.sync.policy", "--markdown"],
                          capture_output=True, text=True, check=True,
                          cwd=DOC.parents[1])
    assert done.stdout == policy.markdown()
    assert "| password_resets | setup.people.manage |" in done.stdout
