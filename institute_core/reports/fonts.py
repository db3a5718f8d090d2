"""The Unicode fonts every report uses, and markup that switches face per script.

DejaVu Sans covers Latin, Greek and Cyrillic. Runs of letters in the Indic scripts (Devanagari,
Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam) switch to the matching
Noto Sans face: reportlab has no per-glyph fallback, so the switch is made in the paragraph
markup, one script run at a time (`B.Sc(विज्ञान)` is three runs: Latin, Devanagari, Latin).

With the `uharfbuzz` package installed reportlab shapes text (conjuncts, vowel signs, kerning),
but a whole space-separated word at once, with the font and script of its first fragment: the
Latin half of `क्लास-Python` came out in the Devanagari face (boxes), and the Devanagari half of
`B.Sc(विज्ञान)` was shaped as Latin (its vowel sign drawn after the consonant).
`register_fonts` therefore gives reportlab's paragraphs a shaper that shapes each run of one
font on its own (`_shape_by_font_runs`). Without uharfbuzz the glyphs print unshaped.
Arabic/Hebrew (right-to-left) and CJK are not covered.

The files ship in `resources/fonts/` at the repository root (found relative to this file, or
through INSTITUTE_DESK_FONTS for a frozen build); DejaVu falls back to the system's copy.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any
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
_ANY = "".join(SCRIPTS.values())
_INDIC = re.compile(f"[{_ANY}]")
# A run of one script's letters with the joiners (ZWJ, ZWNJ) that shape inside it; markup puts
# each run in its script's face. One character class with a `+`, so a long word without an
# Indic letter is passed over in one linear scan (a 100,000-character word in a remark once took
# minutes to print with a backtracking pattern).
_RUNS = {script: re.compile(f"[{ranges}][{ranges}\u200c\u200d]*")
         for script, ranges in SCRIPTS.items()}
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


def find_font(filename: str) -> Path | None:
    """The first copy of a font file in `font_dirs()`, if any."""
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


def _shape_by_font_runs(word: Any, *args: Any, **kwargs: Any) -> Any:
    """reportlab's word shaper, called once per run of fragments in one font.

    A frag word is `[width, (frag, text), ...]`; each run is shaped with its own font (and the
    script HarfBuzz guesses from it), its clusters moved by the run's offset in the word, and
    the shaped runs joined back into one word of their summed width."""
    from reportlab.pdfbase import ttfonts

    shape = ttfonts.shapeFragWord
    if isinstance(word, ttfonts.ShapedFragWord) or len(word) < 3:
        return shape(word, *args, **kwargs)
    runs: list[list[Any]] = []
    font = None
    for part in word[1:]:
        name = getattr(part[0], "fontName", None)
        if not runs or (name is not None and name != font and font is not None):
            runs.append([])
        if name is not None:
            font = name
        runs[-1].append(part)
    if len(runs) == 1:
        return shape(word, *args, **kwargs)
    joined = ttfonts.makeShapedFragWord(word)([0.0])
    offset = 0
    for run in runs:
        text = "".join(t for f, t in run if not hasattr(f, "cbDefn"))
        shaped = shape(word.__class__([0.0, *run]), *args, **{**kwargs, "force": True})
        for f, t in shaped[1:]:
            data = getattr(t, "__shapeData__", None)
            if data and offset:
                t = ttfonts.ShapedStr(str(t), shapeData=[
                    d._replace(cluster=d.cluster + offset) for d in data])
            joined.append((f, t))
        joined[0] += shaped[0]
        offset += len(text)
    return joined


def _install_run_shaper() -> None:
    """Make reportlab's paragraphs shape each font run of a word on its own."""
    from reportlab.platypus import paragraph

    if getattr(paragraph, "shapeFragWord", None) is not _shape_by_font_runs:
        paragraph.shapeFragWord = _shape_by_font_runs  # type: ignore[attr-defined]


@cache
def register_fonts() -> frozenset[str]:
    """Register the report fonts once; returns the scripts that have their face."""
    _install_run_shaper()
    regular, bold = find_font("DejaVuSans.ttf"), find_font("DejaVuSans-Bold.ttf")
    if regular is None or bold is None:
        raise FontsMissing("DejaVuSans.ttf / DejaVuSans-Bold.ttf not found in any of "
                           f"{', '.join(str(d) for d in font_dirs())}")
    _register_family(FONT, regular, bold)
    available = set()
    for script in SCRIPTS:
        face = find_font(f"NotoSans{script}-Regular.ttf")
        if face is not None:
            _register_family(face_name(script), face, find_font(f"NotoSans{script}-Bold.ttf"))
            available.add(script)
    return frozenset(available)


def face_name(script: str, *, bold: bool = False) -> str:
    return f"ID{script}" + ("-Bold" if bold else "")


def markup(text: object, *, bold: bool = False) -> str:
    """Paragraph markup for plain text: XML-escaped, each Indic word in its script's face."""
    escaped = escape("" if text is None else str(text))
    if not _INDIC.search(escaped):
        return escaped
    available = register_fonts()

    for script in SCRIPTS:
        if script in available and _RUNS[script].search(escaped):
            escaped = _RUNS[script].sub(f'<font name="{face_name(script, bold=bold)}">'
                                        r"\g<0></font>", escaped)
    return escaped


def needs_shaping(text: object) -> bool:
    """Whether the text holds a script that must be shaped (and so go through a Paragraph)."""
    return bool(_INDIC.search("" if text is None else str(text)))

