"""Reports print dates, times and figures in the institute's style, never ISO or UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.settings.institute import read_institute_settings, save_institute_settings
from institute_core import display
from institute_core.display import DisplayStyle
from institute_core.replica import Replica
from institute_core.reports.service import ReportRequest, generate
from tests.analytics.institute import MARCH, TODAY, Institute
from tests.reports.conftest import pdf_text

ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
MONTH_DAY = re.compile(r"^\d\d-\d\d$", re.M)  # an axis label such as "11-01"


@pytest.fixture(autouse=True)
def default_style() -> Iterator[None]:
    yield
    display.use_style(DisplayStyle())


@pytest.mark.parametrize(("date_style", "period"), [
    ("dd MMM yyyy", "02 Mar 2026 – 15 Mar 2026"),
    ("dd-MM-yyyy", "02-03-2026 – 15-03-2026"),
])
def test_the_chosen_date_style_and_time_zone_reach_every_report(
        replica: Replica, institute: Institute, tmp_path: Path, date_style: str,
        period: str) -> None:
    wanted = read_institute_settings(replica)
    save_institute_settings(replica, type(wanted)(
        wanted.server_url, wanted.branding, DisplayStyle(date_style=date_style)))
    assert read_institute_settings(replica).display.date_style == date_style
    requests = [
        ReportRequest("attendance", MARCH, batch_id=institute.batch, today=TODAY),
        ReportRequest("progress", MARCH, student_id=institute.students["ENR-1"], today=TODAY),
        ReportRequest("faculty", MARCH, faculty_id=institute.meera, today=TODAY),
        ReportRequest("crm", MARCH, today=TODAY),
    ]
    for n, request in enumerate(requests):
        out = tmp_path / f"{n}.pdf"
        generate(replica, request, out, generated_by=institute.admin)
        text = pdf_text(out)
        assert f"Period {period}" in text, request.kind
        assert re.search(r"Generated \S.* IST ·", text), request.kind  # not "UTC"
        assert "UTC" not in text
        assert not ISO_DATE.search(text), (request.kind, ISO_DATE.findall(text))
        assert not MONTH_DAY.search(text), (request.kind, MONTH_DAY.findall(text))
