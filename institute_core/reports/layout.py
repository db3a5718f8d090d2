"""The frame every report shares: A4 page, header, footer with "Page X of Y", styles, tables.

Tables repeat their header row on every page they break across (repeatRows=1). Plain cells are
strings drawn in the table's font (fast: a 200-student batch stays well under budget); a cell
that needs wrapping or the Devanagari face becomes a Paragraph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from institute_core.display import date_text, day_month, moment_text, number, zone_label
from institute_core.reports.branding import ReportBranding
from institute_core.reports.fonts import FONT, FONT_BOLD, markup, needs_shaping, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
HEADER_HEIGHT = 24 * mm
FOOTER_HEIGHT = 12 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FRAME_HEIGHT = PAGE_HEIGHT - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT

HEADER_FILL = colors.HexColor("#1f4e79")
ZEBRA_FILL = colors.HexColor("#f2f6fa")
ALERT_FILL = colors.HexColor("#fde2e1")
ALERT_TEXT = colors.HexColor("#9b1c1c")
GRID = colors.HexColor("#b8c4d0")
NOT_AVAILABLE = "n/a"
CELL_SIZE = 8.5
HEADER_SIZE = 7.5
CELL_PAD = 6  # reportlab's default left/right cell padding


def _style(name: str, size: float, *, bold: bool = False, leading: float | None = None,
           space_after: float = 0, align: int = 0, color: Any = colors.black,
           split_words: bool = True) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT_BOLD if bold else FONT, fontSize=size,
                          leading=leading or size * 1.3, spaceAfter=space_after,
                          alignment=align, textColor=color, splitLongWords=int(split_words))


def styles() -> dict[str, ParagraphStyle]:
    """The report styles (fonts registered on first use)."""
    register_fonts()
    return {
        "title": _style("title", 15, bold=True, space_after=4),
        "h2": _style("h2", 11.5, bold=True, space_after=3, color=HEADER_FILL),
        "h3": _style("h3", 9.5, bold=True, space_after=3),
        "body": _style("body", 9.5, space_after=3),
        "small": _style("small", 8),
        # Cells wrap between words only: a name broken mid-word reads as two names (a word
        # wider than its column may run into the cell padding instead).
        "cell": _style("cell", CELL_SIZE, split_words=False),
        "cell_alert": _style("cell_alert", CELL_SIZE, color=ALERT_TEXT, split_words=False),
        # A column header wraps between words, never inside one.
        "cell_bold": _style("cell_bold", HEADER_SIZE, bold=True, color=colors.white,
                            split_words=False),
        "right": _style("right", 8.5, align=TA_RIGHT),
    }


_STYLES: dict[str, ParagraphStyle] = {}


def style(name: str) -> ParagraphStyle:
    if not _STYLES:
        _STYLES.update(styles())
    return _STYLES[name]


def para(text: object, style_name: str = "body", *, bold: bool = False) -> Paragraph:
    """A paragraph of plain text: escaped, Devanagari in its face and shaped."""
    base = style(style_name)
    shaped = needs_shaping(text)
    if shaped or bold:
        base = ParagraphStyle(f"{base.name}-x", parent=base, shaping=1 if shaped else 0,
                              fontName=FONT_BOLD if bold else base.fontName)
    return Paragraph(markup(text, bold=base.fontName == FONT_BOLD), base)


# Free text a person typed (remarks) is laid out in pieces of at most this many characters:
# reportlab re-splits a paragraph's whole remainder at every page break, so one 100,000-letter
# word as a single paragraph cost a second per page.
TEXT_PIECE = 1500
# A table row cannot break across pages: a cell prints at most this much of a longer text.
CELL_TEXT_LIMIT = 600


def paragraphs(text: str, style_name: str = "body") -> list[Paragraph]:
    """Long free text as consecutive paragraphs of bounded size, cut at a space when possible."""
    pieces: list[str] = []
    while len(text) > TEXT_PIECE:
        cut = text.rfind(" ", TEXT_PIECE // 2, TEXT_PIECE)
        cut = TEXT_PIECE if cut < 0 else cut + 1
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return [para(piece, style_name) for piece in pieces]


def clipped(text: str, limit: int = CELL_TEXT_LIMIT) -> str:
    """`text`, or its start and how much was left out when it is longer than `limit`."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (+{len(text) - limit:,} characters)"


# A heading needs this much room under it, or it starts the next page: it never ends one
# alone. (keepWithNext would move a whole long table to the next page instead of splitting it.)
HEADING_ROOM = 30 * mm


def heading(text: str) -> list[Flowable]:
    return [CondPageBreak(HEADING_ROOM), Spacer(1, 3 * mm), _starts_section(para(text, "h2"))]


def subheading(text: str) -> list[Flowable]:
    return [CondPageBreak(HEADING_ROOM * 0.8), _starts_section(para(text, "h3"))]


