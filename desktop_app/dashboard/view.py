"""Dashboard: figures, charts and the at-risk list for a date range.

Admins see the whole institute; a faculty member sees their own students and sessions
(`analytics.dashboard` defines every figure). Everything is computed on the database thread:
the overview first, then the at-risk list (it reads every student's history), so the figures
show while the risk rules still run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.comparison import BranchComparison
from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.dashboard.charts import ChartPanel, percent, plain
from desktop_app.models import Column, RowsModel
from desktop_app.settings.risk_dialog import RiskThresholdsDialog
from desktop_app.widgets import date_field, styled_label, table_view, title_label
from institute_core.analytics import dashboard
from institute_core.analytics.branches import BranchFigures, branch_figures
from institute_core.analytics.dashboard import DashboardData
from institute_core.analytics.period import Period
from institute_core.analytics.risk import RULE_TITLES, AtRiskStudent
from institute_core.analytics.risk_settings import read_thresholds
from institute_core.display import count, date_text, day_month, money, number
from institute_core.fees.desk import MoneyTiles, money_tiles


def _flag_titles(student: AtRiskStudent) -> str:
    """Each rule once, with how many times it fired (one per subject behind schedule)."""
    counts = Counter(f.rule for f in student.flags)
    return ", ".join(RULE_TITLES.get(rule, rule) + (f" ×{n}" if n > 1 else "")
                     for rule, n in counts.items())


RISK_COLUMNS: list[Column[AtRiskStudent]] = [
    Column("Urgency", lambda r: "Urgent" if r.urgent else "Watch",
           tooltip=lambda r: "Act now" if r.urgent else "Keep an eye on this student"),
    Column("Student", lambda r: r.name),
    Column("Enrollment", lambda r: r.enrollment_no),
    Column("Flags", lambda r: _flag_titles(r)),
    Column("Why", lambda r: "; ".join(f.reason for f in r.flags),
           tooltip=lambda r: "\n".join(("Urgent – " if f.urgent else "Watch – ")
                                       + f"{RULE_TITLES.get(f.rule, f.rule)}: {f.reason}"
                                       for f in r.flags)),
]
SEVERITY_FILTERS = (("Urgent and to watch", False), ("Urgent only", True))

PRESETS: tuple[tuple[str, int], ...] = (
    ("Last 4 weeks", 28), ("Last 8 weeks", 56), ("Last 12 weeks", 84), ("Last 26 weeks", 182))
CUSTOM = "Custom range"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class KpiCard(QFrame):
    """A headline figure with its caption and a note under it."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        self.caption = styled_label(caption, "subtitle")
        self.value = QLabel("…")
        self.value.setObjectName("kpi")
        self.value.setAccessibleName(caption)
        self.note = styled_label("", "hint")
        for widget in (self.caption, self.value, self.note):
            layout.addWidget(widget)

    def set(self, value: str, note: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)


