"""A real headless Chromium for tests of the HTML views: Debian's `chromium`, driven by playwright.

Playwright's own browser downloads are not used (there is no network for
them); the system browser is. Off CI a machine without it skips these tests;
on CI (where `.ci/run` installs it) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser():
    """One browser per test module: playwright's sync API keeps an event loop running while it is open,
    and later modules (the service tests) need asyncio.run()."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and uncaught exceptions in `page.errors`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    opened = context.new_page()
    opened.errors = []
    opened.on("console", lambda message: message.type == "error" and opened.errors.append(message.text))
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


def keep_screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (kept by CI as an artifact) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
