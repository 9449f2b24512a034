"""The USDKG issuer's screen: the coverage figure and the audits; the issuer publishes
today's coverage report, mints and redeems; the auditor imports a count, signs it and
resolves its findings with signatures made outside the console. Each form does what the
API's route does (the same service, the same operation id for the same key), is refused
to other roles, and leaves nothing behind when refused. Checked against the API's own
reads and the fake chains."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from digisom.api.runtime import Runtime
from digisom.usdkg import signing
from digisom.usdkg.audits import resolution_body
from tests.api.world import World
from tests.console.browser import Browser
from tests.console.usdkg_desk import (
    AUDITS,
    BAR_UNITS,
    HOLDER,
    MINTS,
    REDEMPTIONS,
    USDKG,
    browser,
    form_keys,
    minted,
    usdkg_desk,
)
from tests.usdkg.api_world import REDEMPTION_ADDRESS, UsdkgApi
from tests.usdkg.world import bar_row, count_rows

PUBLISH = f"{USDKG}/reports"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UsdkgApi]:
    with usdkg_desk(tmp_path_factory.mktemp("console-usdkg")) as api:
        yield api


@pytest.fixture(scope="module")
def people(desk: UsdkgApi) -> World:
    return desk.world


def published(world: World) -> int:
    day = datetime.now(UTC).date().isoformat()
    return world.get("issuer_operator", f"/v1/usdkg/coverage/reports/{day}").status_code


def test_the_auditor_reads_but_may_not_publish(people: World) -> None:
    auditor = Browser.signed_in(people.runtime, people.tokens["auditor"], USDKG)
    page = auditor.get(USDKG)
    assert page.status_code == 200 and "coverage_bps" in page.text and "Not published yet." in page.text
    assert "Publish today" not in page.text and PUBLISH not in page.text
    forced = auditor.post(PUBLISH)
    assert forced.status_code == 403 and "Your role may not do this." in forced.text
    assert published(people) == 404
    cb = Browser.signed_in(people.runtime, people.tokens["central_bank"])
    assert USDKG not in cb.get("/console").text
    assert cb.get(USDKG).status_code == 403 and cb.post(PUBLISH).status_code == 403
    assert published(people) == 404


def test_the_issuer_publishes_today_s_report(people: World) -> None:
    desk = Browser.signed_in(people.runtime, people.tokens["issuer_operator"], USDKG)
    assert USDKG in desk.get("/console").text
    page = desk.get(USDKG)
    assert "Publish today's coverage report" in page.text
    assert desk.post(PUBLISH, csrf=False).status_code == 403
    assert published(people) == 404
    assert desk.post(PUBLISH).status_code == 303
    day = datetime.now(UTC).date().isoformat()
    report = people.get("issuer_operator", f"/v1/usdkg/coverage/reports/{day}")
    assert report.status_code == 200
    page = desk.get(USDKG)
    assert report.headers["Report-SHA256"] in page.text and "Publish today" not in page.text


# --- mints and redemptions ------------------------------------------------------------

def test_the_issuer_mints_once_per_form_as_the_api_would(desk: UsdkgApi) -> None:
    issuer = browser(desk, "issuer_operator")
    key = form_keys(issuer.get(USDKG).text)["mints"]
    form = {"chain_id": "56", "to": HOLDER, "amount_units": "1000000", "form_key": key}
    done = issuer.post(MINTS, form)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{USDKG}/operations/{key}"
    assert desk.chains[56].balances[HOLDER] == 1_000_000
    page = issuer.get(done.headers["location"])
    assert page.status_code == 200 and 'id="operation-state">done<' in page.text and "1000000" in page.text
    # Sent again (a reload, a double click): answered from the record, not minted again.
    again = issuer.post(MINTS, form)
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    assert desk.chains[56].balances[HOLDER] == 1_000_000 and len(desk.chains[56].sent) == 1
    # The same operation the API answers for the same caller and key: one path, one record.
    body = {"chain_id": 56, "to": HOLDER, "amount_units": "1000000"}
    api = desk.world.ok(desk.world.post("issuer_operator", "/v1/usdkg/mints", body, key=key), 201)
    assert api["state"] == "done" and api["tx_id"] in page.text and len(desk.chains[56].sent) == 1
    # Another operator's (the auditor's) browser cannot read the issuer's operation.
    assert browser(desk, "auditor").get(done.headers["location"]).status_code == 403


def test_a_mint_beyond_coverage_is_refused_on_the_page_and_mints_nothing(desk: UsdkgApi) -> None:
    issuer = browser(desk, "issuer_operator")
    before = minted(desk)
    key = form_keys(issuer.get(USDKG).text)["mints"]
    refused = issuer.post(MINTS, {"chain_id": "1", "to": HOLDER, "amount_units": str(BAR_UNITS + 1),
                                  "form_key": key})
    assert refused.status_code == 409 and "coverage_floor" in refused.text and "Traceback" not in refused.text
    assert minted(desk) == before


@pytest.mark.parametrize("form", [
    {"amount_units": "-5"}, {"amount_units": "1.5"}, {"amount_units": "0"}, {"amount_units": "1e6"},
    {"amount_units": "9" * 31}, {"amount_units": "9" * 30}, {"to": "0x1234"}, {"to": "0x" + "ab" * 20 + "00"},
    {"chain_id": "999"}, {"chain_id": "x"}, {"form_key": ""}, {"form_key": "../../etc"},
    {"form_key": "f" * 200}, {"to": "x" * 9000},
], ids=lambda form: ",".join(f"{k}={v[:16]}" for k, v in form.items()))
def test_a_bad_mint_form_is_a_typed_refusal_and_mints_nothing(desk: UsdkgApi, form: dict[str, str]) -> None:
    issuer = browser(desk, "issuer_operator")
    before = minted(desk)
    key = form_keys(issuer.get(USDKG).text)["mints"]
    refused = issuer.post(MINTS, {"chain_id": "1", "to": HOLDER, "amount_units": "1", "form_key": key, **form})
    assert refused.status_code in (400, 422), (form, refused.status_code)
    assert '<p class="error" role="alert">' in refused.text and "Traceback" not in refused.text
    assert minted(desk) == before


def test_the_issuer_redeems_what_waits_once_per_form(desk: UsdkgApi) -> None:
    desk.chains[1].balances[REDEMPTION_ADDRESS] = 300  # holders sent this to be redeemed
    issuer = browser(desk, "issuer_operator")
    key = form_keys(issuer.get(USDKG).text)["redemptions"]
    too_much = issuer.post(REDEMPTIONS, {"chain_id": "1", "amount_units": "301", "form_key": key})
    assert too_much.status_code == 409 and "300 units wait at the redemption address" in too_much.text
    form = {"chain_id": "1", "amount_units": "200", "form_key": key}
    done = issuer.post(REDEMPTIONS, form)
    assert done.status_code == 303 and done.headers["location"] == f"{USDKG}/operations/{key}"
    assert issuer.post(REDEMPTIONS, form).status_code == 303
    assert desk.chains[1].balances[REDEMPTION_ADDRESS] == 100 and desk.chains[1].sent == ["burn 200"]
    page = issuer.get(done.headers["location"]).text
    assert "redemption" in page and REDEMPTION_ADDRESS in page
    for bad in ({"amount_units": "-1"}, {"amount_units": "abc"}, {"chain_id": "2"}):
        assert issuer.post(REDEMPTIONS, {**form, "form_key": "0" * 32, **bad}).status_code in (400, 422)
    assert desk.chains[1].sent == ["burn 200"]


def test_only_the_issuer_mints_or_redeems(desk: UsdkgApi) -> None:
    before = minted(desk)
    for who in ("auditor", "central_bank", "custodian"):
        other = Browser.signed_in(desk.world.runtime, desk.world.tokens[who])
        page = other.get(USDKG)
        assert MINTS not in page.text and REDEMPTIONS not in page.text
        form = {"chain_id": "1", "to": HOLDER, "amount_units": "1", "form_key": "1" * 32}
        for path in (MINTS, REDEMPTIONS):
            refused = other.post(path, form)
            assert refused.status_code == 403 and "Your role may not do this." in refused.text, (who, path)
        assert other.get(f"{USDKG}/operations/{'1' * 32}").status_code == 403
    assert minted(desk) == before


def test_no_chain_configured_is_said_instead_of_a_mint_form(runtime: Runtime) -> None:
    issuer = Browser.signed_in(runtime, World.create(runtime).tokens["issuer_operator"])
    page = issuer.get(USDKG).text
    assert 'id="no-chain"' in page and MINTS not in page


# --- audits ---------------------------------------------------------------------------

def _signature(desk: UsdkgApi, tag: str, body: dict[str, str], signer: str = "kreston_like") -> str:
    """What the auditor's own tool makes with its key (never the console)."""
    return signing.sign(desk.keys[signer], tag, body).hex()


