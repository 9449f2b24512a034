"""Every public page in Kyrgyz, Russian and English, on demo-like data: served with no
sign-in, fully translated, figures formatted per language, refusals as pages."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from digisom.api.runtime import Runtime
from digisom.http.services import provide
from digisom.portal import routes
from digisom.portal.i18n import LANGUAGES, choose, from_accept_language
from digisom.portal.render import PORTAL, Portal
from digisom.portal.routes import PAGES
from tests.portal.text import latin_words, readable_text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_is_served_to_anyone_in_each_language(client: TestClient, lang: str) -> None:
    for page in PAGES:
        response = client.get(page, params={"lang": lang})
        assert response.status_code == 200, (page, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-language"] == lang
        assert f'<html lang="{lang}">' in response.text
        assert "script" not in response.text.lower()  # no JavaScript needed, none sent
        assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_no_english_is_left_on_a_kyrgyz_or_russian_page(client: TestClient, lang: str) -> None:
    for page in PAGES:
        html = client.get(page, params={"lang": lang}).text
        assert latin_words(html, lang) == set(), page
    english = client.get("/spending", params={"lang": "en"}).text
    assert {"Public", "spending"} <= latin_words(english, "en")  # the check does see English


def test_the_pages_show_the_seeded_figures_formatted_per_language(client: TestClient) -> None:
    home = {lang: readable_text(client.get("/", params={"lang": lang}).text, lang) for lang in LANGUAGES}
    # 500,000 som reserve-credited is not issued; 200,000 + 300,000 at set-up, then 10,000, 10,001, 10,002.
    assert "530\u00a0003,00\u00a0сом" in home["ky"] or "530 003,00 сом" in home["ky"].replace("\u00a0", " ")
    assert "530,003.00\u00a0som" in home["en"]
    assert "Январь 2025" in home["ky"] or "январь 2025" in home["ru"].lower()
    spending = client.get("/spending", params={"lang": "en", "programme": "programme-1"}).text
    assert "Hidden: fewer than 5 people" in spending
    assert "programme-0" not in spending
    usdkg = client.get("/usdkg", params={"lang": "en", "page": "2"}).text
    assert "KG000050" in usdkg and "KG000049" not in usdkg
    register = client.get("/register", params={"lang": "ru"}).text
    assert "Лицензирован" in register


def test_the_language_comes_from_the_query_then_the_browser_then_kyrgyz(client: TestClient) -> None:
    assert client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}).headers["content-language"] == "ru"
    assert client.get("/", headers={"Accept-Language": "de, en;q=0.5"}).headers["content-language"] == "en"
    assert client.get("/", headers={"Accept-Language": "de"}).headers["content-language"] == "ky"
    assert client.get("/", params={"lang": "en"}, headers={"Accept-Language": "ru"}).headers[
        "content-language"] == "en"
    assert from_accept_language("en;q=0.2, ru;q=0.8") == "ru"
    assert from_accept_language("ru;q=0, en;q=0.1") == "en"
    assert choose(None, None) == "ky"


def test_the_language_links_keep_the_pages_query(client: TestClient) -> None:
    page = client.get("/records", params={"lang": "en", "page": "2"}).text
    assert 'href="/records?page=2&amp;lang=ru" lang="ru"' in page
    assert 'href="/records?page=2&amp;lang=ky" lang="ky"' in page


def test_an_unknown_language_is_a_400_page_in_the_browsers_language(client: TestClient) -> None:
    response = client.get("/kgst", params={"lang": "fr"}, headers={"Accept-Language": "ru"})
    assert response.status_code == 400
    assert response.headers["content-language"] == "ru"
    assert "В адресе есть ошибка" in response.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_page_past_the_end_is_a_404_page_in_the_users_language(client: TestClient, lang: str) -> None:
    for path in ("/spending", "/usdkg"):
        response = client.get(path, params={"lang": lang, "page": "999"})
        assert response.status_code == 404
        assert response.headers["content-language"] == lang
        assert "Traceback" not in response.text
    if lang != "en":
        assert latin_words(response.text, lang) == set()


def test_the_served_portal_reads_the_record_log(client: TestClient) -> None:
    response = client.get("/records", params={"lang": "en", "id": "42"})
    assert response.status_code == 404  # looked up in the wired log, not "not available"
    assert "not available" not in response.text


def test_a_domain_not_wired_shows_not_available(seeded: Runtime) -> None:
    bare = FastAPI()
    bare.state.verifier = seeded.app.state.verifier
    provide(bare, PORTAL, Portal.build())
    bare.include_router(routes.router())
    client = TestClient(bare)
    for page in PAGES:
        response = client.get(page, params={"lang": "en"})
        assert response.status_code == 200, page
        assert "not available" in response.text, page


def test_the_monthly_liability_walks_back_from_todays_total(client: TestClient) -> None:
    # set-up issues 500,000 som on 10 January, then 10,000, 10,001 and 10,002 a month apart
    text = " ".join(readable_text(client.get("/", params={"lang": "en"}).text, "en").split())  # \xa0 too
    assert "January 2025 510,000.00 som February 2025 520,001.00 som March 2025 530,003.00 som" in text