def _starts_section(flowable: Flowable) -> Flowable:
    flowable.starts_section = True  # type: ignore[attr-defined]
    return flowable


# A section (a heading and what follows it, up to the next heading) shorter than this share of
# the page never breaks: it starts on the next page instead. A longer one splits where it is
# (a long table has to break somewhere; its header row repeats on the next page).
SECTION_KEEP = 0.45


class _Section(KeepTogether):
    """A section kept on one page when it is short enough to be (KeepTogether's own maxHeight
    compares the room left, not the section's height)."""

    def __init__(self, flowables: list[Flowable], limit: float) -> None:
        super().__init__(flowables)
        self._limit = limit

    def split(self, aW: float, aH: float) -> list[Flowable]:
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        content = list(self._content)
        frame = getattr(self, "_frame", None)
        at_top = bool(frame is not None and getattr(frame, "_atTop", False))
        if aH < self._H <= self._limit and not at_top:
            return [self.FrameBreak(), *content]
        return content


def _flat(story: Sequence[Flowable]) -> list[Flowable]:
    """A story's own KeepTogether blocks opened up: their headings make sections of their own
    here (one nested inside a section would measure as endless and break it up)."""
    flat: list[Flowable] = []
    for flowable in story:
        if isinstance(flowable, KeepTogether) and not isinstance(flowable, _Section):
            flat.extend(_flat(flowable._content))
        else:
            flat.append(flowable)
    return flat


def keep_sections(story: Sequence[Flowable]) -> list[Flowable]:
    """The story with each heading kept together with its section, and the closing lines (the
    signature) with the last section, so no page starts with half of a six-row summary or holds
    only a signature."""
    kept: list[Flowable] = []
    group: list[Flowable] = []

    def close() -> None:
        if group:
            kept.append(_Section(list(group), FRAME_HEIGHT * SECTION_KEEP))
            group.clear()

    for flowable in _flat(story):
        if isinstance(flowable, PageBreak | CondPageBreak):
            close()
            kept.append(flowable)
            continue
        if getattr(flowable, "starts_section", False) and any(
                getattr(f, "starts_section", False) for f in group):
            close()
        group.append(flowable)
    close()
    return kept


def fmt(value: Any, *, suffix: str = "", places: int = 2) -> str:
    """A figure as printed: None as "n/a", numbers in the institute's grouping (1,25,000),
    floats with fixed places."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, float):
        return f"{number(value, places)}{suffix}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{number(value)}{suffix}"
    return f"{value}{suffix}"


def pct(value: float | None) -> str:
    return fmt(value, suffix=" %")


def date_cell(iso: str | None) -> str:
    """A date the payload keeps as ISO text ("2026-11-01"), as the institute writes dates."""
    return date_text(date.fromisoformat(iso[:10])) if iso else ""


def axis_day(iso: str) -> str:
    """An axis label: "01 Nov", never the ambiguous "11-01"."""
    return day_month(date.fromisoformat(iso[:10]))


def _cell(value: Any, width: float | None, font: str = FONT, style_name: str = "cell") -> Any:
    """A plain string when it fits on one line in the table font, else a wrapping Paragraph.

    Plain strings are what keeps a 200-student batch report fast, so the cheap checks go first:
    ASCII text needs no shaping, and a short string cannot overflow its column.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = fmt(value)  # figures in the institute's grouping, like every other number
    text = "" if value is None else clipped(str(value))
    if not text.isascii() and needs_shaping(text):
        return para(text, style_name, bold=font == FONT_BOLD)
    if width is None or len(text) * CELL_SIZE <= width - 2 * CELL_PAD:
        return text
    if stringWidth(text, font, CELL_SIZE) > width - 2 * CELL_PAD:
        return para(text, style_name, bold=font == FONT_BOLD)
    return text


def data_table(header: Sequence[str], rows: Iterable[Sequence[Any]],
               widths: Sequence[float], *, highlight: Iterable[int] = (),
               numeric: Iterable[int] = ()) -> Table:
    """A table with a repeated header row; `highlight` rows (0-based, data rows) in red."""
    # Headers that fit on one line stay plain strings: far cheaper than a Paragraph each, which
    # matters when a 200-student batch repeats them on every page.
    data: list[list[Any]] = [[h if stringWidth(h, FONT_BOLD, HEADER_SIZE) <= w - 2 * CELL_PAD
                              else para(h, "cell_bold") for h, w in zip(header, widths,
                                                                         strict=False)]]
    # A paragraph keeps its own colour, so the wrapped cells of a highlighted row get the
    # alert style that TEXTCOLOR gives the plain ones.
    alert = set(highlight := list(highlight))
    data.extend([_cell(v, w, style_name="cell_alert" if i in alert else "cell")
                 for v, w in zip(row, widths, strict=False)] for i, row in enumerate(rows))
    table = Table(data, colWidths=list(widths), repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, CELL_SIZE),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, HEADER_SIZE),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        # Row rules and a box rather than a full grid: half the line drawing on every page.
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
        ("BOX", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if len(data) > 2:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_FILL]))
    for col in numeric:
        commands.append(("ALIGN", (col, 0), (col, -1), "RIGHT"))
    for row in highlight:
        commands.append(("BACKGROUND", (0, row + 1), (-1, row + 1), ALERT_FILL))
        commands.append(("TEXTCOLOR", (0, row + 1), (-1, row + 1), ALERT_TEXT))
    table.setStyle(TableStyle(commands))
    return table


