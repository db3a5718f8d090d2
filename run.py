#!/usr/bin/env python3
"""Set-up and everyday commands that work the same on Linux, macOS and Windows.

    python3 run.py demo   # install the desktop app into .venv and open the demo institute
    python3 run.py test   # install the dev tools into .venv, then lint, type-check and test

Only Python 3.11+ is needed; everything else is installed into ./.venv from pyproject.toml.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def _install(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py is started by any python3
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".[{extra}]")


def demo(args: list[str]) -> None:
    _install("desktop")
    _run(BIN / "institute-desk", "--demo", *args)


def test(args: list[str]) -> None:
    _install("dev")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    _run(PYTHON, "-m", "ruff", "check", ".", env=env)
    _run(PYTHON, "-m", "mypy", env=env)
    _run(BIN / "lint-imports", env=env)
    _run(PYTHON, "-m", "pytest", *args, env=env)


COMMANDS = {"demo": demo, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
