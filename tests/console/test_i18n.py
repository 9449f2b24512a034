"""The console in Kyrgyz, Russian and English from the portal's catalogs: the language
chosen like the portal's (`?lang=`, then Accept-Language, then Kyrgyz), kept across pages
in a cookie, no English left on a Kyrgyz or Russian page, error pages in the operator's
language. Uses the module's runtime only (no world: the screens render empty)."""

from __future__ import annotations

import pytest

from digisom.api.runtime import Runtime
from digisom.console.i18n import COOKIE_NAME
from digisom.kernel.access import Role
from tests.console.browser import Browser
from tests.portal.text import latin_words

SCREENS = {Role.CENTRAL_BANK_OPERATOR: ("/console", "/console/central-bank/participants",
                                        "/console/central-bank/issuance", "/console/central-bank/rtgs",
                                        "/console/wallets", "/console/central-bank/sessions"),
           Role.TREASURY_OPERATOR: ("/console", "/console/treasury"),
           Role.COMPLIANCE_OFFICER: ("/console", "/console/compliance/reviews")}


def _signed_in(runtime: Runtime, role: Role, lang: str) -> Browser:
    browser = Browser.open(runtime)
    assert browser.get("/console/sign-in", lang=lang).status_code == 200  # remembers the language
    browser.sign_in(runtime.issuer.issue(role, f"{role.value}-i18n", ttl_s=600))
    return browser


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_every_screen_is_in_the_chosen_language_with_no_english_left(runtime: Runtime, lang: str) -> None:
    for role, paths in SCREENS.items():
        browser = _signed_in(runtime, role, lang)
        for path in paths:
            page = browser.get(path)  # no ?lang=: the cookie keeps it
            assert page.status_code == 200, (path, page.text[:300])
            assert page.headers["content-language"] == lang, path
            assert f'<html lang="{lang}">' in page.text
            assert latin_words(page.text, lang) == set(), (role, path)
    sign_in = Browser.open(runtime).get("/console/sign-in", lang=lang).text
    assert latin_words(sign_in, lang) == set()
    english = Browser.open(runtime).get("/console/sign-in", lang="en").text
    assert {"Sign", "access", "token"} <= latin_words(english, "en")  # the check does see English


def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser(runtime: Runtime) -> None:
    browser = Browser.open(runtime)
    assert browser.client.get("/console/sign-in", headers={"Accept-Language": ""}).headers[
        "content-language"] == "ky"
    assert browser.client.get("/console/sign-in", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).headers[
        "content-language"] == "ru"
    chosen = browser.get("/console/sign-in", lang="en")
    cookie = chosen.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE_NAME}=en") and "httponly" in cookie and "path=/console" in cookie
    assert browser.client.get("/console/sign-in", headers={"Accept-Language": "ru"}).headers[
        "content-language"] == "en"


def test_the_language_links_keep_the_screens_query(runtime: Runtime) -> None:
    page = Browser.open(runtime).get("/console/sign-in", lang="en", next="/console/wallets").text
    assert 'href="/console/sign-in?next=%2Fconsole%2Fwallets&amp;lang=ru" lang="ru"' in page


def test_error_pages_are_in_the_operators_language(runtime: Runtime) -> None:
    browser = _signed_in(runtime, Role.TREASURY_OPERATOR, "ru")
    missing = browser.get("/console/no-such-screen")
    assert missing.status_code == 404 and "Страница не найдена" in missing.text
    refused = browser.get("/console/central-bank/participants")  # not the treasury's screen
    assert refused.status_code == 403 and "Вашей роли это не разрешено." in refused.text
    cross_site = browser.post("/console/treasury/programmes", {"id": "x"}, headers={"Origin": "https://evil.test"})
    assert cross_site.status_code == 403 and "Запрос с другого сайта отклонён" in cross_site.text
    unknown = Browser.open(runtime).client.get("/console/sign-in", params={"lang": "fr"},
                                               headers={"Accept-Language": "ru"})
    assert unknown.status_code == 400 and "Неизвестный язык" in unknown.text
    assert "set-cookie" not in unknown.headers


def test_a_domains_refusal_is_a_page_in_the_operators_language_with_its_reason_kept(runtime: Runtime) -> None:
    browser = _signed_in(runtime, Role.TREASURY_OPERATOR, "ru")
    unknown = browser.get("/console/treasury/programmes/nope")  # the disbursement domain's own "not found"
    assert unknown.status_code == 404
    assert "<h1>Не найдено</h1>" in unknown.text
    assert latin_words(unknown.text, "ru") == set()  # the domain's English words only as the technical reason
    assert '<code lang="en" translate="no">' in unknown.text and "nope" in unknown.text
