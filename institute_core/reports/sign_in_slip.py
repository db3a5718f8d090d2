"""The paper slip an administrator hands a guardian: the one-time portal sign-in code, whose
child it opens, until when, and where to type it, in English and Hindi.

For guardians the messages cannot reach (no mobile number or email on file); the code itself
comes from the server (`POST /v1/portal/codes`), which keeps only its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from institute_core.display import moment_text
from institute_core.reports.fonts import FONT, FONT_BOLD, markup, needs_shaping, register_fonts

SIGN_IN_PATH = "/portal/sign-in"
INK = colors.HexColor("#1f4e79")


@dataclass(frozen=True)
class SignInSlip:
    """Everything printed on one slip (`expires_at` as the server gave it; printed in the
    institute's time zone)."""

    institute: str
    student_name: str
    enrollment_no: str
    code: str
    expires_at: datetime
    server_url: str

    @property
    def sign_in_url(self) -> str:
        return self.server_url.rstrip("/") + SIGN_IN_PATH


def _para(text: str, size: float, *, bold: bool = False, centre: bool = False,
          colour: colors.Color = colors.black) -> Paragraph:
    style = ParagraphStyle("s", fontName=FONT_BOLD if bold else FONT, fontSize=size,
                           leading=size * 1.4, alignment=TA_CENTER if centre else TA_LEFT,
                           textColor=colour, shaping=1 if needs_shaping(text) else 0,
                           spaceAfter=size * 0.3)
    return Paragraph(markup(text, bold=bold), style)


def render_slip(slip: SignInSlip, out: Path) -> Path:
    """Write the slip as a one-page A5 PDF to `out`."""
    register_fonts()
    out.parent.mkdir(parents=True, exist_ok=True)
    until = moment_text(slip.expires_at)
    doc = SimpleDocTemplate(str(out), pagesize=A5, leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm,
                            title=f"Portal sign-in code – {slip.student_name}",
                            author=slip.institute)
    code_box = Table([[_para(slip.code, 26, bold=True, centre=True, colour=INK)]],
                     colWidths=[doc.width])
    code_box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, INK),
                                  ("TOPPADDING", (0, 0), (-1, -1), 8),
                                  ("BOTTOMPADDING", (0, 0), (-1, -1), 10)]))
    story = [
        _para(slip.institute, 13, bold=True, centre=True),
        _para("Student portal: sign-in code for a parent or guardian", 11, centre=True),
        Spacer(1, 5 * mm),
        _para("For the guardian of", 10),
        _para(f"{slip.student_name} ({slip.enrollment_no})", 13, bold=True),
        Spacer(1, 4 * mm),
        code_box,
        Spacer(1, 4 * mm),
        _para(f"Valid once, until {until}.", 10.5, bold=True),
        _para(f"Open {slip.sign_in_url} on your phone, type the code under "
              "“Parent or guardian” and press “Open with code”. Dashes and spaces do not "
              "matter. Once used, the code opens nothing again: ask the institute for a new "
              "one.", 10),
        Spacer(1, 4 * mm),
        _para(f"{slip.student_name} ({slip.enrollment_no}) के अभिभावक के लिए साइन-इन कोड। "
              f"केवल एक बार, {until} तक मान्य।", 10.5),
        _para(f"अपने फ़ोन पर {slip.sign_in_url} खोलें, “अभिभावक” के नीचे कोड लिखें और "
              "“कोड से खोलें” दबाएँ।", 10),
        Spacer(1, 5 * mm),
        _para("Keep this slip private: the code opens your child's attendance, progress and "
              "fees.", 9, colour=colors.HexColor("#4a5561")),
    ]
    doc.build(story)
    return out
