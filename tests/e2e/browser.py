"""What the pages' browser tests share: Debian's chromium through playwright, screenshots kept per test, axe-core.

Screenshots go to `.jointaid-test/screenshots/<test>/` at the repository's root (printed by each test), so a
run leaves them to look at. axe-core runs from the copy inside the axe-playwright-python wheel (no download).
"""
from __future__ import annotations

import contextlib
import re
from pathlib import Path

from tests.e2e.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = ROOT / ".jointaid-test" / "screenshots"
PHONE = {"width": 390, "height": 844}
SERIOUS = ("serious", "critical")


@contextlib.contextmanager
def chromium():
    assert Path(CHROMIUM).exists(), "needs Debian's chromium: `make test` installs it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Shots:
    """Numbered full-page screenshots of one test, in its own folder."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0
        print(f"screenshots: {self.folder}")

    def take(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations of the page as it stands, one line each (rule: nodes)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in results.response["violations"] if v.get("impact") in SERIOUS]


def watch_errors(page) -> list[str]:
    """Collect the page's script errors and console errors (a broken page must fail its test). A refused API call
    (422, 403: what these tests provoke) is logged by chromium as "Failed to load resource": not an error here."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}")
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    return errors
