"""Paper fallback: a printable roster sheet for a session, keyed back in with quick entry.

One row per student with the position number that quick entry understands, and empty boxes for
P / A / L / E, check-in and notes. Uses the report fonts (DejaVu) when present, else Helvetica.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from institute_core.display import long_date, moment_text
from institute_core.services.attendance import Roster

_BOX = "☐"


def _fonts() -> tuple[str, str, bool]:
    """(regular, bold, has the ballot-box glyph)."""
    try:
        from institute_core.reports.fonts import FONT, FONT_BOLD, register_fonts

        register_fonts()
        return FONT, FONT_BOLD, True
    except Exception:  # any font problem: the sheet still prints in Helvetica
        return "Helvetica", "Helvetica-Bold", False


def write_roster_sheet(roster: Roster, path: Path, *, subject: str = "",
                       start: str = "") -> Path:
    """Write the sheet of `roster` to `path` (PDF) and return the path."""
    regular, bold, boxes = _fonts()
    box = _BOX if boxes else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    title_style = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)
    small = ParagraphStyle("small", fontName=regular, fontSize=9, leading=12)
    when = long_date(roster.key.on) + (f", {start}" if start else "")
    story = [
        Paragraph(f"Roster sheet – {roster.title}", title_style),
        Paragraph(" · ".join(x for x in (subject, when) if x), small),
        Paragraph("Tick one box per student. Afterwards, type the numbers of the absentees into "
                  "the quick-entry box of the attendance screen and press Enter.", small),
        Spacer(1, 4 * mm),
    ]
    header = ["#", "Enrollment", "Name", "P", "A", "L", "E", "Check-in", "Notes"]
    data = [header] + [[str(r.position), r.enrollment_no, r.name, box, box, box, box, "", ""]
                       for r in roster.rows]
    table = Table(data, repeatRows=1, colWidths=[9 * mm, 24 * mm, 52 * mm, 8 * mm, 8 * mm,
                                                 8 * mm, 8 * mm, 18 * mm, 45 * mm])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), regular, 9),
        ("FONT", (0, 0), (-1, 0), bold, 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9eff5")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9fb0c0")),
        ("ALIGN", (3, 1), (6, -1), "CENTER"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f7fa")]),
        ("TOPPADDING", (0, 1), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 5),
    ]))
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(f"Printed {moment_text(datetime.now(UTC))}. Faculty signature: "
                           "____________________", small))
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm,
                      topMargin=12 * mm, bottomMargin=12 * mm,
                      title=f"Roster {roster.title} {roster.key.on}").build(story)
    return path
