"""The faculty report's student count agrees with the students it lists (on the demo, where a
batch mark of an absent student once made it say 30 and list 31)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from institute_core.analytics.period import Period
from institute_core.demo import DemoData
from institute_core.replica import Replica
from institute_core.reports.faculty_report import collect_faculty
from institute_core.reports.service import ReportRequest, generate
from institute_core.schema import Faculty


def test_unique_students_are_the_listed_students_who_attended(
        small_replica_dir: Path, small_demo: DemoData, tmp_path: Path) -> None:
    period = Period(small_demo.today - timedelta(days=55), small_demo.today)
    replica = Replica.open(small_replica_dir)
    try:
        with replica.read() as db:
            faculty = list(db.scalars(select(Faculty.id)))
            payloads = {f: collect_faculty(db, f, period) for f in faculty}
        never_came = 0
        for payload in payloads.values():
            rows = payload["students"]
            attended = [r for r in rows if r["attended"]]
            assert payload["figures"]["unique_students"] == len(attended)
            never_came += len(rows) - len(attended)
        assert never_came, "the demo has students marked only absent: the case that differed"
        busiest = max(payloads, key=lambda f: len(payloads[f]["students"]))
        out = tmp_path / "faculty.pdf"
        generate(replica, ReportRequest("faculty", period, faculty_id=busiest,
                                        today=small_demo.today), out,
                 generated_by=None, record=False)  # the shared demo replica stays as built
    finally:
        replica.close()
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(out)).pages)
    rows = payloads[busiest]["students"]
    taught = payloads[busiest]["figures"]["unique_students"]
    lines = text.splitlines()
    assert lines[lines.index("Students taught") + 1] == str(taught)
    assert f"Students with a mark ({len(rows)}: {taught} taught" in text
