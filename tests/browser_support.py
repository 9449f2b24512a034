"""What the browser tests share (the portal's and the console's): Debian's Chromium driven
by Playwright, axe-core's WCAG 2.1 AA scan, a live server on a free port, a page that
records console errors and a screenshot helper.

Conftests re-export the fixtures (`from tests.browser_support import axe, browser, page`).
The browser is module-scoped: Playwright's sync API keeps an event loop running in this
thread while it is open, and later tests that call asyncio.run() in the same session
would fail.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import pytest
import uvicorn
from starlette.types import ASGIApp

from digisom.devtools.browser import BrowserUnavailable, axe_source, chromium_binary

REPO: Final = Path(__file__).resolve().parents[1]
ARTEFACTS: Final = REPO / "test-artifacts"
WCAG_AA: Final = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
STOP_TIMEOUT_S: Final = 10.0
VIEWPORT: Final = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, launched once per test module (skipped without it, but never in CI)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    try:
        executable = chromium_binary()
    except BrowserUnavailable as missing:
        if os.environ.get("CI") == "true":
            raise  # CI always runs the browser tests
        pytest.skip(str(missing))
    with sync_api.sync_playwright() as playwright:
        # root in CI: Chromium's sandbox needs user namespaces it may not have
        launched = playwright.chromium.launch(executable_path=str(executable), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe() -> str:
    """axe-core's browser script (pinned, cached under .cache/)."""
    return axe_source(REPO / ".cache")


def new_page(browser: Any, viewport: dict[str, int] = VIEWPORT) -> tuple[Any, Any]:
    """A fresh context (its own cookie jar) and its page. CSP is bypassed only so axe can
    be injected as a script tag; the pages themselves need no script."""
    context = browser.new_context(bypass_csp=True, viewport=viewport)
    return context, context.new_page()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context, closed after the test."""
    context, opened = new_page(browser)
    yield opened
    context.close()


def console_errors(page: Any) -> list[str]:
    """The list the page's console errors and uncaught exceptions are appended to from now on."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def violations(page: Any, axe: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it stands."""
    page.add_script_tag(content=axe)
    # resultTypes: details for violations only, which is all the tests read (much less work)
    return list(page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(result => result.violations)", WCAG_AA))


def summary(found: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """Violations as (rule, targets): short enough for an assertion message."""
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]


def screenshot(page: Any, folder: str, name: str) -> None:
    """A JPEG of the whole page under test-artifacts/<folder>/ (gitignored; CI keeps them)."""
    target = ARTEFACTS / folder
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.jpeg"), full_page=True, type="jpeg", quality=70)


@contextmanager
def live_server(app: ASGIApp) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free local port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    waiting = threading.Event()
    while not server.started and thread.is_alive():
        waiting.wait(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)
        sock.close()
