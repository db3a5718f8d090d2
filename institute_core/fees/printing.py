"""Receipts (A4 or A5) and student statements as PDF, drawn offline with reportlab.

A receipt prints the institute's name, address, GSTIN and logo; the student; what was paid for;
the taxable value and the tax (CGST + SGST, or IGST); the mode and its reference; the amount in
words; the balance still due and the next due date; who received it. A cancelled receipt or a
bounced cheque prints across the page, so a reprint can never pass for money received.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from institute_core.display import date_text, money
from institute_core.fees.documents import ReceiptData, StatementData
from institute_core.fees.settings import FeeSettings
from institute_core.reports.branding import ReportBranding
from institute_core.reports.fonts import FONT, FONT_BOLD, register_fonts
from institute_core.reports.layout import (
    ALERT_TEXT,
    GRID,
    HEADER_FILL,
    data_table,
    key_values,
    para,
)

MARGIN = 12 * mm


def _page(paper: str) -> tuple[float, float]:
    return A4 if paper == "A4" else A5


def _header(branding: ReportBranding, settings: FeeSettings, title: str,
            width: float) -> list[Flowable]:
    lines = [para(branding.name, "title")]
    if branding.address:
        lines.append(para(branding.address, "small"))
    if settings.gstin:
        lines.append(para(f"GSTIN {settings.gstin}" + (f" · {settings.state}"
                                                       if settings.state else ""), "small"))
    logo = branding.logo_file()
    cells: list[Any] = [lines]
    widths = [width]
    if logo is not None:
        from reportlab.platypus import Image

        try:
            cells.append(Image(str(logo), width=16 * mm, height=16 * mm, kind="proportional"))
            widths = [width - 18 * mm, 18 * mm]
        except OSError:  # an unreadable logo must not stop a receipt
            pass
    head = Table([cells], colWidths=widths)
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LINEBELOW", (0, 0), (-1, 0), 1.2, HEADER_FILL),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [head, Spacer(1, 3 * mm), para(title, "h2"), Spacer(1, 1 * mm)]


class _Stamp:
    """Draws "CANCELLED" / "CHEQUE BOUNCED" diagonally across the page."""

    def __init__(self, text: str | None, size: tuple[float, float]) -> None:
        self.text, self.size = text, size

    def __call__(self, canvas: Canvas, _doc: Any) -> None:
        if not self.text:
            return
        canvas.saveState()
        canvas.setFillColor(ALERT_TEXT, alpha=0.25)
        canvas.setFont(FONT_BOLD, 44)
        canvas.translate(self.size[0] / 2, self.size[1] / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, 0, self.text)
        canvas.restoreState()


def _amount(value: Decimal) -> str:
    return money(value)


def receipt_story(data: ReceiptData, branding: ReportBranding, settings: FeeSettings,
                  width: float) -> list[Flowable]:
    story = _header(branding, settings, "Fee receipt", width)
    story.append(key_values([
        ("Receipt no.", data.receipt_no), ("Date", date_text(data.paid_on)),
        ("Student", f"{data.student_name} ({data.enrollment_no})"),
        ("Paid by", data.reference)], width))
    story.append(Spacer(1, 3 * mm))
    story.append(data_table(
        ["Paid for", "Due date", "Amount"],
        [(line.what, date_text(line.due_on) if line.due_on else "—", _amount(line.amount))
         for line in data.lines],
        [width * 0.58, width * 0.2, width * 0.22], numeric=(2,)))
    tax_rows: list[tuple[str, Any]] = [("Taxable value", _amount(data.taxable))]
    if data.igst:
        tax_rows.append(("IGST", _amount(data.igst)))
    if data.cgst or data.sgst:
        tax_rows += [("CGST", _amount(data.cgst)), ("SGST", _amount(data.sgst))]
    tax_rows.append(("Total received", _amount(data.amount)))
    totals = Table([[label, value] for label, value in tax_rows],
                   colWidths=[width * 0.78, width * 0.22])
    totals.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5), ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
        ("FONT", (0, -1), (-1, -1), FONT_BOLD, 9.5),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, GRID)]))
    story += [totals, Spacer(1, 2 * mm), para(data.words, "body", bold=True),
              Spacer(1, 3 * mm)]
    after = [("Balance still due", _amount(data.balance))]
    if data.next_due_on is not None and data.next_due_amount is not None:
        after.append(("Next due", f"{_amount(data.next_due_amount)} on "
                                  f"{date_text(data.next_due_on)}"))
    if data.credit:
        after.append(("In credit (to refund or adjust)", _amount(data.credit)))
    after.append(("Received by", data.received_by))
    story.append(key_values(after, width))
    if data.status:
        story += [Spacer(1, 2 * mm), Paragraph(
            f'<font color="#9b1c1c"><b>{data.status}</b></font>: this receipt is not valid '
            "as payment.", para("", "body").style)]
    if branding.signature_line:
        story += [Spacer(1, 10 * mm), para(branding.signature_line, "small")]
    return story


def render_receipt(data: ReceiptData, branding: ReportBranding, settings: FeeSettings,
                   out: Path) -> Path:
    """The receipt as a one-page PDF on the institute's paper (A4 or A5)."""
    register_fonts()
    size = _page(settings.paper)
    doc = SimpleDocTemplate(str(out), pagesize=size, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"Receipt {data.receipt_no}", author=branding.name,
                            creator="Institute Desk")
    stamp = _Stamp(data.status, size)
    doc.build(receipt_story(data, branding, settings, size[0] - 2 * MARGIN),
              onFirstPage=stamp, onLaterPages=stamp)
    return out


def render_statement(data: StatementData, branding: ReportBranding, settings: FeeSettings,
                     out: Path) -> Path:
    """A student's statement of account on A4: every due and payment, and the balance."""
    register_fonts()
    width = A4[0] - 2 * MARGIN
    story = _header(branding, settings, "Statement of account", width)
    book = data.ledger
    story.append(key_values([
        ("Student", f"{data.student_name} ({data.enrollment_no})"),
        ("Charged", _amount(book.charged)), ("Discounts", _amount(book.discounted)),
        ("Received", _amount(book.paid)), ("Refunded", _amount(book.refunded)),
        ("Outstanding", _amount(book.outstanding)), ("In credit", _amount(book.credit))],
        width))
    story.append(Spacer(1, 4 * mm))
    running = Decimal(0)
    rows = []
    for line in data.lines:
        running += line.charged - line.received
        rows.append((date_text(line.on), line.what,
                     _amount(line.charged) if line.charged else "",
                     _amount(line.received) if line.received else "", _amount(running)))
    story.append(data_table(["Date", "Entry", "Charged", "Received", "Balance"], rows,
                            [width * 0.14, width * 0.44, width * 0.14, width * 0.14,
                             width * 0.14], numeric=(2, 3, 4)))
    doc = SimpleDocTemplate(str(out), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"Statement {data.enrollment_no}", author=branding.name,
                            creator="Institute Desk")
    doc.build(story)
    return out


__all__ = ["receipt_story", "render_receipt", "render_statement"]
