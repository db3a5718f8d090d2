"""On a Linux desktop without Qt's X11 libraries the app names them instead of aborting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop_app.display_check import (
    _ldd,
    missing_libraries,
    problem,
    uses_xcb,
    xcb_plugin,
)
from tests.support.server import REPO_ROOT

LDD_SAMPLE = """\
\tlinux-vdso.so.1 (0x00007ffc)
\tlibQt6XcbQpa.so.6 => /opt/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_the_loaders_not_found_lines_are_the_missing_libraries() -> None:
    assert missing_libraries(LDD_SAMPLE) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert missing_libraries("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


@pytest.mark.parametrize(("environ", "expected"), [
    ({"QT_QPA_PLATFORM": "offscreen"}, False),
    ({"QT_QPA_PLATFORM": "xcb"}, True),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, False),
    ({"DISPLAY": ":0"}, True),
    ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, False),
])
def test_only_the_x11_platform_is_checked(environ: dict[str, str], expected: bool) -> None:
    assert uses_xcb(environ) is (expected and sys.platform.startswith("linux"))


def test_offscreen_needs_nothing() -> None:
    assert problem({"QT_QPA_PLATFORM": "offscreen"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is Linux's")
def test_starting_the_window_where_it_cannot_open_says_why_and_exits_cleanly() -> None:
    """Without the X11 libraries the app names them; with them but without a display it says
    so; either way it exits 2 with the reason, never Qt's SIGABRT."""
    plugin = xcb_plugin()
    missing = missing_libraries(_ldd(plugin)) if plugin is not None else []
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([sys.executable, "-m", "desktop_app.cli", "--demo"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    if missing:
        assert all(name in done.stderr for name in missing)
        assert "sudo apt install" in done.stderr
    else:
        assert "there is no X display" in done.stderr
