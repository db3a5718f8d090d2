"""Feedback insights for the desk: average rating per faculty member and per subject, sentiment
month by month, and the words negative comments use most (charts reuse the dashboard's
ChartPanel; the figures come from `institute_core.engagement.insights`)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.dashboard.charts import ChartPanel, plain
from desktop_app.widgets import styled_label
from institute_core.analytics.period import Period
from institute_core.branches.selection import BranchIds
from institute_core.display import month_text
from institute_core.engagement.insights import FeedbackInsights, feedback_insights

DAYS = 365


def rating(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} of 5"


def sentiment(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def load_feedback_insights(ctx: AppContext, today: date,
                           branch_ids: BranchIds = None) -> FeedbackInsights:
    with ctx.replica.read() as session:
        return feedback_insights(session, Period.last_days(DAYS, today), branch_ids)


class FeedbackInsightsView(QWidget):
    """Four charts over the feedback of the last year; `load()` reads them on the worker and
    draws them on the GUI thread when they arrive."""

    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, today: date | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.today = today or date.today()
        self.figures: FeedbackInsights | None = None
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.headline = styled_label(f"Feedback of the last {DAYS} days", "counts")
        head.addWidget(self.headline, 1)
        # Every chart covers the pick: feedback counts in its student's branch.
        self.branch = BranchPicker(ctx)
        self.branch.selection_changed.connect(lambda _s: self.load())
        head.addWidget(self.branch)
        layout.addLayout(head)
        grid = QGridLayout()
        self.by_faculty = ChartPanel("Average rating per faculty")
        self.by_subject = ChartPanel("Average rating per subject")
        self.by_month = ChartPanel("Sentiment by month (−1 negative … +1 positive)")
        self.words = ChartPanel("Most frequent words in negative comments")
        grid.addWidget(self.by_faculty, 0, 0)
        grid.addWidget(self.by_subject, 0, 1)
        grid.addWidget(self.by_month, 1, 0)
        grid.addWidget(self.words, 1, 1)
        layout.addLayout(grid, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)

    def load(self) -> None:
        ctx, today, branches = self._ctx, self.today, self.branch.selection
        self._ctx.tasks.run_db(lambda: load_feedback_insights(ctx, today, branches),
                               self._on_loaded, self._on_failed)

    def _on_loaded(self, figures: FeedbackInsights) -> None:
        self.figures = figures
        self.by_faculty.show_bars([g.name for g in figures.by_faculty],
                                  [g.average for g in figures.by_faculty], fmt=rating,
                                  horizontal=True, y_max=5, empty="No rated feedback on faculty.")
        self.by_subject.show_bars([g.name for g in figures.by_subject],
                                  [g.average for g in figures.by_subject], fmt=rating,
                                  horizontal=True, y_max=5,
                                  empty="No feedback tied to a session of a subject.")
        self.by_month.show_line([month_text(m.month) for m in figures.by_month],
                                [m.average_score for m in figures.by_month], fmt=sentiment,
                                empty="No comments with a sentiment yet.")
        if figures.by_month:
            # The compound score runs from −1 to 1; the panel's axis starts at 0 by default.
            self.by_month.plot.setYRange(-1, 1, padding=0.05)
        self.words.show_bars([w for w, _n in figures.negative_words],
                             [n for _w, n in figures.negative_words], fmt=plain,
                             horizontal=True, empty="No negative comments.")
        months = figures.by_month
        positive = sum(m.positive for m in months)
        neutral = sum(m.neutral for m in months)
        negative = sum(m.negative for m in months)
        where = f" in {self.branch.choice.label}" if self.branch.choice.chosen else ""
        self.headline.setText(
            f"Feedback of the last {DAYS} days{where}: {positive + neutral + negative} with "
            f"comments – {positive} positive, {neutral} neutral, {negative} negative")
        self.sig_loaded.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self.message.setText(f"Could not read the feedback: {exc}")
