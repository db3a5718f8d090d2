"""CRM conversion report: the funnel (where each stage's inquiries are now) and conversion by
source and counselor.

All figures come from `analytics.crm.crm_summary` over the inquiries created in the period.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from reportlab.platypus import Flowable

from institute_core.analytics.crm import CrmSummary, GroupConversion, crm_summary
from institute_core.analytics.period import Db, Period
from institute_core.reports.charts import bar_chart
from institute_core.reports.common import base_payload
from institute_core.reports.layout import (
    CONTENT_WIDTH,
    data_table,
    heading,
    key_values,
    para,
    pct,
)

SECTIONS = ("summary", "funnel", "sources", "counselors")
TITLE = "CRM conversion report"


def _groups(groups: Sequence[GroupConversion]) -> list[dict[str, Any]]:
    return [{"key": g.key, "total": g.total, "enrolled": g.enrolled, "lost": g.lost,
             "conversion": g.conversion} for g in groups]


def collect_crm(db: Db, period: Period, *, sections: Sequence[str] = SECTIONS,
                branch_ids: Collection[uuid.UUID] | None = None) -> dict[str, Any]:
    summary: CrmSummary = crm_summary(db, period,
                                      None if branch_ids is None else list(branch_ids))
    payload = base_payload("crm", TITLE, period, sections)
    payload.update({
        "total": summary.total, "enrolled": summary.enrolled,
        "conversion": summary.conversion,
        "by_status": [{"status": s, "count": c} for s, c in summary.by_status],
        "funnel": [{"stage": f.stage, "reached": f.reached, "still": f.still_share,
                    "lost": f.lost_share, "went_on": f.went_on_share}
                   for f in summary.funnel],
        "by_source": _groups(summary.by_source),
        "by_counselor": _groups(summary.by_counselor),
    })
    return payload


def crm_story(payload: Mapping[str, Any]) -> list[Flowable]:
    w = CONTENT_WIDTH
    chosen = payload["sections"]
    story: list[Flowable] = []
    if "summary" in chosen:
        story += [*heading("Summary"), key_values(
            [("Inquiries in the period", payload["total"]), ("Enrolled", payload["enrolled"]),
             ("Conversion rate", pct(payload["conversion"])),
             *((s["status"].replace("_", " ").capitalize(), s["count"])
               for s in payload["by_status"])])]
    if "funnel" in chosen:
        funnel = payload["funnel"]
        story += [*heading("Funnel"),
                  bar_chart("Inquiries reaching each stage (number of inquiries)",
                            [f["stage"].replace("_", " ") for f in funnel],
                            [[f["reached"] for f in funnel]], height=130),
                  data_table(["Stage", "Reached", "Still at this stage", "Lost at this stage",
                              "Went on"],
                             [[f["stage"].replace("_", " "), f["reached"], pct(f["still"]),
                               pct(f["lost"]), "" if f is funnel[-1] else pct(f["went_on"])]
                              for f in funnel],
                             [w * 0.28, w * 0.14, w * 0.2, w * 0.2, w * 0.18],
                             numeric=(1, 2, 3, 4)),
                  para("Of the inquiries that reached a stage: still there (not lost, only not "
                       "moved on yet), lost there, or gone on to a later stage.", "small")]
    for key, title, label in (("sources", "By source", "Source"),
                              ("counselors", "By counselor", "Counselor")):
        if key in chosen:
            rows = payload["by_source" if key == "sources" else "by_counselor"]
            if not rows:
                story += [*heading(title), para("No inquiry in this period.")]
                continue
            story += [*heading(title), data_table(
                [label, "Inquiries", "Enrolled", "Lost", "Conversion"],
                [[r["key"].replace("_", " ") if key == "sources" else r["key"], r["total"],
                  r["enrolled"], r["lost"], pct(r["conversion"])] for r in rows],
                [w * 0.36, w * 0.16, w * 0.16, w * 0.14, w * 0.18], numeric=(1, 2, 3, 4))]
    return story
