"""Every public page in Kyrgyz, Russian and English in a real browser (Playwright driving
Debian's Chromium): no console error, no WCAG 2.1 AA violation found by axe-core, and a
screenshot (JPEG) of each kept under test-artifacts/portal/. One browser for the session."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from digisom.api.runtime import Runtime
from digisom.devtools.browser import BrowserUnavailable, axe_source, chromium_binary
from digisom.portal.i18n import LANGUAGES
from digisom.portal.routes import PAGES

REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = REPO / "test-artifacts" / "portal"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
START_TIMEOUT_S = 10.0

sync_api = pytest.importorskip("playwright.sync_api")


# Module scope: Playwright's sync API keeps an event loop running in this thread while it
# is open, and later tests that call asyncio.run() in the same session would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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
    return axe_source(REPO / ".cache")


@pytest.fixture(scope="module")
def base_url(seeded: Runtime) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(seeded.app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(START_TIMEOUT_S)
    sock.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # axe is injected as a script tag: the portal's CSP (no scripts at all) is bypassed for it
    context = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 768})
    yield context.new_page()
    context.close()


def _scan(page: Any, axe: str, url: str, shot: str) -> tuple[list[str], list[dict[str, Any]]]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.screenshot(path=str(ARTEFACTS / f"{shot}.jpeg"), full_page=True, type="jpeg", quality=70)
    return errors, _violations(page, axe)


def _violations(page: Any, axe: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe)
    # resultTypes: details for violations only, which is all the test reads (much less work)
    return list(page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(result => result.violations)", WCAG_AA))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_is_accessible_and_error_free(page: Any, axe: str, base_url: str, lang: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for path in PAGES:
        name = (path.strip("/") or "home")
        errors, violations = _scan(page, axe, f"{base_url}{path}?lang={lang}", f"{name}-{lang}")
        assert errors == [], (path, lang, errors)
        assert violations == [], json.dumps([(v["id"], [n["target"] for n in v["nodes"]]) for v in violations])
        assert page.evaluate("document.documentElement.lang") == lang


def test_a_customer_checks_a_proof_in_the_browser(page: Any, axe: str, base_url: str, seeded: Runtime) -> None:
    page.goto(f"{base_url}/por?lang=ky")
    page.get_by_label("Сиздин далилиңиз").fill(json.dumps(seeded.app.state.por_proof))
    page.get_by_role("button", name="Далилди текшерүү").click()
    assert page.get_by_role("status").inner_text().startswith("Далил туура")
    page.screenshot(path=str(ARTEFACTS / "por-checked-ky.jpeg"), full_page=True, type="jpeg", quality=70)
    assert _violations(page, axe) == []


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_on_a_narrow_phone_screen(browser: Any, axe: str, base_url: str, lang: str) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 640})
    try:
        phone = context.new_page()
        for path in PAGES:
            errors, violations = _scan(phone, axe, f"{base_url}{path}?lang={lang}",
                                       f"{path.strip('/') or 'home'}-{lang}-320px")
            assert errors == [] and violations == [], (path, violations)
            # nothing wider than the screen: no sideways scrolling at 320 CSS pixels (WCAG 1.4.10)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 320, path
    finally:
        context.close()