def test_the_auditor_files_signs_and_resolves_an_audit(desk: UsdkgApi) -> None:
    auditor = browser(desk, "auditor")
    assert AUDITS in auditor.get(USDKG).text
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    empty_count = count_rows([], "bishkek-1", day)  # the bar in the vault was not counted
    form = {"audit_date": day.isoformat(), "auditor": "kreston_like"}
    filed = auditor.post(AUDITS, form, files={"file": ("count.csv", empty_count, "text/csv")})
    assert filed.status_code == 303, filed.text
    path = filed.headers["location"]
    page = auditor.get(path)
    assert 'id="audit-findings" class="num">1<' in page.text and "bar missing from the count" in page.text
    audit = desk.world.ok(desk.world.get("auditor", "/v1" + path.removeprefix("/console")))
    assert (audit["findings"], audit["signed"]) == (1, False)
    bank = Browser.signed_in(desk.world.runtime, desk.world.tokens["central_bank"])
    assert bank.get(path).status_code == 404  # unsigned: the issuer's and auditors' only, as over the API
    assert browser(desk, "issuer_operator").get(path).status_code == 200
    # Filed again (a reload): one audit per date, nothing new.
    again = auditor.post(AUDITS, form, files={"file": ("count.csv", empty_count, "text/csv")})
    assert again.status_code == 409 and len(desk.world.ok(desk.world.get("auditor", "/v1/usdkg/audits"))["items"]) == 1
    # The page shows exactly what is signed; another signer's signature is refused.
    body = {"audit_date": audit["audit_date"], "report_sha256": audit["report_sha256"]}
    assert signing.message(signing.AUDIT_TAG, body).decode().replace('"', "&#34;") in page.text
    wrong = auditor.post(path + "/signature", {"signature": _signature(desk, signing.AUDIT_TAG, body,
                                                                        "other_auditor")})
    assert wrong.status_code == 403 and "Traceback" not in wrong.text
    assert auditor.post(path + "/signature", {"signature": "AB" * 64}).status_code == 400
    assert desk.world.ok(desk.world.get("auditor", "/v1" + path.removeprefix("/console")))["signed"] is False
    signed = auditor.post(path + "/signature", {"signature": _signature(desk, signing.AUDIT_TAG, body)})
    assert signed.status_code == 303 and signed.headers["location"] == path
    assert desk.mint_check(1)["rule"] == "audit_unresolved"  # findings stop minting
    assert bank.get(path).status_code == 200  # published: anyone reads it
    resolution = "KG0001 found in the vault's second room; the count was corrected"
    signature = _signature(desk, signing.RESOLUTION_TAG,
                           resolution_body(audit["audit_date"], audit["report_sha256"], resolution))
    assert auditor.post(path + "/resolution", {"resolution": "x" * 2001, "signature": signature}).status_code == 400
    assert auditor.post(path + "/resolution", {"resolution": resolution + ".", "signature": signature}
                        ).status_code == 403  # signed over other words
    resolved = auditor.post(path + "/resolution", {"resolution": resolution, "signature": signature})
    assert resolved.status_code == 303
    audit = desk.world.ok(desk.world.get(None, "/v1" + path.removeprefix("/console")))
    assert (audit["signed"], audit["resolved"], audit["resolution"]) == (True, True, resolution)
    assert desk.mint_check(1)["allowed"] is True


