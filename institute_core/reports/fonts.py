"""The Unicode fonts every report uses, and markup that switches face per script.

DejaVu Sans covers Latin, Greek and Cyrillic. Words in the Indic scripts (Devanagari, Bengali,
Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam) switch to the matching Noto Sans
face: reportlab has no per-glyph fallback, so the switch is made in the paragraph markup, one
whole word at a time (reportlab shapes a word with the font of its first fragment). With the
`uharfbuzz` package installed, reportlab shapes those words (conjuncts, vowel signs); without it
the glyphs print unshaped. Arabic/Hebrew (right-to-left) and CJK are not covered.

The files ship in `resources/fonts/` at the repository root (found relative to this file, or
through INSTITUTE_DESK_FONTS for a frozen build); DejaVu falls back to the system's copy.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "IDSans"
FONT_BOLD = "IDSans-Bold"

# script -> Unicode ranges; each is drawn with NotoSans<Script>-Regular/-Bold.ttf
SCRIPTS: dict[str, str] = {
    "Devanagari": "\u0900-\u097f\ua8e0-\ua8ff\u1cd0-\u1cff",
    "Bengali": "\u0980-\u09ff",
    "Gurmukhi": "\u0a00-\u0a7f",
    "Gujarati": "\u0a80-\u0aff",
    "Oriya": "\u0b00-\u0b7f",
    "Tamil": "\u0b80-\u0bff",
    "Telugu": "\u0c00-\u0c7f",
    "Kannada": "\u0c80-\u0cff",
    "Malayalam": "\u0d00-\u0d7f",
}
_SCRIPT_OF = [(re.compile(f"[{ranges}]"), script) for script, ranges in SCRIPTS.items()]
_ANY = "".join(SCRIPTS.values())
_INDIC = re.compile(f"[{_ANY}]")
# A whole space-separated word (with the punctuation stuck to it); markup puts the ones holding a
# covered script in their face. Words are found first and tested after, never with one pattern
# like `[^\s]*[indic][^\s]*`: that backtracks over every start of a long word without an Indic
# letter, and a 100,000-character word in a remark then took minutes to print.
_WORD = re.compile(r"[^\s<>]+")
_SYSTEM_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))


class FontsMissing(RuntimeError):
    """The report fonts were found nowhere; reports would print boxes instead of names."""


def font_dirs() -> list[Path]:
    """Where font files are looked for, in order."""
    dirs = []
    override = os.environ.get("INSTITUTE_DESK_FONTS")
    if override:
        dirs.append(Path(override))
    dirs.append(Path(__file__).resolve().parents[2] / "resources" / "fonts")
    dirs.extend(_SYSTEM_DIRS)
    return dirs


def _find(filename: str) -> Path | None:
    for folder in font_dirs():
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    return None


def _register_family(name: str, regular: Path, bold: Path | None) -> None:
    pdfmetrics.registerFont(TTFont(name, str(regular)))
    pdfmetrics.registerFont(TTFont(f"{name}-Bold", str(bold or regular)))
    for is_bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, is_bold, italic, f"{name}-Bold" if is_bold else name)


@cache
def register_fonts() -> frozenset[str]:
    """Register the report fonts once; returns the scripts that have their face."""
    regular, bold = _find("DejaVuSans.ttf"), _find("DejaVuSans-Bold.ttf")
    if regular is None or bold is None:
        raise FontsMissing("DejaVuSans.ttf / DejaVuSans-Bold.ttf not found in any of "
                           f"{', '.join(str(d) for d in font_dirs())}")
    _register_family(FONT, regular, bold)
    available = set()
    for script in SCRIPTS:
        face = _find(f"NotoSans{script}-Regular.ttf")
        if face is not None:
            _register_family(face_name(script), face, _find(f"NotoSans{script}-Bold.ttf"))
            available.add(script)
    return frozenset(available)


def face_name(script: str, *, bold: bool = False) -> str:
    return f"ID{script}" + ("-Bold" if bold else "")


def _script_of(word: str) -> str | None:
    for pattern, script in _SCRIPT_OF:
        if pattern.search(word):
            return script
    return None


def markup(text: object, *, bold: bool = False) -> str:
    """Paragraph markup for plain text: XML-escaped, each Indic word in its script's face."""
    escaped = escape("" if text is None else str(text))
    if not _INDIC.search(escaped):
        return escaped
    available = register_fonts()

    def wrap(match: re.Match[str]) -> str:
        word = match.group(0)
        script = _script_of(word) if _INDIC.search(word) else None
        if script not in available:
            return word
        return f'<font name="{face_name(script, bold=bold)}">{word}</font>'

    return _WORD.sub(wrap, escaped)


def needs_shaping(text: object) -> bool:
    """Whether the text holds a script that must be shaped (and so go through a Paragraph)."""
    return bool(_INDIC.search("" if text is None else str(text)))

