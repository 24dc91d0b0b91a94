"""A browser for the dashboard's tests: Debian's Chromium driven by Playwright (never a
downloaded browser), and each page audited as a user would meet it: screenshots at desktop and
phone widths, axe-core's accessibility rules, no sideways scrolling on a phone, no CSP violation."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "tools" / "node_modules" / "axe-core" / "axe.min.js"
# One folder per read store: make test runs the suite on both at once.
ARTIFACTS = REPO / ".migrator" / "artifacts" / "dashboard" / os.environ.get("MIGRATOR_E2E_STORE", "embedded")
WIDTHS = (1280, 390)
HEIGHT = {1280: 900, 390: 844}
BLOCKING_IMPACTS = {"serious", "critical"}


@contextmanager
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; a missing browser fails the test (a skip would hide it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`", pytrace=False)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class PageAudit:
    """Audits each page the test visits; what it found stays here until ``assert_clean``."""

    page: Page
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    overflowing: list[str] = field(default_factory=list)
    csp_reports: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.axe_source = AXE.read_text()
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_reports.append(message.text)

    def __call__(self, name: str) -> None:
        """Screenshot ``name`` at each width, with axe run and the width checked there."""
        page = self.page
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT[width]})
            # Whatever is busy settles first, so the screenshot shows the page, not a spinner.
            page.locator(".loading[aria-busy='true']").first.wait_for(state="detached", timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
            found = self._axe()
            if found:
                self.violations[f"{name}-{width}"] = found
                print(f"axe, {name} at {width} px:", json.dumps(found, indent=2))
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                self.overflowing.append(f"{name}-{width}")
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT[WIDTHS[0]]})
        self.audited.append(name)

    def _axe(self) -> list[dict[str, Any]]:
        # Injected through the DevTools protocol, which the page's CSP does not govern.
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(self.axe_source)
        results = self.page.evaluate("async () => (await window.axe.run(document)).violations")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in results
            if v.get("impact") in BLOCKING_IMPACTS
        ]

    def assert_clean(self) -> None:
        """No serious or critical axe violation, no page wider than the phone, no CSP report."""
        assert not self.violations, "axe found serious or critical violations:\n" + json.dumps(
            self.violations, indent=2
        )
        assert not self.overflowing, f"pages that scroll sideways: {self.overflowing}"
        assert not self.csp_reports, f"the page broke its Content Security Policy: {self.csp_reports}"
