# Small conveniences; the README's commands remain the reference.
PYTHON ?= .venv/bin/python

.PHONY: package self-test-package screenshots

# One-folder desktop build in dist/InstituteDesk (PyInstaller, for this platform).
package:
	$(PYTHON) packaging/build.py

# Run the built app's self-test offscreen (what the slow test does after building).
self-test-package:
	QT_QPA_PLATFORM=offscreen dist/InstituteDesk/InstituteDesk --self-test

# Render the main screens to docs/screenshots/.
screenshots:
	QT_QPA_PLATFORM=offscreen $(PYTHON) -m desktop_app.screenshots --out docs/screenshots
