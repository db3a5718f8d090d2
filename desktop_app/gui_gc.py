"""Python's cycle collector, run only on the GUI thread.

Left automatic, the collector runs on whichever thread happens to allocate. When that is a
database or network worker and the garbage holds Qt objects (widgets and chart items live in
reference cycles through their slots), their C++ destructors run off the GUI thread and the
app crashes – seen as a segfault "Garbage-collecting" inside a background task. So automatic
collection is turned off and a GUI-thread timer collects instead, generation by generation
when the allocation counts pass the usual thresholds (as pyqtgraph's GarbageCollector does).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 1000

_collector: _Collector | None = None


class _Collector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start(INTERVAL_MS)

    def _on_tick(self) -> None:
        first, second, third = gc.get_count()
        if first > self._thresholds[0]:
            gc.collect(0)
            if second > self._thresholds[1]:
                gc.collect(1)
                if third > self._thresholds[2]:
                    gc.collect(2)


def collect_garbage_on_gui_thread() -> None:
    """Turn automatic collection off and collect from a GUI-thread timer (idempotent).

    Call it on the GUI thread once the QApplication exists.
    """
    global _collector
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication first")
    if _collector is None:
        _collector = _Collector(app)
    gc.disable()
