"""Files that hold the institute's personal data are readable by their owner only (POSIX).

The replica holds every student's name, phone and marks; under the usual umask 022 a new file
would be world-readable, so on a shared PC any other account could copy it. Windows keeps a
user's profile folder private already; there these functions change nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Create `path` (and its parents) if needed, and make it the owner's alone."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        path.chmod(FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if missing, readable and writable by the owner only.

    Created with its mode at once (not chmod after), so there is no moment when another
    account could open it; SQLite gives its -wal and -shm files the database file's mode.
    """
    if os.name != "posix":
        path.touch(exist_ok=True)
        return path
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    path.chmod(FILE_MODE)
    return path
