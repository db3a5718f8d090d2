"""Before Qt starts on Linux: say which system library or display is missing, instead of the
"Could not load the Qt platform plugin xcb" abort a person cannot act on.

Qt's X11 plugin (libqxcb.so) links against xcb libraries that a minimal desktop install may
lack (libxcb-icccm4, libxcb-keysyms1 ...). The dynamic loader's own answer (`ldd` on the plugin
the app ships) names exactly what is missing, so nothing here is a hand-kept list that could
drift from the Qt we bundle; only the Debian/Ubuntu package names are a hint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# soname -> Debian/Ubuntu package, for the hint (an unknown one is named as it is).
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3", "libX11-xcb.so.1": "libx11-xcb1",
}


def uses_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt will start its X11 plugin (Linux, no other platform asked for)."""
    if not sys.platform.startswith("linux"):
        return False
    asked = environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    return environ.get("XDG_SESSION_TYPE") != "wayland" or not environ.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path | None:
    """The X11 platform plugin of the Qt this app runs on."""
    import PySide6  # the package only: no Qt library is loaded by this

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames `ldd` reports as not found, each once, in its order."""
    found: list[str] = []
    for line in ldd_output.splitlines():
        name, _, where = line.strip().partition(" => ")
        if where.strip() == "not found" and name not in found:
            found.append(name)
    return found


def _ldd(plugin: Path) -> str:
    ldd = shutil.which("ldd")
    if ldd is None:
        return ""  # cannot tell: let Qt try
    try:
        return subprocess.run([ldd, str(plugin)], capture_output=True, text=True,
                              timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the desktop window cannot open here, in words a person can act on; None if it can."""
    environ = os.environ if environ is None else environ
    if not uses_xcb(environ):
        return None
    plugin = xcb_plugin()
    missing = missing_libraries(_ldd(plugin)) if plugin is not None else []
    if missing:
        packages = " ".join(PACKAGES.get(name, name) for name in missing)
        return ("The window cannot open: these system libraries are missing: "
                f"{', '.join(missing)}.\nInstall them (Debian/Ubuntu): "
                f"sudo apt install {packages}")
    if not environ.get("DISPLAY"):
        return ("The window cannot open: there is no X display (DISPLAY is not set). Start "
                "the app from a desktop session; commands such as `institute-desk sync` "
                "need none.")
    return None
