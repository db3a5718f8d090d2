"""A dashboard chart: a pyqtgraph plot of labelled values, their value on hover, saved as PNG.

Every chart here is categorical (weeks, faculty members, funnel stages): values sit at 0..n-1
and the axis shows the labels, so hovering maps the pointer to the nearest category and shows
its label and value in the chart's corner (and keeps it in `hover_text` for tests).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui_gc import collect_garbage_on_gui_thread
from desktop_app.widgets import styled_label
from institute_core import display

BAR = "#1f5f8b"
LINE = "#1f5f8b"
ALERT = "#c0392b"
AXIS = "#5b6875"
Formatter = Callable[[float | None], str]

pg.setConfigOptions(antialias=True, background="w", foreground=AXIS)

def plain(value: float | None) -> str:
    if value is None:
        return "n/a"
    return display.number(value, 0 if float(value).is_integer() else 2)


def percent(value: float | None) -> str:
    return display.percent(value, 2)


class NumberAxis(pg.AxisItem):
    """Value ticks in the institute's grouping (1,25,000), as every other figure on screen;
    category ticks (set with setTicks) keep their labels."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        places = 0 if spacing * scale >= 1 else min(3, math.ceil(-math.log10(spacing * scale)))
        return [display.number(v * scale, places) for v in values]