class DashboardView(QWidget):
    """The dashboard of a signed-in admin or faculty member."""

    sig_overview_loaded = Signal()
    sig_loaded = Signal()  # overview and at-risk list of the current range are both shown

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._today = today or date.today()
        self._generation = 0
        self._pending = 0
        self.loaded = False  # the current range's figures and at-risk list are both shown
        self.data: DashboardData | None = None
        self.money: MoneyTiles | None = None
        self.at_risk: tuple[AtRiskStudent, ...] = ()
        self.branch_rows: list[BranchFigures] = []
        self._branches_used: tuple[uuid.UUID, ...] | None = None
        self.faculty_id: uuid.UUID | None = None
        # A teacher's own dashboard, for who teaches without the institute's reports.
        self.is_faculty = ctx.user.may("attendance.mark") and not ctx.user.may("reports.view")
        if self.is_faculty:
            self.faculty_id = ctx.user.faculty_id
        self._build()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(250)  # typing a date fires once, not per keystroke
        self._refresh_timer.timeout.connect(self.refresh)
        self.preset.setCurrentIndex(1)  # last 8 weeks, and loads

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(title_label("My students" if self.is_faculty else "Dashboard"))
        head.addStretch(1)
        # Shown to a user of several branches: every figure below covers the pick.
        self.branch = BranchPicker(self._ctx)
        self.branch.selection_changed.connect(self._on_branch_selection)
        head.addWidget(self.branch)
        head.addWidget(QLabel("Period"))
        self.preset = QComboBox()
        self.preset.addItems([name for name, _days in PRESETS] + [CUSTOM])
        self.preset.setAccessibleName("Period")
        self.preset.currentIndexChanged.connect(self._on_preset)
        head.addWidget(self.preset)
        self.date_from = date_field()
        self.date_to = date_field()
        for edit, name in ((self.date_from, "From"), (self.date_to, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setAccessibleName(f"{name} date")
            edit.dateChanged.connect(self._on_date_edited)
        head.addWidget(self.date_from)
        head.addWidget(QLabel("to"))
        head.addWidget(self.date_to)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(self.refresh_button)
        outer.addLayout(head)
        self.message = styled_label("", "hint")
        outer.addWidget(self.message)

        scroll = self.body_scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        cards = QHBoxLayout()
        self.cards: dict[str, KpiCard] = {}
        captions = [("active", "Active students"), ("sessions", "Sessions this week"),
                    ("attendance", "Attendance"), ("velocity", "Topics per student per week"),
                    ("at_risk", "Students at risk")]
        if not self.is_faculty:
            captions.append(("conversion", "Inquiry conversion"))
        for key, caption in captions:
            self.cards[key] = KpiCard(caption)
            cards.addWidget(self.cards[key])
        grid.addLayout(cards, 0, 0, 1, 2)
        # Money is an admin's (issue 18): its own row, loaded apart from the teaching figures.
        self.money_cards: dict[str, KpiCard] = {}
        if not self.is_faculty:
            money_row = QHBoxLayout()
            for key, caption in (("today", "Collected today"), ("month", "Collected this month"),
                                 ("outstanding", "Fees outstanding"),
                                 ("overdue", "Students with overdue fees")):
                self.money_cards[key] = KpiCard(caption)
                money_row.addWidget(self.money_cards[key])
            grid.addLayout(money_row, 4, 0, 1, 2)

        # Parented at once: a faculty member's dashboard never lays out the funnel, and a
        # widget with no parent would be finalised by the cycle collector, not by Qt.
        self.attendance_chart = ChartPanel("Attendance trend (% of marks attended)", body)
        self.velocity_chart = ChartPanel("Topics completed per week", body)
        self.utilization_chart = ChartPanel("Faculty utilization (% of available hours)", body)
        self.funnel_chart = ChartPanel("Inquiry funnel (number of inquiries)", body)
        for chart in (self.attendance_chart, self.velocity_chart, self.funnel_chart):
            chart.setFixedHeight(250)
        grid.addWidget(self.attendance_chart, 1, 0)
        grid.addWidget(self.velocity_chart, 1, 1)
        risk_box = self._risk_box()
        if self.is_faculty:
            self.funnel_chart.hide()
            grid.addWidget(risk_box, 2, 0, 1, 2)
        else:
            grid.addWidget(self.funnel_chart, 2, 0)
            grid.addWidget(risk_box, 2, 1)
        grid.addWidget(self.utilization_chart, 3, 0, 1, 2)
        # Branches side by side: the whole picture is an office view, not a teacher's.
        self.branches = BranchComparison(body)
        if self.is_faculty:
            self.branches.hide()
        else:
            grid.addWidget(self.branches, 5, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def _risk_box(self) -> QFrame:
        box = QFrame()
        box.setObjectName("card")
        box.setMinimumHeight(250)
        layout = QVBoxLayout(box)
        head = QHBoxLayout()
        self.risk_caption = QLabel("Students at risk")
        self.risk_caption.setObjectName("counts")
        head.addWidget(self.risk_caption, 1)
        self.rule_filter = QComboBox()
        self.rule_filter.addItem("Every rule", None)
        for rule, title in RULE_TITLES.items():
            self.rule_filter.addItem(title, rule)
        self.rule_filter.setAccessibleName("Show students flagged by")
        self.rule_filter.currentIndexChanged.connect(self._on_rule_filter)
        self.severity_filter = QComboBox()
        for title, urgent_only in SEVERITY_FILTERS:
            self.severity_filter.addItem(title, urgent_only)
        self.severity_filter.setAccessibleName("Show how urgent")
        self.severity_filter.currentIndexChanged.connect(self._on_rule_filter)
        head.addWidget(self.severity_filter)
        head.addWidget(self.rule_filter)
        if self._ctx.user.may("reports.view"):
            self.thresholds_button = QPushButton("Thresholds…")
            self.thresholds_button.setToolTip("When a student is flagged, and when it is urgent")
            self.thresholds_button.clicked.connect(self.edit_thresholds)
            head.addWidget(self.thresholds_button)
        layout.addLayout(head)
        self.risk_model: RowsModel[AtRiskStudent] = RowsModel(RISK_COLUMNS, self)
        self.risk_table = table_view()
        self.risk_table.setModel(self.risk_model)
        self.risk_table.setAccessibleName("Students at risk")
        self.risk_table.setMinimumHeight(150)
        # Sizing columns to their contents measures every row: a thousand flagged students
        # would cost the GUI thread a second. Fixed starting widths, resizable by the user.
        header = self.risk_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        em = self.risk_table.fontMetrics().horizontalAdvance("M")
        for column, ems in enumerate((6, 12, 10, 18)):
            header.resizeSection(column, em * ems)
        layout.addWidget(self.risk_table, 1)
        # The selected student's reasons in full: the Why column is cut in a narrow box.
        self.risk_detail = styled_label("", "hint")
        self.risk_detail.setWordWrap(True)
        self.risk_detail.setAccessibleName("Why the selected student is at risk")
        layout.addWidget(self.risk_detail)
        self.risk_table.selectionModel().currentRowChanged.connect(self._on_risk_row)
        return box

    def _on_risk_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or current.row() >= self.risk_model.rowCount():
            self.risk_detail.setText("")
            return
        student = self.risk_model.row_at(current.row())
        self.risk_detail.setText(f"{student.name} ({student.enrollment_no}) – "
                                 + "; ".join(("urgent: " if f.urgent else "to watch: ")
                                             + f"{RULE_TITLES.get(f.rule, f.rule)}, {f.reason}"
                                             for f in student.flags))

    # --- the period -------------------------------------------------------------------------

    def period(self) -> Period:
        return Period(_pydate(self.date_from.date()), _pydate(self.date_to.date()))

    def set_period(self, period: Period) -> None:
        """Show `period` (a custom range) and load it."""
        self._set_dates(period, custom=True)
        self.refresh()

    def _set_dates(self, period: Period, *, custom: bool) -> None:
        for edit, day in ((self.date_from, period.start), (self.date_to, period.end)):
            edit.blockSignals(True)
            edit.setDate(_qdate(day))
            edit.blockSignals(False)
        if custom:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(CUSTOM)
            self.preset.blockSignals(False)

    def _on_preset(self, index: int) -> None:
        if index < len(PRESETS):
            days = PRESETS[index][1]
            self._set_dates(Period(self._today - timedelta(days=days - 1), self._today),
                            custom=False)
            self.refresh()

    def _on_date_edited(self, _day: QDate) -> None:
        self.preset.blockSignals(True)
        self.preset.setCurrentText(CUSTOM)
        self.preset.blockSignals(False)
        self._refresh_timer.start()

    # --- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute every figure for the chosen range on the database thread."""
        self._refresh_timer.stop()
        start, end = _pydate(self.date_from.date()), _pydate(self.date_to.date())
        if start > end:
            self.message.setText(f"The period starts {date_text(start)}, after it ends "
                                 f"{date_text(end)}: change one of the dates.")
            return
        if self.is_faculty and self.faculty_id is None:
            self.message.setText("Your account has no faculty record yet, so there are no "
                                 "students to show. Ask an admin to set it up.")
            return
        period = Period(start, end)
        self._generation += 1
        generation = self._generation
        self._pending = 2 if self.is_faculty else 3
        self.loaded = False
        self.message.setText(f"Loading {period.label()}…")
        replica, faculty = self._ctx.replica, self.faculty_id
        branches = self._branches_used = self.branch.selection

        def overview() -> DashboardData:
            with replica.read() as db:
                return dashboard.dashboard_data(db, period, faculty_id=faculty,
                                                branch_ids=branches)

        def risky() -> tuple[AtRiskStudent, ...]:
            thresholds = read_thresholds(replica)
            with replica.read() as db:
                return dashboard.dashboard_at_risk(db, period, faculty_id=faculty,
                                                   thresholds=thresholds, branch_ids=branches)

        tasks = self._ctx.tasks
        tasks.run_db(overview, lambda data: self._on_overview(generation, data),
                     lambda exc: self._on_failed(generation, exc))
        tasks.run_db(risky, lambda rows: self._on_at_risk(generation, rows),
                     lambda exc: self._on_failed(generation, exc))
        if not self.is_faculty:
            with_money = bool(self.money_cards)  # only who sees the money tiles sees this

            def by_branch() -> list[BranchFigures]:
                with replica.read() as db:
                    return branch_figures(db, period,
                                          None if branches is None else list(branches),
                                          with_money=with_money)

            tasks.run_db(by_branch, lambda rows: self._on_branches(generation, rows),
                         lambda exc: self._on_failed(generation, exc))
        if self.money_cards:
            today = self._today
            tasks.run_db(lambda: money_tiles(replica, today, branches), self._on_money,
                         lambda exc: self._on_failed(generation, exc))

    def _on_money(self, tiles: MoneyTiles) -> None:
        self.money = tiles
        self.money_cards["today"].set(money(tiles.collected_today))
        self.money_cards["month"].set(money(tiles.collected_month))
        self.money_cards["outstanding"].set(money(tiles.outstanding))
        self.money_cards["overdue"].set(number(tiles.overdue_students))

    def _on_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.message.setText(f"Could not compute the dashboard: {exc}")

    def _done_one(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            period = self.period()
            self.message.setText(f"{period.label()} · at-risk flags as of {date_text(period.end)}")
            self.loaded = True
            self.sig_loaded.emit()

    def _on_overview(self, generation: int, data: DashboardData) -> None:
        if generation != self._generation:
            return  # an older range finished after the user chose a new one
        self.data = data
        self._show_overview(data)
        self.sig_overview_loaded.emit()
        self._done_one()

    def _on_branch_selection(self, selection: tuple[uuid.UUID, ...] | None) -> None:
        # The choice's first load says "all my branches" too: no second computation for it.
        if selection != self._branches_used:
            self.refresh()

    def scroll_to_branches(self) -> None:
        """Bring the branches' figures into view (they sit below the charts)."""
        self.body_scroll.ensureWidgetVisible(self.branches)

    def _on_branches(self, generation: int, rows: list[BranchFigures]) -> None:
        if generation != self._generation:
            return
        self.branch_rows = rows
        self.branches.set_rows(rows)
        self._done_one()

    def _on_at_risk(self, generation: int, rows: tuple[AtRiskStudent, ...]) -> None:
        if generation != self._generation:
            return
        self.at_risk = rows
        self.risk_model.set_rows(rows)
        self._fit_risk_columns(rows)
        self._on_rule_filter()
        urgent = sum(r.urgent for r in rows)
        # The headline is the list a person works through today; the rest are to watch.
        self.cards["at_risk"].set(f"{number(urgent)} urgent",
                                  f"{number(len(rows) - urgent)} more to watch")
        self._done_one()

    def _fit_risk_columns(self, rows: tuple[AtRiskStudent, ...]) -> None:
        """Widths that show whole enrollment numbers and names at any display scale.

        Only the longest text of each column is measured (a thousand rows measured one by one
        would cost the GUI thread a second); Why takes the rest, its tooltip the whole."""
        header = self.risk_table.horizontalHeader()
        metrics = self.risk_table.fontMetrics()
        em = metrics.horizontalAdvance("M")
        texts: tuple[tuple[int, list[str], int], ...] = (
            (0, ["Urgent", "Watch"], 8), (1, [r.name for r in rows], 16),
            (2, [r.enrollment_no for r in rows], 14), (3, [_flag_titles(r) for r in rows], 16))
        for column, values, most in texts:
            longest = max([RISK_COLUMNS[column].title, *values], key=len)
            # Headers are bold: a tenth wider than the cell font says.
            width = int(metrics.horizontalAdvance(longest) * 1.1) + em * 2
            header.resizeSection(column, min(width, em * most))

    def edit_thresholds(self) -> RiskThresholdsDialog:
        """Open the thresholds (admins); saving them reloads the list."""
        dialog = RiskThresholdsDialog(self._ctx, self)
        dialog.sig_saved.connect(lambda _t: self.refresh())
        dialog.open()
        return dialog

    def _on_rule_filter(self, *_args: Any) -> None:
        rule = self.rule_filter.currentData()
        urgent_only = bool(self.severity_filter.currentData())
        self.risk_model.set_filter(
            None if rule is None and not urgent_only else
            (lambda r: (not urgent_only or r.urgent)
             and (rule is None or any(f.rule == rule for f in r.flags))))
        shown, total = len(self.risk_model.rows), self.risk_model.total
        urgent = sum(r.urgent for r in self.at_risk)
        caption = f"Students at risk: {urgent} urgent, {total - urgent} to watch"
        self.risk_caption.setText(caption if shown == total
                                  else f"{caption} ({shown} shown)")
        # The most urgent student is selected, so their reasons show in full at once.
        if shown:
            self.risk_table.setCurrentIndex(self.risk_model.index(0, 0))
        else:
            self.risk_detail.setText("")

    # --- showing ----------------------------------------------------------------------------

    def _show_overview(self, data: DashboardData) -> None:
        cards = self.cards
        cards["active"].set(number(data.active_students),
                            "your students" if self.is_faculty else "status active")
        cards["sessions"].set(number(data.sessions_this_week),
                              f"week of {day_month(data.week.start)}")
        cards["attendance"].set(percent(data.attendance.rate),
                                f"{number(data.attendance.attended)} of "
                                f"{number(data.attendance.counted)} marks attended")
        velocity = data.velocity_per_student
        cards["velocity"].set("n/a" if velocity is None else number(velocity, 2),
                              f"{count(data.topics_completed, 'topic')} completed in the period")
        if "conversion" in cards and data.crm is not None:
            cards["conversion"].set(percent(data.crm.conversion),
                                    f"{number(data.crm.enrolled)} of "
                                    f"{count(data.crm.total, 'inquiry', 'inquiries')}")
        weeks = [f"{day_month(w.start)}" for w in data.attendance_trend]
        self.attendance_chart.show_line(weeks, [w.value for w in data.attendance_trend],
                                        fmt=percent, y_max=105,
                                        empty="No attendance was taken in this period.")
        self.velocity_chart.show_bars(weeks, [w.value for w in data.velocity_trend],
                                      empty="No topic was completed in this period.")
        util = sorted(data.utilization, key=lambda u: (u.utilization is None,
                                                       -(u.utilization or 0), u.name))
        values = [u.utilization for u in util]
        self.utilization_chart.show_bars(
            [u.name if u.utilization is not None else f"{u.name} (no availability)"
             for u in util], values, fmt=percent, horizontal=True,
            highlight=[v is not None and v > 100 for v in values],
            y_max=max([100.0] + [v for v in values if v is not None]) * 1.05,
            empty="No faculty member taught in this period.")
        self.utilization_chart.setMinimumHeight(max(220, 24 * len(util) + 90))
        if data.crm is not None:
            stages = data.crm.funnel
            self.funnel_chart.show_bars([s.stage.replace("_", " ") for s in stages],
                                        [float(s.reached) for s in stages], fmt=plain,
                                        empty="No inquiry in this period.")
