"""No page starts with half of a short table or holds only the signature, wherever the content
before it happens to end: the story is laid out with every amount of text before it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from institute_core.reports.branding import ReportBranding
from institute_core.reports.layout import (
    CONTENT_WIDTH,
    ReportDocument,
    data_table,
    heading,
    keep_sections,
    para,
    signature_block,
)
from tests.reports.conftest import pdf_pages

BRANDING = ReportBranding(signature_line="Principal, signed")
ROWS = [[f"Row {n}", n] for n in range(1, 7)]  # the six-row summary of the issue


def _render(out: Path, filler_lines: int) -> list[list[str]]:
    story = [para(f"Filler line {n} of the report so far.") for n in range(filler_lines)]
    story += [*heading("Summary"),
              data_table(["What", "Count"], ROWS, [CONTENT_WIDTH * 0.7, CONTENT_WIDTH * 0.3]),
              *heading("Closing"), para("The last paragraph of the report.")]
    story += signature_block(BRANDING)
    document = ReportDocument(out, branding=BRANDING, title="Layout", period_label="-",
                              generated_at=datetime(2026, 12, 5, tzinfo=UTC))
    document.render(keep_sections(story))
    return pdf_pages(out)


def test_short_tables_stay_with_their_heading_and_the_signature_never_stands_alone(
        tmp_path: Path) -> None:
    checked_breaks = 0
    for lines in range(20, 50):  # the summary and the closing lines meet the page end here
        pages = _render(tmp_path / f"{lines}.pdf", lines)
        summary = [i for i, page in enumerate(pages) if "Summary" in page]
        rows = {i for i, page in enumerate(pages) for line in page if line.startswith("Row ")}
        assert len(summary) == 1 and rows == set(summary), (lines, pages)
        last = pages[-1]
        assert "Principal, signed" in last
        assert "The last paragraph of the report." in last, (lines, last)
        checked_breaks += len(pages) > 1 and "Summary" not in pages[0]
    assert checked_breaks > 0  # some layouts did have to move the table to the next page
