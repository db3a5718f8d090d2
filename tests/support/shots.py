"""Screens the tests render, kept as PNG for a person to look at.

Set INSTITUTE_SCREENSHOTS to a folder and the GUI tests save what they show there
(`INSTITUTE_SCREENSHOTS=/tmp/shots .venv/bin/pytest tests/desktop`); unset, nothing is written.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QWidget

VARIABLE = "INSTITUTE_SCREENSHOTS"


def shots_folder() -> Path | None:
    """The folder screenshots go to, made if need be; None when none is asked for."""
    named = os.environ.get(VARIABLE)
    if not named:
        return None
    folder = Path(named)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(widget: QWidget, name: str) -> Path | None:
    """Save `widget` as `<name>.png` in the screenshots folder, if one is asked for."""
    folder = shots_folder()
    if folder is None:
        return None
    path = folder / (name if name.endswith(".png") else f"{name}.png")
    widget.grab().save(str(path))
    return path
