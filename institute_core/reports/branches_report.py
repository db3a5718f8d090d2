"""Branches side by side: attendance, teaching utilisation and the CRM funnel of each chosen
branch and of them combined (issue 17), and for who holds reports.financial the money: fees
collected in the period and dues outstanding at its end.

Every figure comes from `analytics.branches.branch_figures` (the dashboard's section), so the
printed page and the screen agree; the combined line is worked out from the marks, hours and
inquiries of the chosen branches together, not averaged from their percentages.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.platypus import Flowable
from sqlalchemy.orm import Session

from institute_core.analytics.branches import branch_figures
from institute_core.analytics.crm import STAGES
from institute_core.analytics.period import Db, Period
from institute_core.display import money
from institute_core.fees.dues import dues_list
from institute_core.reports.charts import bar_chart
from institute_core.reports.common import base_payload
from institute_core.reports.layout import CONTENT_WIDTH, data_table, fmt, heading, para, pct

SECTIONS = ("attendance", "utilization", "funnel")
TITLE = "Branches side by side"


def collect_branches(db: Db, period: Period, *, sections: Sequence[str] = SECTIONS,
                     branch_ids: Collection[uuid.UUID] | None = None,
                     with_money: bool = False) -> dict[str, Any]:
    """The payload; `with_money` adds each line's collections and outstanding dues (the
    caller has checked the reader may see money)."""
    rows = branch_figures(db, period, None if branch_ids is None else list(branch_ids),
                          with_money=with_money)
    payload = base_payload("branches", TITLE, period, sections)
    payload["rows"] = [{
        "name": r.name, "combined": r.branch_id is None, "students": r.students,
        "attended": r.attendance.attended, "counted": r.attendance.counted,
        "excused": r.attendance.excused, "attendance": r.attendance.rate,
        "hours_taught": r.hours_taught, "hours_available": r.hours_available,
        "utilization": r.utilization, "inquiries": r.crm.total,
        "reached": [f.reached for f in r.crm.funnel], "enrolled": r.crm.enrolled,
        "conversion": r.crm.conversion} for r in rows]
    if with_money:
        assert isinstance(db, Session), "dues are read through the ORM session"
        chosen = [r.branch_id for r in rows if r.branch_id is not None]
        for line, r in zip(payload["rows"], rows, strict=True):
            # What the line's students owe now (the dues list; its ageing as of the period end).
            dues = dues_list(db, period.end, chosen if r.branch_id is None else [r.branch_id])
            line["collected"] = str(r.collected if r.collected is not None else Decimal(0))
            line["outstanding"] = str(dues.total_outstanding)
        payload["money"] = True
    return payload


def branches_story(payload: Mapping[str, Any]) -> list[Flowable]:
    w = CONTENT_WIDTH
    chosen = payload["sections"]
    rows = payload["rows"]
    branches = [r for r in rows if not r["combined"]]
    story: list[Flowable] = []
    if len(branches) > 1 and {"attendance", "utilization"} & set(chosen):
        story.append(bar_chart("Attendance and utilisation by branch (%)",
                               [r["name"] for r in branches],
                               [[r["attendance"] or 0 for r in branches],
                                [r["utilization"] or 0 for r in branches]],
                               height=120, legend=("Attendance", "Utilisation")))
    if "attendance" in chosen:
        story += [*heading("Attendance"), data_table(
            ["Branch", "Active students", "Marks attended", "Marks counted", "Excused",
             "Attendance"],
            [[r["name"], r["students"], r["attended"], r["counted"], r["excused"],
              pct(r["attendance"])] for r in rows],
            [w * 0.3, w * 0.14, w * 0.15, w * 0.15, w * 0.11, w * 0.15],
            numeric=(1, 2, 3, 4, 5)),
            para("Late counts as attended; excused marks are left out of the rate. A student "
                 "counts in the branch they belong to now.", "small")]
    if "utilization" in chosen:
        story += [*heading("Utilisation"), data_table(
            ["Branch", "Hours taught", "Hours available", "Utilisation"],
            [[r["name"], fmt(r["hours_taught"], places=1),
              "–" if r["hours_available"] is None else fmt(r["hours_available"], places=1),
              pct(r["utilization"])] for r in rows],
            [w * 0.4, w * 0.2, w * 0.2, w * 0.2], numeric=(1, 2, 3)),
            para("Faculty members count in their home branch.", "small")]
    if payload.get("money"):
        story += [*heading("Money"), data_table(
            ["Branch", "Collected in the period", "Outstanding now"],
            [[r["name"], money(Decimal(r["collected"])), money(Decimal(r["outstanding"]))]
             for r in rows],
            [w * 0.4, w * 0.3, w * 0.3], numeric=(1, 2)),
            para("Collected: payments taken in the branch in the period that still count "
                 "(bounced and cancelled ones do not; refunds are not taken off). Outstanding: "
                 "every unpaid instalment of the branch's students, due or not, as the dues "
                 "list has it now.", "small")]
    if "funnel" in chosen:
        stages = [s.replace("_", " ") for s in STAGES]
        story += [*heading("CRM funnel"), data_table(
            ["Branch", "Inquiries", *(s.capitalize() for s in stages[1:]), "Conversion"],
            [[r["name"], r["inquiries"], *r["reached"][1:], pct(r["conversion"])]
             for r in rows],
            [w * 0.26, w * 0.12, w * 0.13, w * 0.19, w * 0.13, w * 0.17],
            numeric=(1, 2, 3, 4, 5)),
            para("Inquiries created in the period that reached each stage; conversion is "
                 "enrolled of all inquiries.", "small")]
    return story
