"""Pipeline insights for counselors: the funnel (still at and lost at each stage), conversion
by source and by month, days to convert and follow-up adherence (charts reuse the dashboard's
ChartPanel)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from desktop_app.branches.picker import branch_choice
from desktop_app.context import AppContext
from desktop_app.crm.models import STAGE_TITLES
from desktop_app.dashboard.charts import ChartPanel, percent, plain
from desktop_app.widgets import styled_label
from institute_core.analytics.crm import CrmSummary, FunnelStage, crm_summary
from institute_core.analytics.period import Period
from institute_core.crm.insights import CrmInsights, crm_insights
from institute_core.display import month_text, number

DAYS = 180


@dataclass(frozen=True)
class PipelineFigures:
    summary: CrmSummary
    insights: CrmInsights


def load_figures(ctx: AppContext, today: date,
                 branches: tuple[uuid.UUID, ...] | None = None) -> PipelineFigures:
    period = Period.last_days(DAYS, today)
    chosen = None if branches is None else list(branches)
    with ctx.replica.read() as session:
        return PipelineFigures(crm_summary(session, period, chosen),
                               crm_insights(session, period, branch_ids=chosen))


class PipelineInsights(QWidget):
    """Four charts and a line of figures over the last 180 days."""

    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.today = today
        self.figures: PipelineFigures | None = None
        layout = QVBoxLayout(self)
        self.headline = styled_label(f"Inquiries of the last {DAYS} days", "counts")
        layout.addWidget(self.headline)
        grid = QGridLayout()
        self.funnel = ChartPanel("Inquiries reaching each stage (number; % still there, "
                                 "% lost there)")
        self.by_source = ChartPanel("Conversion by source (% of inquiries enrolled)")
        self.by_month = ChartPanel("Conversion by month (% of inquiries enrolled)")
        self.by_counselor = ChartPanel("Conversion by counselor (% of inquiries enrolled)")
        grid.addWidget(self.funnel, 0, 0)
        grid.addWidget(self.by_source, 0, 1)
        grid.addWidget(self.by_month, 1, 0)
        grid.addWidget(self.by_counselor, 1, 1)
        layout.addLayout(grid, 1)

    def load(self) -> None:
        """Recompute for the window's branch pick (the inquiry list's picker)."""
        ctx, today, branches = self._ctx, self.today, branch_choice(self._ctx).selection
        self._ctx.tasks.run_db(lambda: load_figures(ctx, today, branches), self._on_loaded)

    def _on_loaded(self, figures: PipelineFigures) -> None:
        self.figures = figures
        s, i = figures.summary, figures.insights
        # Horizontal, top to bottom like a funnel; each stage says where its inquiries are now.
        self.funnel.show_bars([_stage_label(f) for f in s.funnel],
                              [f.reached for f in s.funnel], horizontal=True)
        self.by_source.show_bars([g.key.replace("_", " ") for g in s.by_source],
                                 [g.conversion for g in s.by_source], fmt=percent,
                                 horizontal=True)
        self.by_counselor.show_bars([g.key for g in s.by_counselor],
                                    [g.conversion for g in s.by_counselor], fmt=percent,
                                    horizontal=True)
        self.by_month.show_line([month_text(m.month, year=False) for m in i.by_month],
                                [m.rate for m in i.by_month], fmt=percent)
        days = plain(i.average_days_to_convert)
        self.headline.setText(
            f"Inquiries of the last {DAYS} days: {number(s.total)}, enrolled "
            f"{number(s.enrolled)} ({percent(s.conversion)}) · average {days} days to convert "
            f"({number(i.converted_counted)} counted) · follow-ups done on time "
            f"{number(i.adherence.on_time)} of {number(i.adherence.due)} "
            f"({percent(i.adherence.rate)})")
        self.sig_loaded.emit()


def _stage_label(stage: FunnelStage) -> str:
    """"New · 30 % still there · 10 % lost": nobody is lost by merely waiting at a stage."""
    title = STAGE_TITLES[stage.stage].replace("Follow-up scheduled", "Scheduled")
    if stage.went_on_share is None or stage.still_share is None:
        return title
    return (f"{title} · {stage.still_share:.0f} % still there · "
            f"{stage.lost_share or 0:.0f} % lost")