def key_values(pairs: Sequence[tuple[str, Any]], width: float = CONTENT_WIDTH) -> Table:
    """A two-column label/value block for summaries."""
    data = [[_cell(label, width * 0.4, FONT_BOLD), _cell(value, width * 0.6)]
            for label, value in pairs]
    table = Table(data, colWidths=[width * 0.4, width * 0.6])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, CELL_SIZE),
        ("FONT", (0, 0), (0, -1), FONT_BOLD, CELL_SIZE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


class _NumberedCanvas(Canvas):
    """Defers each page so the footer can say "Page X of Y" once Y is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(colors.HexColor("#444444"))
            self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 4 * mm,
                                 f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


class ReportDocument(BaseDocTemplate):
    """An A4 document with the institute header and the generation footer on every page."""

    def __init__(self, out: Path, *, branding: ReportBranding, title: str, period_label: str,
                 generated_at: datetime, covers: str = "") -> None:
        register_fonts()
        super().__init__(str(out), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                         topMargin=MARGIN + HEADER_HEIGHT, bottomMargin=MARGIN + FOOTER_HEIGHT,
                         title=title, author=branding.name, creator="Institute Desk")
        self.branding = branding
        self.report_title = title
        self.period_label = period_label
        self.covers = covers  # the branch(es) the report covers, named in the header
        # The institute's clock, named: a printed page travels beyond the desk that made it.
        self.generated_label = f"{moment_text(generated_at)} {zone_label()}"
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - MARGIN
        logo = self.branding.logo_file()
        text_right = PAGE_WIDTH - MARGIN
        if logo is not None:
            size = 18 * mm
            try:
                canvas.drawImage(str(logo), PAGE_WIDTH - MARGIN - size, top - size, size, size,
                                 preserveAspectRatio=True, mask="auto")
                text_right -= size + 3 * mm
            except OSError:  # an unreadable logo must not stop the report
                pass
        h = self._draw_name(canvas, top, text_right - MARGIN)
        canvas.setFont(FONT, 8.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        if self.branding.address:
            canvas.drawString(MARGIN, top - h - 11, self.branding.address[:120])
        canvas.setFillColor(HEADER_FILL)
        canvas.setFont(FONT_BOLD, 9.5)
        canvas.drawString(MARGIN, top - HEADER_HEIGHT + 5 * mm, self.report_title)
        if self.covers:
            canvas.setFont(FONT, 9)
            canvas.drawRightString(PAGE_WIDTH - MARGIN, top - HEADER_HEIGHT + 5 * mm,
                                   self.covers[:90])
        canvas.setStrokeColor(HEADER_FILL)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN, top - HEADER_HEIGHT + 3 * mm, PAGE_WIDTH - MARGIN,
                    top - HEADER_HEIGHT + 3 * mm)
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(MARGIN, MARGIN - 4 * mm,
                          f"Generated {self.generated_label} · Period {self.period_label}")
        canvas.restoreState()

    def _draw_name(self, canvas: Canvas, top: float, width: float) -> float:
        """The institute's name at the top left; returns the height it took."""
        name = self.branding.name
        if not needs_shaping(name) and stringWidth(name, FONT_BOLD, 13) <= width:
            canvas.setFont(FONT_BOLD, 13)  # the common case, drawn on every page: keep it cheap
            canvas.drawString(MARGIN, top - 13, name)
            return 16.0
        paragraph = Paragraph(markup(name, bold=True), ParagraphStyle(
            "inst", fontName=FONT_BOLD, fontSize=13, leading=16,
            shaping=1 if needs_shaping(name) else 0))
        _w, h = paragraph.wrap(width, 20 * mm)
        paragraph.drawOn(canvas, MARGIN, top - h)
        return float(h)

    def render(self, story: list[Flowable]) -> int:
        """Build the PDF; returns the number of pages."""
        self.build(story, canvasmaker=_NumberedCanvas)
        return int(self.page)


def signature_block(branding: ReportBranding) -> list[Flowable]:
    """The signature line printed at the end of a report."""
    if not branding.signature_line:
        return []
    line = Table([[""], [para(branding.signature_line, "small")]],
                 colWidths=[60 * mm], hAlign="RIGHT")
    line.setStyle(TableStyle([("LINEABOVE", (0, 1), (0, 1), 0.6, colors.black),
                              ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    return [Spacer(1, 9 * mm), line]
