"""The console's USDKG forms under attack: each new form (mint, redemption, audit count,
signature, resolution) posted without this session's CSRF token, with another session's,
or from another site is a 403 page and does nothing; an oversized count is refused
unread; markup in an auditor's words is escaped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digisom.usdkg import signing
from digisom.usdkg.audits import resolution_body, signed_body
from tests.console.browser import Browser
from tests.console.usdkg_desk import AUDITS, HOLDER, MINTS, REDEMPTIONS, USDKG, browser, form_keys, minted, usdkg_desk
from tests.usdkg.api_world import REDEMPTION_ADDRESS, UsdkgApi
from tests.usdkg.world import bar_row, count_rows

ATTACKS = ("no-token", "wrong-token", "other-session-token", "cross-site", "no-origin")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UsdkgApi]:
    with usdkg_desk(tmp_path_factory.mktemp("security-usdkg")) as api:
        api.chains[1].balances[REDEMPTION_ADDRESS] = 1_000
        yield api


def _audits(desk: UsdkgApi) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = desk.world.ok(desk.world.get("auditor", "/v1/usdkg/audits"))["items"]
    return items


def _attack(browser_: Browser, other: Browser, attack: str, path: str, form: dict[str, str],
            files: Any = None) -> int:
    if attack == "no-token":
        return browser_.post(path, form, files=files, csrf=False).status_code
    if attack == "wrong-token":
        return browser_.post(path, {**form, "csrf_token": "x" * 43}, files=files, csrf=False).status_code
    if attack == "other-session-token":
        return browser_.post(path, {**form, "csrf_token": other.csrf_token}, files=files, csrf=False).status_code
    if attack == "cross-site":
        return browser_.post(path, form, files=files, headers={"Origin": "https://evil.example"}).status_code
    sent = {**form, "csrf_token": browser_.csrf_token}  # neither Origin nor Referer
    return browser_.client.post(path, data=sent, files=files).status_code


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_mint_or_redemption_does_nothing(desk: UsdkgApi, attack: str) -> None:
    issuer, other = browser(desk, "issuer_operator"), browser(desk, "issuer_operator")
    keys = form_keys(issuer.get(USDKG).text)
    before = minted(desk)
    mint = {"chain_id": "1", "to": HOLDER, "amount_units": "5", "form_key": keys["mints"]}
    redeem = {"chain_id": "1", "amount_units": "5", "form_key": keys["redemptions"]}
    assert _attack(issuer, other, attack, MINTS, mint) == 403
    assert _attack(issuer, other, attack, REDEMPTIONS, redeem) == 403
    assert minted(desk) == before
    assert issuer.get(f"{USDKG}/operations/{keys['mints']}").status_code == 404  # nothing recorded
    # The same forms, done right, work: the refusals above were the checks.
    assert issuer.post(MINTS, mint).status_code == 303 and issuer.post(REDEMPTIONS, redeem).status_code == 303
    assert minted(desk) == [*before, f"mint {HOLDER} 5", "burn 5"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_audit_count_signature_or_resolution_does_nothing(desk: UsdkgApi, attack: str) -> None:
    auditor, other = browser(desk, "auditor"), browser(desk, "auditor")
    day = (datetime.now(UTC) - timedelta(days=1 + ATTACKS.index(attack))).date()
    count = {"file": ("count.csv", count_rows([bar_row("KGX999")], "bishkek-1", day), "text/csv")}  # a finding
    form = {"audit_date": day.isoformat(), "auditor": "kreston_like"}
    assert _attack(auditor, other, attack, AUDITS, form, files=count) == 403
    assert all(a["audit_date"] != day.isoformat() for a in _audits(desk))
    filed = auditor.post(AUDITS, form, files=count)
    assert filed.status_code == 303
    path = filed.headers["location"]
    audit = next(a for a in _audits(desk) if a["audit_date"] == day.isoformat())
    key = desk.keys["kreston_like"]
    signature = signing.sign(key, signing.AUDIT_TAG, signed_body(audit["audit_date"], audit["report_sha256"])).hex()
    assert _attack(auditor, other, attack, path + "/signature", {"signature": signature}) == 403
    assert next(a for a in _audits(desk) if a["audit_id"] == audit["audit_id"])["signed"] is False
    assert auditor.post(path + "/signature", {"signature": signature}).status_code == 303
    words = "<script>alert(1)</script> found"
    signature = signing.sign(key, signing.RESOLUTION_TAG,
                             resolution_body(audit["audit_date"], audit["report_sha256"], words)).hex()
    resolution = {"resolution": words, "signature": signature}
    assert _attack(auditor, other, attack, path + "/resolution", resolution) == 403
    assert next(a for a in _audits(desk) if a["audit_id"] == audit["audit_id"])["resolved"] is False
    assert auditor.post(path + "/resolution", resolution).status_code == 303
    page = auditor.get(path).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; found" in page


def test_an_oversized_count_is_refused_unread(desk: UsdkgApi) -> None:
    auditor = browser(desk, "auditor")
    day = (datetime.now(UTC) - timedelta(days=30)).date()
    headers = {"Content-Length": str(50 * 1024 * 1024), "Content-Type": "multipart/form-data; boundary=x"}
    refused = auditor.client.post(AUDITS, content=b"--x--", headers={"Origin": auditor.origin, **headers})
    assert refused.status_code == 413 and "Traceback" not in refused.text
    small = {"file": ("count.csv", count_rows([bar_row("KG0001")], "bishkek-1", day), "text/csv")}
    too_many = {f"f{n}": "x" for n in range(30)}
    assert auditor.post(AUDITS, {"audit_date": day.isoformat(), "auditor": "kreston_like", **too_many},
                        files=small).status_code == 400
    two_files = [("file", ("a.csv", b"a", "text/csv")), ("file", ("b.csv", b"b", "text/csv"))]
    assert auditor.post(AUDITS, {"audit_date": day.isoformat(), "auditor": "kreston_like"},
                        files=two_files).status_code == 400
    assert all(a["audit_date"] != day.isoformat() for a in _audits(desk))