class ChartPanel(QFrame):
    """A titled chart with a "Save PNG…" button; vertical bars, horizontal bars or a line."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        collect_garbage_on_gui_thread()
        self.setObjectName("card")
        self.title = title
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.caption = QLabel(title)
        self.caption.setObjectName("counts")
        head.addWidget(self.caption, 1)
        self.hover = QLabel("")
        self.hover.setObjectName("subtitle")
        self.hover.setAccessibleName(f"{title}: value under the pointer")
        head.addWidget(self.hover)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip(f"Save the {title.lower()} chart as a PNG image")
        self.save_button.clicked.connect(self._ask_and_save)
        head.addWidget(self.save_button)
        layout.addLayout(head)
        self.plot = pg.PlotWidget(axisItems={side: NumberAxis(side) for side in ("left", "bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setMinimumHeight(170)
        # Hidden until the first data: empty axes drawn while the figures load cost the GUI
        # thread a tenth of a second and are never seen.
        self.plot.hide()
        layout.addWidget(self.plot, 1)
        self.empty = styled_label("Loading…", "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty)
        self.labels: list[str] = []
        self.values: list[float | None] = []
        self.horizontal = False
        self.hover_text = ""
        self._format: Formatter = plain
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # --- data -------------------------------------------------------------------------------

    def show_bars(self, labels: Sequence[str], values: Sequence[float | None], *,
                  fmt: Formatter = plain, horizontal: bool = False,
                  highlight: Sequence[bool] | None = None, y_max: float | None = None,
                  empty: str = "Nothing in this period.") -> None:
        """Bars at 0..n-1 (a missing value draws no bar); `highlight` bars in red."""
        self._reset(labels, values, fmt, horizontal)
        if self._show_empty(empty):
            return
        heights = [0.0 if v is None else float(v) for v in values]
        brushes = [pg.mkBrush(ALERT if highlight and highlight[i] else BAR)
                   for i in range(len(values))]
        positions = list(range(len(values)))
        if horizontal:
            bars = pg.BarGraphItem(x0=0, y=positions, height=0.6, width=heights, brushes=brushes,
                                   pen=pg.mkPen(None))
        else:
            bars = pg.BarGraphItem(x=positions, height=heights, width=0.6, brushes=brushes,
                                   pen=pg.mkPen(None))
        self.plot.addItem(bars)
        self._axes(y_max if y_max is not None else max([*heights, 1.0]) * 1.1)

    def show_line(self, labels: Sequence[str], values: Sequence[float | None], *,
                  fmt: Formatter = plain, y_max: float | None = None,
                  empty: str = "Nothing in this period.") -> None:
        """A line through the values; a missing value leaves a gap."""
        self._reset(labels, values, fmt, False)
        if self._show_empty(empty):
            return
        ys = [math.nan if v is None else float(v) for v in values]
        finite = [y for y in ys if not math.isnan(y)]
        if finite:
            self.plot.plot(list(range(len(ys))), ys, pen=pg.mkPen(LINE, width=2), symbol="o",
                           symbolSize=7, symbolBrush=LINE, symbolPen=None, connect="finite")
        self._axes(y_max if y_max is not None else max([*finite, 1.0]) * 1.1)

    def _reset(self, labels: Sequence[str], values: Sequence[float | None], fmt: Formatter,
               horizontal: bool) -> None:
        self.plot.clear()
        self.labels, self.values = list(labels), list(values)
        self._format, self.horizontal = fmt, horizontal
        self.hover_text = ""
        self.hover.setText("")

    def _show_empty(self, text: str) -> bool:
        """Say so when nothing happened; True when there is not even a category to draw."""
        nothing = not self.values or all(v is None or v == 0 for v in self.values)
        self.empty.setText(text)
        self.empty.setVisible(nothing)
        self.plot.setVisible(bool(self.values))
        return not self.values

    def _axes(self, top: float) -> None:
        n = len(self.labels)
        # Many categories (weeks of a long range): label every k-th so they never overlap.
        step = max(1, math.ceil(n / 12)) if not self.horizontal else 1
        ticks = [[(i, self.labels[i]) for i in range(0, n, step)]]
        category = self.plot.getAxis("left" if self.horizontal else "bottom")
        value = self.plot.getAxis("bottom" if self.horizontal else "left")
        category.setTicks(ticks)
        value.setTicks(None)
        if self.horizontal:
            self.plot.setXRange(0, top, padding=0)
            self.plot.setYRange(-0.6, n - 0.4, padding=0)
            self.plot.getViewBox().invertY(True)  # the first category on top
        else:
            self.plot.getViewBox().invertY(False)
            self.plot.setXRange(-0.6, n - 0.4, padding=0)
            self.plot.setYRange(0, top, padding=0)

    # --- hover --------------------------------------------------------------------------------

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        view = self.plot.getViewBox()
        if not self.values or not view.sceneBoundingRect().contains(scene_pos):
            return
        point = view.mapSceneToView(scene_pos)
        index = round(point.y() if self.horizontal else point.x())
        if 0 <= index < len(self.values):
            self.show_value(index)

    def show_value(self, index: int) -> None:
        """Show the label and value of one category in the chart's corner."""
        self.hover_text = f"{self.labels[index]}: {self._format(self.values[index])}"
        self.hover.setText(self.hover_text)

    def scene_pos_of(self, index: int) -> QPointF:
        """Where category `index` is drawn, in scene coordinates (for tests and tools)."""
        value = self.values[index] or 0.0
        view = self.plot.getViewBox()
        point = QPointF(value / 2, index) if self.horizontal else QPointF(index, value / 2)
        return view.mapViewToScene(point)

    # --- PNG ----------------------------------------------------------------------------------

    def save_png(self, path: Path) -> Path:
        """Save the chart (title and plot) as a PNG image."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        self.save_button.hide()  # the image is the chart, not the screen around it
        try:
            saved = self.grab().save(str(path), "PNG")
        finally:
            self.save_button.show()
        if not saved:
            raise OSError(f"could not write {path}")
        return path

    def _ask_and_save(self) -> None:
        name = self.title.split(" (")[0].lower().replace(" ", "_")  # the unit stays out
        chosen, _filter = QFileDialog.getSaveFileName(self, f"Save {self.title} as PNG",
                                                      f"{name}.png", "PNG images (*.png)")
        if chosen:
            try:
                saved = self.save_png(Path(chosen))
            except OSError as exc:
                self.hover.setText(str(exc))
            else:
                self.hover.setText(f"Saved {saved.name}")
