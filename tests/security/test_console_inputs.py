"""Adversarial inputs to the operator console (/console): oversized and over-many form
fields, an oversized cookie, a bearer header instead of a session, markup in stored
text, bad ids and pages past the end. Each gets a plain page, never a trace, and
changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from digisom.api.runtime import Runtime, build
from digisom.console.app import FORM_BYTES_MAX, mount
from digisom.console.session import COOKIE_CHARS_MAX, COOKIE_NAME_HTTP
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.http.services import filled
from tests.api.world import World
from tests.console.browser import Browser


@pytest.fixture(scope="module")
def console_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built: Runtime = build(data_dir=tmp_path_factory.mktemp("console-security") / "data")
    mount(built.app, built.issuer.key)
    yield World.create(built).setup()
    built.close()


@pytest.fixture
def clerk(console_world: World) -> Browser:
    browser = Browser.open(console_world.runtime)
    browser.sign_in(console_world.tokens["treasury_operator"])
    browser.get("/console/treasury")
    return browser


def programme_ids(world: World) -> list[str]:
    return [p.id for p in filled(world.runtime.app, DISBURSEMENT).service.programmes(0, 100)]


def assert_plain_page(response_text: str) -> None:
    assert "<!doctype html>" in response_text
    assert "Traceback" not in response_text
    assert "File \"" not in response_text


def test_an_oversized_form_is_refused_unread(clerk: Browser, console_world: World) -> None:
    data = {"id": "too-big", "name": "x" * (FORM_BYTES_MAX + 1), "source_wallet_id": "w", "budget_tyiyn": "1"}
    refused = clerk.post("/console/treasury/programmes", data)
    assert refused.status_code == 413
    assert_plain_page(refused.text)
    assert "too-big" not in programme_ids(console_world)


def test_too_many_fields_or_a_long_field_is_a_400_page(clerk: Browser, console_world: World) -> None:
    many = {f"f{n}": "x" for n in range(50)} | {"id": "many-fields"}
    refused = clerk.post("/console/treasury/programmes", many)
    assert refused.status_code == 400
    assert_plain_page(refused.text)
    long_name = {"id": "long-name", "name": "x" * 9000, "source_wallet_id": console_world.wallets["treasury"],
                 "budget_tyiyn": "1"}
    assert clerk.post("/console/treasury/programmes", long_name).status_code == 400
    assert {"many-fields", "long-name"}.isdisjoint(programme_ids(console_world))


def test_a_file_where_a_field_is_expected_or_a_bad_budget_is_refused(clerk: Browser, console_world: World) -> None:
    wallet = console_world.wallets["treasury"]
    for data in ({"id": "neg", "name": "n", "source_wallet_id": wallet, "budget_tyiyn": "-5"},
                 {"id": "float", "name": "n", "source_wallet_id": wallet, "budget_tyiyn": "1.5"},
                 {"id": "Bad Id!", "name": "n", "source_wallet_id": wallet, "budget_tyiyn": "5"}):
        refused = clerk.post("/console/treasury/programmes", data)
        assert refused.status_code == 400, data
        assert_plain_page(refused.text)
    with_file = clerk.post("/console/treasury/programmes", {"id": "file-field", "source_wallet_id": wallet,
                                                            "budget_tyiyn": "5"},
                           files={"name": ("n.txt", b"name", "text/plain")})
    assert with_file.status_code == 400
    assert {"neg", "float", "file-field"}.isdisjoint(programme_ids(console_world))


def test_an_oversized_cookie_or_a_bearer_header_is_not_a_session(console_world: World) -> None:
    browser = Browser.open(console_world.runtime)
    browser.client.cookies.set(COOKIE_NAME_HTTP, "A" * (COOKIE_CHARS_MAX + 1), path="/console")
    assert browser.get("/console/treasury").headers["location"] == "/console/sign-in"
    bearer = {"Authorization": f"Bearer {console_world.tokens['treasury_operator']}"}
    fresh = Browser.open(console_world.runtime)
    assert fresh.client.get("/console/treasury", headers=bearer).headers["location"] == "/console/sign-in"
    posted = fresh.post("/console/treasury/programmes", {"id": "by-bearer"}, headers=bearer)
    assert posted.headers["location"] == "/console/sign-in"
    assert "by-bearer" not in programme_ids(console_world)


def test_an_oversized_token_at_sign_in_is_refused(console_world: World) -> None:
    browser = Browser.open(console_world.runtime)
    refused = browser.post("/console/sign-in", {"token": "e" * 5000}, csrf=False)
    assert refused.status_code == 401
    assert "set-cookie" not in refused.headers


def test_markup_in_stored_text_is_escaped(clerk: Browser, console_world: World) -> None:
    created = clerk.post("/console/treasury/programmes", {
        "id": "escaped", "name": "<script>alert(1)</script>", "source_wallet_id": console_world.wallets["treasury"],
        "budget_tyiyn": "100"})
    assert created.status_code == 303, created.text
    page = clerk.get("/console/treasury/programmes/escaped")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("path", "status"), [
    ("/console/treasury/programmes/no-such-programme", 404),
    ("/console/treasury/runs/run_" + "0" * 30, 404),
    ("/console/treasury/runs/not-a-run-id", 400),
    ("/console/treasury?page=999", 404),
    ("/console/treasury?page=0", 400),
    ("/console/treasury?page=abc", 400),
    ("/console/no-such-screen", 404),
])
def test_unknown_ids_and_pages_past_the_end_are_plain_pages(clerk: Browser, path: str, status: int) -> None:
    response = clerk.get(path)
    assert response.status_code == status
    assert_plain_page(response.text)


def test_the_api_gate_still_guards_the_api(console_world: World) -> None:
    # The console is in front of the API's middleware only for /console paths.
    assert console_world.client.post("/v1/disbursement/programmes", json={}).status_code == 401
    assert console_world.client.post("/consoleX", content=b"x").status_code == 401


@pytest.fixture
def central_bank(console_world: World) -> Browser:
    browser = Browser.open(console_world.runtime)
    browser.sign_in(console_world.tokens["central_bank"])
    browser.get("/console/central-bank/participants")
    return browser


@pytest.mark.parametrize(("path", "status"), [
    ("/console/central-bank/participants?after=999999999", 404),
    ("/console/central-bank/participants?after=-1", 400),
    ("/console/central-bank/participants?after=x", 400),
    ("/console/wallets/w" + "a" * 24, 404),
    ("/console/wallets/W" + "A" * 24, 400),
    ("/console/wallets?after=999999999", 404),
    ("/console/central-bank/rtgs?after=999999999", 404),
    ("/console/central-bank/rtgs?after=" + "9" * 40, 400),
])
def test_the_central_banks_unknown_ids_and_pages_are_plain_pages(central_bank: Browser, path: str,
                                                                  status: int) -> None:
    response = central_bank.get(path)
    assert response.status_code == status
    assert_plain_page(response.text)


def test_bad_amounts_and_banks_are_refused_and_change_nothing(central_bank: Browser, console_world: World) -> None:
    before = console_world.ok(console_world.get("central_bank", "/v1/issuance/summary"))
    page = central_bank.get("/console/central-bank/issuance").text
    key = page.split('name="form_key" value="')[2].split('"')[0]
    for form in ({"bank_code": "AYIL", "amount_tyiyn": "-5"}, {"bank_code": "AYIL", "amount_tyiyn": "1e9"},
                 {"bank_code": "AYIL", "amount_tyiyn": "9" * 40}, {"bank_code": "NOSUCH", "amount_tyiyn": "100"},
                 {"bank_code": "ayil<script>", "amount_tyiyn": "100"}, {"bank_code": "AYIL", "amount_tyiyn": "100",
                                                                        "form_key": "../../etc"}):
        refused = central_bank.post("/console/central-bank/issuance/issue", {"form_key": key, **form})
        assert refused.status_code in (400, 404, 422), form
        assert_plain_page(refused.text)
    assert console_world.ok(console_world.get("central_bank", "/v1/issuance/summary")) == before


def test_markup_in_a_participant_name_is_escaped(central_bank: Browser) -> None:
    created = central_bank.post("/console/central-bank/participants", {
        "id": "markup-bank", "kind": "ministry", "name": "<img src=x onerror=alert(1)>"})
    assert created.status_code == 303, created.text
    page = central_bank.get("/console/central-bank/participants")
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text


def test_a_freeze_with_control_characters_or_no_order_is_refused(central_bank: Browser,
                                                                  console_world: World) -> None:
    wallet_id = console_world.wallets["pensioner"]
    central_bank.get(f"/console/wallets/{wallet_id}")
    for form in ({"reason": "a\x00b", "legal_order_ref": "x"}, {"reason": "r"}, {"reason": "r", "legal_order_ref": ""}):
        refused = central_bank.post(f"/console/wallets/{wallet_id}/freeze", form)
        assert refused.status_code == 400, form
        assert_plain_page(refused.text)
    assert console_world.ok(console_world.get("central_bank", f"/v1/wallets/{wallet_id}"))["status"] == "active"
