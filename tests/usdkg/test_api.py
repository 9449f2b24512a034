"""/v1/usdkg through the HTTP API: who may do what, bad input refused whole with the row
or rule named, coverage gating mints and withdrawals, audits published with their digest,
replays, and the per-address lookup over two chains."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from pathlib import Path

from httpx import Response
from sqlalchemy import delete

from digisom.api.runtime import build
from digisom.chain.errors import ChainUnavailable as NodeGone
from digisom.http import tables as http_tables
from digisom.http.services import filled
from digisom.kernel.access import Role
from digisom.usdkg import units
from digisom.usdkg.errors import CoverageRefused
from digisom.usdkg.http.slots import USDKG
from tests.api.world import World as ApiWorld
from tests.usdkg.api_world import REDEMPTION_ADDRESS, UsdkgApi, problem
from tests.usdkg.world import bar_row, count_rows, csv_bytes

PRICE = 265_000  # US cents per troy oz
BAR_FINE_MOZ = units.fine_weight_moz(400_125, 9999)  # what `bar_row` makes by default
BAR_UNITS = units.value_units(BAR_FINE_MOZ, PRICE)
HOLDER_A = "0x" + "aa" * 20
HOLDER_B = "0x" + "Bb" * 20


def _ready(api: UsdkgApi, serials: tuple[str, ...] = ("KG0001",)) -> None:
    """Bars in the vault and a fresh price."""
    api.world.ok(api.import_bars(csv_bytes([bar_row(s) for s in serials])), 201)
    api.world.ok(api.upload_price(PRICE, api.now - timedelta(hours=1)), 201)


def _bars(api: UsdkgApi) -> list[dict[str, object]]:
    items: list[dict[str, object]] = api.world.ok(api.world.get("issuer_operator", "/v1/usdkg/bars"))["items"]
    return items


# --- who may do what ------------------------------------------------------------------

def test_each_role_does_only_its_own_part(api: UsdkgApi) -> None:
    data = csv_bytes([bar_row("KG0001")])
    problem(api.import_bars(data, who="issuer_operator"), 403, "forbidden")
    problem(api.import_bars(data, who="auditor"), 403, "forbidden")
    problem(api.upload_price(PRICE, api.now, who="custodian"), 403, "forbidden")
    problem(api.world.get("custodian", "/v1/usdkg/coverage/mint-check", amount_units="1"), 403, "forbidden")
    problem(api.world.get("custodian", f"/v1/usdkg/coverage/reports/{api.now.date()}"), 403, "forbidden")
    problem(api.world.get(None, "/v1/usdkg/bars"), 401, "unauthorized")
    problem(api.world.get("pensioner", "/v1/usdkg/bars"), 403, "forbidden")
    assert _bars(api) == []  # nothing the refused callers sent was imported
    _ready(api)
    # Anyone reads the public figure, the published bar list, prices and keys.
    assert api.world.ok(api.world.get(None, "/v1/usdkg/coverage"))["fine_moz"] == str(BAR_FINE_MOZ)
    published = api.world.get(None, "/v1/usdkg/weight-list")
    assert published.status_code == 200 and published.headers["content-type"].startswith("text/csv")
    assert "KG0001" in published.text
    assert api.world.ok(api.world.get(None, "/v1/usdkg/prices"))["items"][0]["price_cents_per_oz"] == str(PRICE)
    assert len(api.world.ok(api.world.get(None, "/v1/usdkg/signers"))["items"]) == 5


def test_an_unsigned_audit_is_seen_only_by_the_issuer_and_the_auditor(api: UsdkgApi) -> None:
    _ready(api)
    day = api.now.date() - timedelta(days=1)
    audit = api.world.ok(api.import_count(count_rows([bar_row("KG0001")], "bishkek-1", day), day), 201)
    path = f"/v1/usdkg/audits/{audit['audit_id']}"
    for who in (None, "custodian", "pensioner"):
        problem(api.world.get(who, path), 404, "usdkg-unknown-audit")
        problem(api.world.get(who, path + "/page"), 404, "usdkg-unknown-audit")
        assert api.world.ok(api.world.get(who, "/v1/usdkg/audits"))["items"] == []
    for who in ("auditor", "issuer_operator"):
        assert api.world.ok(api.world.get(who, path))["signed"] is False
    api.world.ok(api.sign_audit(audit))
    published = api.world.get(None, path + "/report")
    assert published.status_code == 200
    assert hashlib.sha256(published.content).hexdigest() == audit["report_sha256"]
    assert published.headers["report-sha256"] == audit["report_sha256"]
    page = api.world.get(None, path + "/page")
    assert page.status_code == 200 and audit["report_sha256"] in page.text


# --- bad input: refused whole, the row or rule named -------------------------------------

def test_a_bad_row_refuses_the_whole_file_naming_the_row(api: UsdkgApi) -> None:
    data = csv_bytes([bar_row("KG0001"), bar_row("KG0002", fineness_tenths=9940), bar_row("KG0003")])
    body = problem(api.import_bars(data), 422, "usdkg-rows-refused")
    assert body["rows"] == [{"row": 3, "serial": "KG0002", "rule": "fineness_out_of_range",
                             "detail": "the assay must be 995.0 to 1000.0"}]
    assert body["detail"].startswith("row 3: fineness_out_of_range")
    assert _bars(api) == []
    assert api.world.get(None, "/v1/usdkg/weight-list").text.count("\n") == 1  # the header only


def test_a_signature_by_the_wrong_custodian_is_refused_and_nothing_moves(api: UsdkgApi) -> None:
    data = csv_bytes([bar_row("KG0001")])
    problem(api.import_bars(data, custodian="vault_bank", signer="other_bank"), 403, "usdkg-bad-signature")
    problem(api.import_bars(data, custodian="kreston_like", signer="kreston_like"), 403, "usdkg-unknown-signer")
    assert _bars(api) == []
    _ready(api)
    problem(api.move("dispatch", ["KG0001"], custodian="other_bank"), 409, "usdkg-bar-state")
    assert _bars(api)[0]["status"] == "in_vault"


def test_a_stale_price_stops_minting_until_a_fresh_one_comes(api: UsdkgApi) -> None:
    api.world.ok(api.import_bars(csv_bytes([bar_row("KG0001")])), 201)
    api.world.ok(api.upload_price(PRICE, api.now - timedelta(days=4)), 201)  # kept in the history
    refused = api.mint_check(1)
    assert (refused["allowed"], refused["rule"]) == (False, "stale_price")
    problem(api.upload_price(PRICE, api.now + timedelta(hours=1)), 422, "usdkg-invalid-price")
    problem(api.upload_price(PRICE, api.now, signer="vault_bank"), 403, "usdkg-bad-signature")
    api.world.ok(api.upload_price(PRICE, api.now - timedelta(minutes=5)), 201)
    assert api.mint_check(1)["allowed"] is True


def test_a_mint_beyond_coverage_is_refused_naming_the_floor(api: UsdkgApi) -> None:
    _ready(api)
    api.chains[1].balances = {HOLDER_A: 1_000_000_000_000}
    api.chains[56].balances = {HOLDER_B: 60_000_000_000}
    room = BAR_UNITS - 1_060_000_000_000
    assert room > 0
    allowed = api.mint_check(room)
    assert allowed["allowed"] is True and allowed["figure"]["supply_units_by_chain"] == {
        "1": "1000000000000", "56": "60000000000"}
    refused = api.mint_check(room + 1)
    assert (refused["allowed"], refused["rule"]) == (False, "coverage_floor")


def test_a_withdrawal_that_would_uncover_the_supply_is_refused(api: UsdkgApi) -> None:
    _ready(api, ("KG0001", "KG0002"))
    api.chains[1].balances = {HOLDER_A: BAR_UNITS + 1}  # needs more than one bar
    body = problem(api.move("withdraw", ["KG0002"]), 409, "usdkg-coverage-refused")
    assert body["rule"] == "coverage_floor"
    assert [b["status"] for b in _bars(api)] == ["in_vault", "in_vault"]
    api.chains[1].balances = {HOLDER_A: BAR_UNITS}
    api.world.ok(api.move("withdraw", ["KG0002"]), 201)
    assert api.world.ok(api.world.get("auditor", "/v1/usdkg/bars/KG0002"))["status"] == "withdrawn"


def test_an_audit_file_for_another_date_is_refused_naming_the_row(api: UsdkgApi) -> None:
    _ready(api)
    day = api.now.date() - timedelta(days=1)
    data = count_rows([bar_row("KG0001")], "bishkek-1", day - timedelta(days=1))
    body = problem(api.import_count(data, day), 422, "usdkg-audit-date-mismatch")
    assert body["row"] == 2 and "row 2" in body["detail"]
    assert api.world.ok(api.world.get("auditor", "/v1/usdkg/audits"))["items"] == []


def test_an_audit_finding_stops_minting_until_the_auditor_resolves_it(api: UsdkgApi) -> None:
    _ready(api, ("KG0001", "KG0002"))
    day = api.now.date() - timedelta(days=1)
    audit = api.world.ok(api.import_count(count_rows([bar_row("KG0001")], "bishkek-1", day), day), 201)
    assert audit["findings"] == 1 and audit["report"]["findings"][0]["kind"] == "missing_bar"
    problem(api.sign_audit(audit, signer="other_auditor"), 403, "usdkg-bad-signature")
    signed = api.world.ok(api.sign_audit(audit))
    assert signed["signed"] is True
    assert api.mint_check(1)["rule"] == "audit_unresolved"
    figure = api.world.ok(api.world.get(None, "/v1/usdkg/coverage"))
    assert figure["audits_unresolved"] == [day.isoformat()] and figure["last_audit"] == day.isoformat()
    api.world.ok(api.resolve_audit(audit, "KG0002 found in the cage; counted again"))
    assert api.mint_check(1)["allowed"] is True


# --- replays ---------------------------------------------------------------------------

def test_replays_are_idempotent_and_a_reused_key_is_refused(api: UsdkgApi) -> None:
    data = csv_bytes([bar_row("KG0001")])
    first = api.import_bars(data, key="arrival-1")
    again = api.import_bars(data, key="arrival-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(_bars(api)) == 1
    problem(api.import_bars(csv_bytes([bar_row("KG0002")]), key="arrival-1"), 422, "idempotency-key-reused")
    moved = api.world.post("custodian", "/v1/usdkg/movements", _dispatch(api), key="move-1")
    replayed = api.world.post("custodian", "/v1/usdkg/movements", _dispatch(api), key="move-1")
    assert moved.status_code == replayed.status_code == 201 and replayed.json() == moved.json()
    assert replayed.headers["idempotent-replayed"] == "true"


def _dispatch(api: UsdkgApi) -> dict[str, object]:
    """A signed dispatch of KG0001 (the same body each call: `at` is fixed by the driver)."""
    from digisom.usdkg import signing  # noqa: PLC0415
    from digisom.usdkg.model import MovementKind  # noqa: PLC0415
    from digisom.usdkg.register import movement_body  # noqa: PLC0415

    at = api.now - timedelta(hours=1)
    signature = signing.sign(api.keys["vault_bank"], signing.MOVEMENT_TAG,
                             movement_body(MovementKind.DISPATCH, "vault_bank", "osh-2", at, ["KG0001"]))
    return {"kind": "dispatch", "serials": ["KG0001"], "vault": "osh-2", "custodian": "vault_bank",
            "at": at.isoformat(), "signature": signature.hex()}


# --- uploads and their limits ------------------------------------------------------------

def test_a_weight_list_over_the_apps_body_limit_is_taken_and_a_large_price_file_is_not(api: UsdkgApi) -> None:
    data = csv_bytes([bar_row(f"KG{n:05d}") for n in range(400)])
    assert len(data) > 16 * 1024  # the app's limit for every other route
    assert api.world.ok(api.import_bars(data), 201)["bars"] == 400
    problem(api.post_file("issuer_operator", "/v1/usdkg/prices", b" " * (17 * 1024), "application/json"),
            413, "payload-too-large")
    problem(api.post_file("custodian", "/v1/usdkg/bars/imports", data, "application/json", vault="v",
                          custodian="vault_bank", at=api.now.isoformat(), signature="00" * 64),
            415, "unsupported-media-type")


# --- coverage figures and the lookup ------------------------------------------------------

def test_the_public_figure_names_the_chains_it_read(api: UsdkgApi, tmp_path: Path) -> None:
    api.chains[56].balances = {HOLDER_B: 5}
    figure = api.world.ok(api.world.get(None, "/v1/usdkg/coverage"))
    assert (figure["chains"], figure["supply_units"]) == (["1", "56"], "5")
    lonely = build(data_dir=tmp_path / "alone")  # no chain configured: supply 0, and it says so
    try:
        alone = ApiWorld.create(lonely).ok(ApiWorld.create(lonely).get(None, "/v1/usdkg/coverage"))
        nobody = ApiWorld.create(lonely).get(None, f"/v1/usdkg/lookup/{HOLDER_A}")
    finally:
        lonely.close()
    assert (alone["chains"], alone["supply_units"]) == ([], "0")
    problem(nobody, 409, "usdkg-holders-not-indexed")  # no holder index: refused, never guessed


def test_a_daily_report_is_kept_once_and_read_as_json_or_csv(api: UsdkgApi) -> None:
    _ready(api)
    published = api.world.post("issuer_operator", "/v1/usdkg/coverage/reports")
    assert published.status_code == 201
    path = published.headers["location"]
    kept = api.world.get("auditor", path)
    assert kept.content == published.content
    assert kept.headers["report-sha256"] == hashlib.sha256(kept.content).hexdigest()
    as_csv = api.world.client.get(path, headers={**api.world.headers("auditor"), "Accept": "text/csv"})
    assert as_csv.text.startswith("field,value\n") and "supply_units_chain_1," in as_csv.text
    problem(api.world.get("auditor", "/v1/usdkg/coverage/reports/2020-01-01"), 404, "usdkg-unknown-report")


def test_the_lookup_shows_which_bars_back_an_address(api: UsdkgApi) -> None:
    before = api.world.ok(api.world.get(None, f"/v1/usdkg/lookup/{HOLDER_A}"))
    assert (before["price_cents_per_oz"], before["bars"]) == (None, [])
    _ready(api, ("KG0001", "KG0002"))
    api.chains[1].balances = {HOLDER_A: 600_000_000_000, HOLDER_B.lower(): 500_000_000_000}
    api.chains[56].balances = {HOLDER_A: 100_000_000_000}
    a = api.world.ok(api.world.get(None, f"/v1/usdkg/lookup/{HOLDER_A}"))
    assert a["balance_units"] == "700000000000"
    assert a["bars"] == [{"serial": "KG0001", "units": "700000000000"}]
    b = api.world.ok(api.world.get(None, f"/v1/usdkg/lookup/{HOLDER_B}"))  # checksum case: the same holder
    left_in_first = BAR_UNITS - 700_000_000_000
    assert b["bars"] == [{"serial": "KG0001", "units": str(left_in_first)},
                         {"serial": "KG0002", "units": str(500_000_000_000 - left_in_first)}]
    assert b["unbacked_units"] == "0"
    nobody = api.world.ok(api.world.get(None, "/v1/usdkg/lookup/" + "0x" + "00" * 20))
    assert (nobody["balance_units"], nobody["bars"]) == ("0", [])
    problem(api.world.get(None, "/v1/usdkg/lookup/not-an-address"), 422, "invalid-request")


# --- minting and redemption ----------------------------------------------------------------

def _mint(api: UsdkgApi, amount_units: int, chain_id: int = 1, key: str | None = None,
          who: str = "issuer_operator") -> Response:
    return api.world.post(who, "/v1/usdkg/mints", {"chain_id": chain_id, "to": HOLDER_A,
                                                    "amount_units": str(amount_units)}, key)


def test_a_mint_within_coverage_is_minted_once_and_one_beyond_is_not(api: UsdkgApi) -> None:
    _ready(api)
    problem(_mint(api, 1, who="custodian"), 403, "forbidden")
    problem(_mint(api, 1, who="auditor"), 403, "forbidden")
    minted = _mint(api, BAR_UNITS - 5, key="mint-1")
    assert minted.status_code == 201, minted.text
    assert minted.json()["state"] == "done" and minted.json()["tx_id"] == f"0x{1:064x}"
    replayed = _mint(api, BAR_UNITS - 5, key="mint-1")
    assert replayed.json() == minted.json() and replayed.headers["idempotent-replayed"] == "true"
    assert api.chains[1].balances == {HOLDER_A: BAR_UNITS - 5}  # minted once
    body = problem(_mint(api, 6, chain_id=56), 409, "usdkg-coverage-refused")
    assert body["rule"] == "coverage_floor"
    assert api.chains[56].balances == {}
    assert _mint(api, 5, chain_id=56).status_code == 201  # exactly to the floor
    problem(_mint(api, 1, chain_id=137), 422, "usdkg-unknown-chain")  # a body naming no configured chain


def test_a_mint_is_refused_on_a_stale_price_and_on_an_open_audit(api: UsdkgApi) -> None:
    api.world.ok(api.import_bars(csv_bytes([bar_row("KG0001"), bar_row("KG0002")])), 201)
    api.world.ok(api.upload_price(PRICE, api.now - timedelta(days=4)), 201)
    assert problem(_mint(api, 1), 409, "usdkg-coverage-refused")["rule"] == "stale_price"
    api.world.ok(api.upload_price(PRICE, api.now - timedelta(minutes=1)), 201)
    day = api.now.date() - timedelta(days=1)
    audit = api.world.ok(api.import_count(count_rows([bar_row("KG0001")], "bishkek-1", day), day), 201)
    api.world.ok(api.sign_audit(audit))
    assert problem(_mint(api, 1), 409, "usdkg-coverage-refused")["rule"] == "audit_unresolved"
    assert api.chains[1].sent == []


def test_two_mints_that_fit_only_one_at_a_time_never_both_pass(api: UsdkgApi) -> None:
    _ready(api)
    api.chains[1].mint_s = 0.2  # a wide window between the check and the confirmed mint
    minting = filled(api.world.runtime.app, USDKG).minting
    outcomes: list[str] = []

    def one() -> None:
        try:
            minting.mint(1, HOLDER_A, BAR_UNITS // 2 + 1, f"race-{threading.get_ident()}")
            outcomes.append("minted")
        except CoverageRefused as refused:
            outcomes.append(refused.rule)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["coverage_floor", "minted"]
    assert api.chains[1].total_supply() == BAR_UNITS // 2 + 1


def test_a_mint_whose_answer_was_lost_is_answered_from_the_record(api: UsdkgApi) -> None:
    """The mint was confirmed and recorded, but the process stopped before the idempotency
    store kept its answer: the retry must be answered from the issuer's record."""
    _ready(api)
    first = api.world.ok(_mint(api, 100, key="lost-answer"), 201)
    with filled(api.world.runtime.app, USDKG).engine.begin() as conn:  # the idempotency store loses the answer
        conn.execute(delete(http_tables.idempotency_keys))
    retried = _mint(api, 100, key="lost-answer")
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers  # not the stored answer: the record's
    assert retried.json() == first
    assert api.chains[1].sent == [f"mint {HOLDER_A} 100"]  # minted once
    assert api.chains[1].total_supply() == 100
    # Another caller's same key is another operation: the record is keyed by caller and key.
    api.world.tokens["second_desk"] = api.world.runtime.issuer.issue(Role.ISSUER_OPERATOR, "usdkg-desk-2")
    other = api.world.ok(_mint(api, 100, key="lost-answer", who="second_desk"), 201)
    assert other["operation_id"] != first["operation_id"] and len(api.chains[1].sent) == 2


