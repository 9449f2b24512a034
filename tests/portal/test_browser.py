"""Every public page in Kyrgyz, Russian and English in a real browser (Playwright driving
Debian's Chromium): no console error, no WCAG 2.1 AA violation found by axe-core, and a
screenshot (JPEG) of each kept under test-artifacts/portal/. The browser, axe-core and the
live server are tests/browser_support.py's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from digisom.api.runtime import Runtime
from digisom.portal.i18n import LANGUAGES
from digisom.portal.routes import PAGES
from tests.browser_support import console_errors, live_server, new_page, screenshot, summary, violations

ARTEFACTS = "portal"


@pytest.fixture(scope="module")
def base_url(seeded: Runtime) -> Iterator[str]:
    with live_server(seeded.app) as url:
        yield url


def _scan(page: Any, axe: str, url: str, shot: str) -> tuple[list[str], list[dict[str, Any]]]:
    errors = console_errors(page)
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    screenshot(page, ARTEFACTS, shot)
    return errors, violations(page, axe)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_is_accessible_and_error_free(page: Any, axe: str, base_url: str, lang: str) -> None:
    for path in PAGES:
        name = (path.strip("/") or "home")
        errors, found = _scan(page, axe, f"{base_url}{path}?lang={lang}", f"{name}-{lang}")
        assert errors == [], (path, lang, errors)
        assert found == [], json.dumps(summary(found))
        assert page.evaluate("document.documentElement.lang") == lang


def test_a_customer_checks_a_proof_in_the_browser(page: Any, axe: str, base_url: str, seeded: Runtime) -> None:
    page.goto(f"{base_url}/por?lang=ky")
    page.get_by_label("Сиздин далилиңиз").fill(json.dumps(seeded.app.state.por_proof))
    page.get_by_role("button", name="Далилди текшерүү").click()
    assert page.get_by_role("status").inner_text().startswith("Далил туура")
    screenshot(page, ARTEFACTS, "por-checked-ky")
    assert violations(page, axe) == []


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_on_a_narrow_phone_screen(browser: Any, axe: str, base_url: str, lang: str) -> None:
    context, phone = new_page(browser, {"width": 320, "height": 640})
    try:
        for path in PAGES:
            errors, found = _scan(phone, axe, f"{base_url}{path}?lang={lang}",
                                  f"{path.strip('/') or 'home'}-{lang}-320px")
            assert errors == [] and found == [], (path, summary(found))
            # nothing wider than the screen: no sideways scrolling at 320 CSS pixels (WCAG 1.4.10)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 320, path
    finally:
        context.close()
