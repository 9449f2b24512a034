"""Console sessions: the cookie's flags and lifetime, sign-out, forged, tampered and
expired cookies, CSRF (the synchronizer token and the origin check), and an action a
role may not take: absent from its screens, and refused if posted anyway."""

from __future__ import annotations

import time

import jwt
import pytest

from digisom.console.session import COOKIE_NAME_HTTP, COOKIE_NAME_HTTPS
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.http.services import filled
from digisom.kernel.access import Role
from tests.api.test_disbursement import payees, pension_file
from tests.api.world import World
from tests.console.browser import Browser


def programme_ids(world: World) -> list[str]:
    return [p.id for p in filled(world.runtime.app, DISBURSEMENT).service.programmes(0, 100)]


def new_programme(world: World, programme_id: str) -> dict[str, str]:
    return {"id": programme_id, "name": "Child benefit", "source_wallet_id": world.wallets["treasury"],
            "budget_tyiyn": "500000"}


def test_sign_in_sets_a_sealed_httponly_strict_cookie_that_expires_with_the_token(world: World) -> None:
    browser = Browser.open(world.runtime)
    token = world.runtime.issuer.issue(Role.TREASURY_OPERATOR, "treasury-clerk", ttl_s=600)
    cookie = browser.sign_in(token).headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME_HTTP}=")
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/console" in flags
    assert "secure" not in flags  # plain HTTP here
    max_age = int(next(f for f in flags if f.startswith("max-age=")).split("=")[1])
    assert 590 <= max_age <= 600
    assert token not in cookie  # sealed, not merely signed
    assert browser.get("/console").status_code == 200


def test_over_tls_the_cookie_is_secure_and_host_prefixed(world: World) -> None:
    browser = Browser.open(world.runtime, base_url="https://console.test")
    cookie = browser.sign_in(world.tokens["treasury_operator"]).headers["set-cookie"]
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert cookie.startswith(f"{COOKIE_NAME_HTTPS}=")
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= set(flags)


def test_a_bad_token_is_refused_and_no_cookie_set(world: World) -> None:
    browser = Browser.open(world.runtime)
    refused = browser.post("/console/sign-in", {"token": world.tokens["treasury_operator"][:-4] + "AAAA"},
                           csrf=False)
    assert refused.status_code == 401
    assert "set-cookie" not in refused.headers
    assert "That token was not accepted" in refused.text


def test_sign_out_clears_the_cookie(world: World) -> None:
    browser = Browser.open(world.runtime)
    # Its own token: sign-out revokes the token too, and the world's is used by other tests.
    browser.sign_in(world.runtime.issuer.issue(Role.TREASURY_OPERATOR, "treasury-clerk-out", ttl_s=600))
    out = browser.post("/console/sign-out")
    assert out.status_code == 303
    assert out.headers["location"] == "/console/sign-in"
    assert 'max-age=0' in out.headers["set-cookie"].lower()
    assert browser.get("/console").headers["location"] == "/console/sign-in"


@pytest.mark.parametrize("cookie", ["forged", "tampered", "truncated"])
def test_a_forged_or_tampered_cookie_gets_the_sign_in_page_and_changes_nothing(world: World, cookie: str) -> None:
    browser = Browser.open(world.runtime)
    browser.sign_in(world.tokens["treasury_operator"])
    browser.get("/console/treasury")
    value = browser.client.cookies[COOKIE_NAME_HTTP]
    bad = {"forged": "A" * 200, "tampered": value[:40] + ("B" if value[40] != "B" else "C") + value[41:],
           "truncated": value[:-10]}[cookie]
    browser.client.cookies.clear()
    browser.client.cookies.set(COOKIE_NAME_HTTP, bad, path="/console")
    assert browser.get("/console/treasury").headers["location"] == "/console/sign-in"
    posted = browser.post("/console/treasury/programmes", new_programme(world, f"forged-{cookie}"))
    assert posted.status_code == 303
    assert posted.headers["location"] == "/console/sign-in"
    assert f"forged-{cookie}" not in programme_ids(world)


