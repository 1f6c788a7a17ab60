"""Pages in a real browser: Debian's Chromium driven by Playwright's Python client.

``browser`` (module-scoped) and ``bounded`` are fixtures; :class:`Watch` keeps a page's
console errors, failed requests, script dialogs and requests outside the site.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: the browser: Debian's Chromium, or another Chromium-based browser named by ZONEDATA_CHROMIUM
#: (GitHub's Ubuntu runners have /usr/bin/google-chrome but no usable apt Chromium)
CHROMIUM = Path(os.environ.get("ZONEDATA_CHROMIUM") or "/usr/bin/chromium")
#: bound on each browser test, in seconds (Playwright's own timeouts are shorter)
BROWSER_TEST_SECONDS = 180


def _browser_missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright client is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], timeout=30_000)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def bounded() -> Iterator[None]:
    """Fail a browser test that runs longer than BROWSER_TEST_SECONDS."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"browser test ran longer than {BROWSER_TEST_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(BROWSER_TEST_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class Watch:
    """A page whose console errors, failed requests and requests outside the site are kept."""

    def __init__(self, browser: Any, site: Path) -> None:
        self.root = site.resolve().as_uri() + "/"
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on(
            "requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}")
        )
        self.page.on("request", self._request)
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"a script ran: {dialog.type} {dialog.message}")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _request(self, request: Any) -> None:
        if not request.url.startswith(self.root):
            self.problems.append(f"request outside the site: {request.url}")

    def goto(self, rel: str) -> None:
        self.page.goto(self.root + rel, wait_until="load")

    def close(self) -> None:
        self.context.close()
