"""Settings of this desktop, kept in a small JSON file in the user's config folder.

They are read before the replica is opened (the data folder is one of them) and before Qt
starts (the display scale is one of them), so they cannot live in the replica itself. What the
institute's reports print lives in the replica instead (see `institute.py` here).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from institute_core.paths import APP_NAME, default_data_dir

log = logging.getLogger(__name__)

SETTINGS_FILENAME = "settings.json"
SCALES = (0.9, 1.0, 1.15, 1.3, 1.5)
MIN_INTERVAL, MAX_INTERVAL = 1, 240


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the setting and the value."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


@dataclass(frozen=True)
class DeskSettings:
    """What this desktop remembers between starts."""

    sync_interval_minutes: int = 3
    theme_scale: float = 1.0
    data_dir: str = ""  # empty: the platform's default folder

    def checked(self) -> DeskSettings:
        """These settings, or SettingsError naming the first one that is wrong."""
        if not MIN_INTERVAL <= self.sync_interval_minutes <= MAX_INTERVAL:
            raise SettingsError("Sync interval", f"must be {MIN_INTERVAL} to {MAX_INTERVAL} "
                                f"minutes, got {self.sync_interval_minutes}")
        if self.theme_scale not in SCALES:
            raise SettingsError("Display scale", f"must be one of "
                                f"{', '.join(f'{s:.0%}' for s in SCALES)}")
        if self.data_dir:
            folder = Path(self.data_dir).expanduser()
            if folder.exists() and not folder.is_dir():
                raise SettingsError("Data folder", f"{folder} is a file, not a folder")
            if not folder.is_absolute():
                raise SettingsError("Data folder", f"give a full path, not {self.data_dir!r}")
        return self

    def data_folder(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else default_data_dir()

    @property
    def sync_interval_ms(self) -> int:
        return self.sync_interval_minutes * 60 * 1000


def settings_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / SETTINGS_FILENAME


def load_settings(path: Path | None = None) -> DeskSettings:
    """The saved settings; defaults (and a log line) when the file is missing or unusable."""
    path = path or settings_path()
    if not path.exists():
        return DeskSettings()
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(DeskSettings)}
        settings = replace(DeskSettings(), **{k: v for k, v in raw.items() if k in known})
        return settings.checked()
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("ignoring unusable settings file %s: %s", path, exc)
        return DeskSettings()


def save_settings(settings: DeskSettings, path: Path | None = None) -> Path:
    """Check and write the settings (atomically: a crash leaves the old file)."""
    settings.checked()
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(asdict(settings), indent=1), encoding="utf-8")
    partial.replace(path)
    return path