def test_an_expired_token_ends_the_session(world: World) -> None:
    browser = Browser.open(world.runtime)
    # The issuer counts `exp` from the current whole second: with a 1 s lifetime a token
    # issued late in a second had milliseconds left and the sign-in itself could fail.
    token = world.runtime.issuer.issue(Role.TREASURY_OPERATOR, "treasury-clerk", ttl_s=2)
    browser.sign_in(token)
    expires_at_s = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires_at_s - time.time()) + 0.2)
    assert browser.get("/console/treasury").headers["location"] == "/console/sign-in"


@pytest.mark.parametrize("attack", ["no-token", "wrong-token", "other-session-token", "cross-site", "no-origin"])
def test_a_cross_site_or_tokenless_post_is_refused_and_changes_nothing(world: World, attack: str) -> None:
    browser = Browser.open(world.runtime)
    browser.sign_in(world.tokens["treasury_operator"])
    browser.get("/console/treasury")
    other = Browser.open(world.runtime)
    other.sign_in(world.tokens["treasury_operator"])
    data = new_programme(world, f"csrf-{attack}")
    if attack == "no-token":
        response = browser.post("/console/treasury/programmes", data, csrf=False)
    elif attack == "wrong-token":
        response = browser.post("/console/treasury/programmes", {**data, "csrf_token": "x" * 43}, csrf=False)
    elif attack == "other-session-token":
        response = browser.post("/console/treasury/programmes", {**data, "csrf_token": other.csrf_token}, csrf=False)
    elif attack == "cross-site":
        response = browser.post("/console/treasury/programmes", data, headers={"Origin": "https://evil.example"})
    else:  # neither Origin nor Referer
        form = {**data, "csrf_token": browser.csrf_token}
        response = browser.client.post("/console/treasury/programmes", data=form)
    assert response.status_code == 403, response.text
    assert "Traceback" not in response.text
    assert f"csrf-{attack}" not in programme_ids(world)
    # The same form, done right, works: the refusals above were the checks, nothing else.
    assert browser.post("/console/treasury/programmes", data).status_code == 303
    assert f"csrf-{attack}" in programme_ids(world)


def test_a_referer_from_this_origin_passes_without_origin(world: World) -> None:
    browser = Browser.open(world.runtime)
    browser.sign_in(world.tokens["treasury_operator"])
    browser.get("/console/treasury")
    form = {**new_programme(world, "by-referer"), "csrf_token": browser.csrf_token}
    response = browser.client.post("/console/treasury/programmes", data=form,
                                   headers={"Referer": "http://testserver/console/treasury"})
    assert response.status_code == 303


def test_a_forbidden_action_is_absent_and_refused_if_forced(treasury: World) -> None:
    auditor = Browser.open(treasury.runtime)
    auditor.sign_in(treasury.tokens["auditor"])
    page = auditor.get("/console/treasury/programmes/pensions")
    assert page.status_code == 200  # an auditor reads programmes (disbursement.programmes.read)
    assert "Upload a payment file" not in page.text
    assert "/runs\"" not in page.text
    assert "New programme" not in auditor.get("/console/treasury").text
    forced = auditor.post("/console/treasury/programmes/pensions/runs",
                          {"period": "2026-11", "format": "csv", "upload_key": "forced"},
                          files={"file": ("p.csv", pension_file(payees()), "text/csv")})
    assert forced.status_code == 403
    assert "Your role may not do this." in forced.text
    assert "/console/treasury/runs/" not in auditor.get("/console/treasury/programmes/pensions").text
    created = auditor.post("/console/treasury/programmes", new_programme(treasury, "by-auditor"))
    assert created.status_code == 403
    assert "by-auditor" not in programme_ids(treasury)


def test_a_role_without_the_screen_is_refused_its_pages(world: World) -> None:
    bank = Browser.open(world.runtime)
    bank.sign_in(world.tokens["commercial_bank"])
    assert "/console/treasury" not in bank.get("/console").text
    refused = bank.get("/console/treasury")
    assert refused.status_code == 403
    assert "Your role may not do this." in refused.text