def test_a_mint_in_doubt_is_never_sent_again(api: UsdkgApi) -> None:
    _ready(api)

    def node_gone(to: str, amount_token_units: int) -> str:
        raise NodeGone("the node closed the connection")

    api.chains[1].mint = node_gone  # type: ignore[method-assign]
    problem(_mint(api, 100, key="gone"), 503, "usdkg-chain-unavailable")
    del api.chains[1].mint  # the node is back
    problem(_mint(api, 100, key="gone"), 409, "usdkg-operation-in-doubt")
    assert api.chains[1].sent == []


def test_a_redemption_burns_what_was_sent_back_and_no_more(api: UsdkgApi) -> None:
    _ready(api)
    api.chains[56].balances = {HOLDER_A: 300, REDEMPTION_ADDRESS: 200}
    problem(api.world.post("issuer_operator", "/v1/usdkg/redemptions", {"chain_id": 56, "amount_units": "201"}),
            409, "usdkg-redemption-refused")
    problem(api.world.post("custodian", "/v1/usdkg/redemptions", {"chain_id": 56, "amount_units": "1"}),
            403, "forbidden")
    burned = api.world.ok(api.world.post("issuer_operator", "/v1/usdkg/redemptions",
                                         {"chain_id": 56, "amount_units": "200"}), 201)
    assert burned["chain_id"] == 56 and api.chains[56].total_supply() == 300
    figure = api.world.ok(api.world.get(None, "/v1/usdkg/coverage"))
    assert figure["supply_units"] == "300"
