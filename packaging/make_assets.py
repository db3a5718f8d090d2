"""Build-time assets for the PyInstaller spec: the app icon as PNG/ICO and Windows version info.

`python packaging/make_assets.py OUT_DIR` renders resources/icons/app.svg with Qt's SVG
renderer (so no extra tool is needed) and writes `app.png` (256 px, Linux and macOS – PyInstaller
turns it into .icns with Pillow), `app.ico` (16–256 px, Windows) and `version_info.txt`.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "app.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(out: Path, size: int = 256) -> Path:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out)):
        raise SystemExit(f"cannot write {out}")
    return out


def write_ico(png: Path, out: Path) -> Path:
    from PIL import Image

    with Image.open(png) as image:
        image.save(out, sizes=[(s, s) for s in ICO_SIZES])
    return out


def app_version() -> str:
    try:
        return version("institute-desk")
    except Exception:  # building from a tree that was never pip-installed
        return "0.0.0"


def write_version_info(out: Path) -> Path:
    parts = [int(p) for p in app_version().split(".")[:4] if p.isdigit()]
    numbers = tuple([*parts, 0, 0, 0, 0][:4])
    text = f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'Institute Desk'),
      StringStruct('FileDescription', 'Institute Desk'),
      StringStruct('FileVersion', '{app_version()}'),
      StringStruct('InternalName', 'InstituteDesk'),
      StringStruct('OriginalFilename', 'InstituteDesk.exe'),
      StringStruct('ProductName', 'Institute Desk'),
      StringStruct('ProductVersion', '{app_version()}')])]),
        VarFileInfo([VarStruct('Translation', [1033, 1200])])])
"""
    out.write_text(text, encoding="utf-8")
    return out


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1] if len(argv) > 1 else ROOT / "build" / "assets")
    out_dir.mkdir(parents=True, exist_ok=True)
    png = render_png(out_dir / "app.png")
    write_ico(png, out_dir / "app.ico")
    write_version_info(out_dir / "version_info.txt")
    print(f"assets for version {app_version()} in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
