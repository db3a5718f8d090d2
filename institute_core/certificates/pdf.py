"""A certificate as a one-page PDF: the template's title, body, logo and signatures, and at
the foot its number with a QR code of the verification address.

The QR code is drawn by reportlab's own barcode module (vector, no image files); the address
is `<server>/portal/verify/<token>`, which the server's public page answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph
from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.certificates.service import fill_body
from institute_core.display import long_date
from institute_core.enums import CertificateLayout
from institute_core.replica import Replica
from institute_core.reports.fonts import FONT, FONT_BOLD, markup, needs_shaping, register_fonts
from institute_core.reports.service import branding_of
from institute_core.schema import Certificate, CertificateTemplate, Student

VERIFY_PATH = "/portal/verify/"
INK = colors.HexColor("#1f4e79")


def verification_url(server_url: str, token: str) -> str:
    return server_url.rstrip("/") + VERIFY_PATH + token


@dataclass(frozen=True)
class CertificateContent:
    """Everything printed on one certificate."""

    title: str
    body: str
    signatures: str | None
    logo_path: str | None
    layout: str
    number: str
    student_name: str
    course_name: str
    enrollment_no: str
    issued_on: date
    institute: str
    verify_url: str


def _paragraph(text: str, size: float, *, bold: bool = False) -> Paragraph:
    style = ParagraphStyle("c", fontName=FONT_BOLD if bold else FONT, fontSize=size,
                           leading=size * 1.35, alignment=TA_CENTER,
                           shaping=1 if needs_shaping(text) else 0)
    return Paragraph(markup(text, bold=bold), style)


def _draw(canvas: Canvas, paragraph: Paragraph, x: float, top: float, width: float) -> float:
    """Draw centred in [x, x+width] from `top` down; returns the new top."""
    _w, height = paragraph.wrap(width, 1000)
    paragraph.drawOn(canvas, x, top - height)
    return float(top - height)


def render_certificate(content: CertificateContent, out: Path) -> None:
    register_fonts()
    size = landscape(A4) if content.layout == CertificateLayout.LANDSCAPE.value else A4
    width, height = size
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas = Canvas(str(out), pagesize=size, pageCompression=1)
    canvas.setTitle(f"{content.title} – {content.student_name} ({content.number})")
    canvas.setAuthor(content.institute)
    margin = 14 * mm
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(3)
    canvas.rect(margin, margin, width - 2 * margin, height - 2 * margin)
    canvas.setLineWidth(0.8)
    canvas.rect(margin + 4 * mm, margin + 4 * mm, width - 2 * margin - 8 * mm,
                height - 2 * margin - 8 * mm)
    inner = width - 2 * margin - 30 * mm
    left = margin + 15 * mm
    top = height - margin - 14 * mm
    logo = Path(content.logo_path).expanduser() if content.logo_path else None
    if logo is not None and logo.is_file():
        try:
            canvas.drawImage(str(logo), width / 2 - 12 * mm, top - 24 * mm, 24 * mm, 24 * mm,
                             preserveAspectRatio=True, mask="auto")
            top -= 28 * mm
        except OSError:  # not an image reportlab reads (an SVG, a broken file): print without
            pass
    top = _draw(canvas, _paragraph(content.institute, 14, bold=True), left, top, inner)
    top = _draw(canvas, _paragraph(content.title, 30, bold=True), left, top - 12 * mm, inner)
    values = {"student_name": content.student_name, "course": content.course_name,
              "date": long_date(content.issued_on), "number": content.number,
              "institute": content.institute, "enrollment_no": content.enrollment_no}
    top = _draw(canvas, _paragraph(content.student_name, 24, bold=True), left,
                top - 14 * mm, inner)
    for line in fill_body(content.body, values).splitlines() or [""]:
        top = _draw(canvas, _paragraph(line, 14), left + 15 * mm, top - 6 * mm, inner - 30 * mm)
    _signatures(canvas, content.signatures, left, inner, margin + 56 * mm)
    _foot(canvas, content, width, margin)
    canvas.showPage()
    canvas.save()


def _signatures(canvas: Canvas, text: str | None, left: float, width: float,
                baseline: float) -> None:
    people = [line.split(",", 1) for line in (text or "").splitlines() if line.strip()]
    if not people:
        return
    slot = width / len(people)
    for i, person in enumerate(people):
        x = left + i * slot + slot * 0.15
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(0.6)
        canvas.line(x, baseline, x + slot * 0.7, baseline)
        name = person[0].strip()
        role = person[1].strip() if len(person) > 1 else ""
        _draw(canvas, _paragraph(name, 11, bold=True), x, baseline - 1.5 * mm, slot * 0.7)
        if role:
            _draw(canvas, _paragraph(role, 9.5), x, baseline - 7 * mm, slot * 0.7)


def _foot(canvas: Canvas, content: CertificateContent, width: float, margin: float) -> None:
    side = 26 * mm
    qr = QrCodeWidget(content.verify_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    right = width - margin - 8 * mm - side
    renderPDF.draw(drawing, canvas, right, margin + 8 * mm)
    canvas.setFont(FONT, 8.5)
    canvas.setFillColor(colors.black)
    text_right = right - 3 * mm
    issued = long_date(content.issued_on)
    canvas.drawRightString(text_right, margin + 22 * mm,
                           f"Certificate no. {content.number} · issued {issued}")
    canvas.drawRightString(text_right, margin + 17 * mm, "Check it: scan the code, or open")
    canvas.drawRightString(text_right, margin + 12 * mm, content.verify_url)


def certificate_content(db: Session, certificate_id: uuid.UUID, *, institute: str,
                        logo_path: str | None, server_url: str) -> CertificateContent:
    """What the certificate `certificate_id` prints: the desk and the portal both draw from
    this, so the copy a student downloads is the one the desk printed."""
    certificate, template, enrollment_no = db.execute(
        select(Certificate, CertificateTemplate, Student.enrollment_no)
        .join(CertificateTemplate, CertificateTemplate.id == Certificate.template_id)
        .join(Student, Student.id == Certificate.student_id)
        .where(Certificate.id == certificate_id)).one()
    return CertificateContent(
        title=template.title, body=template.body, signatures=template.signatures,
        logo_path=template.logo_path or logo_path, layout=template.layout,
        number=certificate.certificate_number, student_name=certificate.student_name,
        course_name=certificate.course_name, enrollment_no=enrollment_no,
        issued_on=certificate.issued_on, institute=institute,
        verify_url=verification_url(server_url, certificate.verification_token))


def print_certificate(replica: Replica, certificate_id: uuid.UUID, out: Path) -> Path:
    """The PDF of an issued certificate, with the QR code of the desk's server's page.

    A desk that never connected to a server has no address to print: the QR code then
    carries the verification path only (the number and the code under it still identify it).
    """
    branding = branding_of(replica)
    with replica.read() as db:
        content = certificate_content(
            db, certificate_id, institute=branding.name, logo_path=branding.logo_path,
            server_url=str(replica.get_state("server_url") or ""))
    render_certificate(content, out)
    return out
