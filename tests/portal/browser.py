"""A real Chromium for the portal's tests: Debian's `chromium`, driven by Playwright.

Playwright is pointed at the system's browser and never downloads one. Without a browser the
tests skip with one line saying what to install, unless REQUIRE_BROWSER=1 (set by .ci/run),
which turns that into a failure: CI must not pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
MISSING = ("no Chromium on PATH: install Debian's `chromium` package (apt-get install -y "
           "chromium) to run the portal's browser tests")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(MISSING + " (REQUIRE_BROWSER=1)")
        pytest.skip(MISSING)
    return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: PORTAL_SCREENSHOTS (to look at them) or a temporary folder."""
    chosen = os.environ.get("PORTAL_SCREENSHOTS")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("portal-screens")
