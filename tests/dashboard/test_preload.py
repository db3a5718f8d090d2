"""Preloading the charts takes pyqtgraph's import off the first dashboard open."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
app = QApplication([])
import desktop_app.dashboard as dashboard
assert "pyqtgraph" not in sys.modules, "the dashboard package itself must stay light"
dashboard.preload().join(60)
assert "pyqtgraph" in sys.modules and dashboard.CHARTS in sys.modules
from desktop_app.dashboard.charts import ChartPanel
chart = ChartPanel("Attendance trend")
chart.show_bars(["a", "b"], [1.0, 2.0])
chart.show()
app.processEvents()
print(chart.plot.isVisible(), chart.values)
os._exit(0)
"""


def test_preload_imports_the_charts_on_a_thread_and_they_draw_on_the_gui_thread() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True [1.0, 2.0]"
    assert "different thread" not in done.stderr
