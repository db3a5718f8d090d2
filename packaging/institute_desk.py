"""Entry point of the packaged desktop app (PyInstaller runs this as `__main__`)."""

import multiprocessing
import sys

from desktop_app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless here, required if a worker process is ever used
    sys.exit(main())
