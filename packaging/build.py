"""Build the desktop app with PyInstaller: `python packaging/build.py [--dist DIR] [--work DIR]`.

Renders the icon and version info (make_assets.py), then runs the spec. The app lands in
DIST/InstituteDesk/ (default dist/); check it with `InstituteDesk --self-test`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "institute_desk.spec"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    args = parser.parse_args(argv)
    started = time.monotonic()
    assets = args.work / "assets"
    subprocess.run([sys.executable, str(ROOT / "packaging" / "make_assets.py"), str(assets)],
                   check=True)
    env = {**os.environ, "INSTITUTE_DESK_ASSETS": str(assets.resolve())}
    built = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                            "--log-level", "WARN", "--distpath", str(args.dist),
                            "--workpath", str(args.work / "pyinstaller"), str(SPEC)],
                           env=env, cwd=str(ROOT))
    if built.returncode != 0:
        return built.returncode
    print(f"built {args.dist / 'InstituteDesk'} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