@pytest.mark.parametrize("form", [
    {"audit_date": "2026-13-01"}, {"audit_date": "yesterday"}, {"audit_date": ""},
    {"auditor": "x" * 65}, {"auditor": "<script>"}, {"auditor": ""},
    {"audit_date": "2999-01-01"}, {"auditor": "vault_bank"},  # the future; not an auditor's key
], ids=lambda form: ",".join(f"{k}={v[:16]}" for k, v in form.items()))
def test_a_bad_count_form_is_a_typed_refusal_and_files_nothing(desk: UsdkgApi, form: dict[str, str]) -> None:
    auditor = browser(desk, "auditor")
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    count = count_rows([bar_row("KG0001")], "bishkek-1", day)
    refused = auditor.post(AUDITS, {"audit_date": day.isoformat(), "auditor": "kreston_like", **form},
                           files={"file": ("count.csv", count, "text/csv")})
    assert refused.status_code in (400, 403, 422), (form, refused.status_code)
    assert '<p class="error" role="alert">' in refused.text and "Traceback" not in refused.text
    assert all(a["audit_date"] != day.isoformat()
               for a in desk.world.ok(desk.world.get("auditor", "/v1/usdkg/audits"))["items"])


def test_a_count_with_a_bad_row_or_no_file_files_nothing(desk: UsdkgApi) -> None:
    auditor = browser(desk, "auditor")
    day = (datetime.now(UTC) - timedelta(days=3)).date()
    form = {"audit_date": day.isoformat(), "auditor": "kreston_like"}
    other_day = count_rows([bar_row("KG0001")], "bishkek-1", day - timedelta(days=1))
    refused = auditor.post(AUDITS, form, files={"file": ("count.csv", other_day, "text/csv")})
    assert refused.status_code == 422 and "row 2" in refused.text
    assert auditor.post(AUDITS, form).status_code == 400  # no file
    assert all(a["audit_date"] != day.isoformat()
               for a in desk.world.ok(desk.world.get("auditor", "/v1/usdkg/audits"))["items"])


def test_only_the_auditor_files_signs_or_resolves(desk: UsdkgApi) -> None:
    before = desk.world.ok(desk.world.get("auditor", "/v1/usdkg/audits"))["items"]
    day = (datetime.now(UTC) - timedelta(days=4)).date()
    count = count_rows([bar_row("KG0001")], "bishkek-1", day)
    for who in ("issuer_operator", "central_bank", "custodian"):
        other = Browser.signed_in(desk.world.runtime, desk.world.tokens[who])
        assert AUDITS + '"' not in other.get(USDKG).text
        refused = other.post(AUDITS, {"audit_date": day.isoformat(), "auditor": "kreston_like"},
                             files={"file": ("count.csv", count, "text/csv")})
        assert refused.status_code == 403, who
        for action in ("signature", "resolution"):
            forced = other.post(f"{AUDITS}/1/{action}", {"signature": "ab" * 64, "resolution": "r"})
            assert forced.status_code == 403 and "Your role may not do this." in forced.text, (who, action)
    assert desk.world.ok(desk.world.get("auditor", "/v1/usdkg/audits"))["items"] == before
