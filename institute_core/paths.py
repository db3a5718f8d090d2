"""Where a desktop keeps its replica, logs and settings."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "InstituteDesk"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
