"""The dashboard section: the institute (or a faculty member's students) at a glance."""

from __future__ import annotations

import importlib
import threading

CHARTS = "desktop_app.dashboard.charts"


def preload() -> threading.Thread:
    """Import the charts (pyqtgraph: about a second, most of a first dashboard open) on a
    background thread, e.g. while the sign-in window waits for a password.

    Safe off the GUI thread: pyqtgraph creates no QObject when imported (the charts' garbage
    collector timer is made by the first chart, on the GUI thread). Importing the dashboard
    view later waits for this import instead of starting another.
    """
    thread = threading.Thread(target=importlib.import_module, args=(CHARTS,),
                              name="preload-charts", daemon=True)
    thread.start()
    return thread
