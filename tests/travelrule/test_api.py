"""/v1/travel-rule through the API with the real compliance desk (a synthetic list) and
rates, on SQLite and PostgreSQL: the TRP-like inquiry, its answer, its confirmation, the
threshold, bad IVMS101, screening hits and reviews, idempotency, scope, and a remittance
that references an approved inquiry instead of carrying IVMS101 inline."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from digisom.api.runtime import build
from tests.api.world import World
from tests.compliance.conftest import FTM_ENTITIES
from tests.compliance.four_eyes import decide
from tests.remittance.test_ivms101 import valid_payload

PARTNER = "zolotaya-mto"
PROBLEMS = "https://digisom.kg/problems/"
LISTED_ADDRESS = "0xAbCdef0123456789abcdef0123456789ABCDEF01"
CLEAN_ADDRESS = "0x" + "2" * 40
TX_HASH = "0x" + "ab" * 32


def travel_rule_world(tmp_path: Path, db_url: str | None, **build_extra: Any) -> World:
    """A world with today's rates, the synthetic list and a VASP licensed for transfers."""
    today = datetime.now(UTC).date().isoformat()
    rates = tmp_path / "rates.csv"
    rates.write_text(f"date,currency,rate\n{today},USD,87.4500\n{today},RUB,1.0895\n", encoding="utf-8")
    listed = tmp_path / "list.ftm.json"
    listed.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in FTM_ENTITIES), encoding="utf-8")
    runtime = build(data_dir=tmp_path / "data", db_url=db_url, rates_path=rates, sanctions_lists=[listed],
                    **build_extra)
    world = World.create(runtime).setup()
    world.license_vasp("vasp-ala-too", activities=("exchange", "transfer"))  # the `vasp` token's VASP
    return world


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tr_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    world = travel_rule_world(tmp_path, db_url)
    yield world
    world.runtime.close()


def ivms_payload(originator: tuple[str, str] = ("Asanov", "Aibek")) -> dict[str, Any]:
    payload = copy.deepcopy(valid_payload())
    name = payload["originator"]["originatorPersons"][0]["naturalPerson"]["name"]["nameIdentifier"][0]
    name["primaryIdentifier"], name["secondaryIdentifier"] = originator
    return payload


def inquire(world: World, who: str = "partner", request_id: str = "inq-1", asset: str = "USDKG",
             amount_minor: str = "100000", key: str | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"request_id": request_id, "asset": asset, "amount_minor": amount_minor}
    if "beneficiary_address" not in extra:
        body["beneficiary_wallet_id"] = world.wallets["pensioner"]
    return world.post(who, "/v1/travel-rule/inquiries", body | extra, key=key)


def _problem(response: Any, slug: str, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + slug, response.text
    return body


def _screenings(world: World) -> list[tuple[str, str, str]]:
    engine = create_engine(world.runtime.db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(
            "SELECT subject, decision, context FROM compliance_screenings ORDER BY screening_id"))]
    engine.dispose()
    return found  # type: ignore[return-value]


def test_an_inquiry_is_answered_stored_and_confirmed_once(tr_world: World) -> None:
    world = tr_world
    payload = ivms_payload()
    inquiry = world.ok(inquire(world, ivms101=payload, callback_url="https://mto.example/trp/cb"), 201)
    assert (inquiry["status"], inquiry["reason"], inquiry["ivms101_required"]) == ("approved", "", True)
    as_received = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert inquiry["ivms101_sha256"] == hashlib.sha256(as_received.encode()).hexdigest()
    assert inquiry["usd_equivalent_cents"] == "100000" and inquiry["screenings"] == []
    assert ("Aibek Asanov", "clear", "travel_rule") in _screenings(world)
    path = f"/v1/travel-rule/inquiries/{inquiry['inquiry_id']}"
    assert world.ok(world.get("partner", path))["status"] == "approved"
    confirmed = world.ok(world.post("partner", f"{path}/confirm", {"tx_reference": TX_HASH}))
    assert (confirmed["status"], confirmed["tx_reference"]) == ("confirmed", TX_HASH)
    assert world.ok(world.post("partner", f"{path}/confirm", {"tx_reference": TX_HASH}))["status"] == "confirmed"
    _problem(world.post("partner", f"{path}/confirm", {"tx_reference": "0x" + "cd" * 32}),
             "travel-rule-inquiry-conflict", 409)


def test_ivms101_is_required_at_the_threshold_not_below(tr_world: World) -> None:
    world = tr_world
    below = world.ok(inquire(world, request_id="below", amount_minor="99999"), 201)
    assert (below["status"], below["ivms101_required"], below["ivms101_sha256"]) == ("approved", False, "")
    missing = _problem(inquire(world, request_id="at", amount_minor="100000"), "travel-rule-ivms101-missing", 422)
    assert missing["field"] == "ivms101"
    # Roubles are valued at the reference rates (1.0895 and 87.45 som): 80,266.18 RUB is the first at USD 1,000.
    under = world.ok(inquire(world, request_id="rub-under", asset="RUB", amount_minor="8026617"), 201)
    assert under["usd_equivalent_cents"] == "99999"
    _problem(inquire(world, request_id="rub-at", asset="RUB", amount_minor="8026618"),
             "travel-rule-ivms101-missing", 422)


def test_malformed_ivms101_is_a_typed_problem_naming_the_field(tr_world: World) -> None:
    world = tr_world
    payload = ivms_payload()
    payload["originator"]["originatorPersons"][0]["naturalPerson"]["nationalIdentification"][
        "nationalIdentifierType"] = "PASSPORT"
    body = _problem(inquire(world, ivms101=payload), "travel-rule-ivms101-invalid", 422)
    assert body["field"] == "originator.originatorPersons.0.naturalPerson.nationalIdentification." \
                            "nationalIdentifierType"
    assert _screenings(world) == [] or all(c != "travel_rule" for _s, _d, c in _screenings(world))


def test_a_sanctioned_originator_or_address_is_rejected_and_the_decision_kept(tr_world: World) -> None:
    world = tr_world
    hit = world.ok(inquire(world, ivms101=ivms_payload(("Jeenbekov", "Sooronbai"))), 201)
    assert (hit["status"], hit["reason"]) == ("rejected", "screening_hit")
    assert ("Sooronbai Jeenbekov", "hit", "travel_rule") in _screenings(world)
    seen = world.ok(world.get("officer", f"/v1/travel-rule/inquiries/{hit['inquiry_id']}"))
    assert {(s["party"], s["decision"]) for s in seen["screenings"]} >= {("originator.0", "hit")}
    assert "screening:" in next(s["reason"] for s in seen["screenings"] if s["party"] == "originator.0")
    _problem(world.post("partner", f"/v1/travel-rule/inquiries/{hit['inquiry_id']}/confirm",
                        {"tx_reference": TX_HASH}), "travel-rule-inquiry-not-approved", 409)
    address = world.ok(inquire(world, who="vasp", request_id="kgst-1", asset="KGST", amount_minor="500",
                                beneficiary_address=CLEAN_ADDRESS, originator_address=LISTED_ADDRESS), 201)
    assert (address["status"], address["reason"]) == ("rejected", "screening_hit")
    assert (LISTED_ADDRESS, "hit", "travel_rule") in _screenings(world)


@pytest.mark.parametrize(("outcome", "status", "reason"), [("cleared", "approved", ""),
                                                           ("confirmed", "rejected", "review_blocked")])
def test_a_review_holds_the_inquiry_until_two_officers_decide(tr_world: World, outcome: str, status: str,
                                                             reason: str) -> None:
    world = tr_world
    held = world.ok(inquire(world, ivms101=ivms_payload(("Jeenbekov", "Sooronbek"))), 201)
    assert held["status"] == "pending_review"
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    assert review["subject"] == "Sooronbek Jeenbekov" and review["opened_by"] == "system:travel-rule"
    decide(world, review["review_id"], outcome, "checked the birth date")
    decided = world.ok(world.get("partner", f"/v1/travel-rule/inquiries/{held['inquiry_id']}"))
    assert (decided["status"], decided["reason"]) == (status, reason)


def test_the_senders_id_makes_it_idempotent(tr_world: World) -> None:
    world = tr_world
    first = world.ok(inquire(world, ivms101=ivms_payload(), key="a"), 201)
    again = world.ok(inquire(world, ivms101=ivms_payload(), key="b"), 201)  # another key, same body
    assert again == first
    _problem(inquire(world, ivms101=ivms_payload(), amount_minor="100001", key="c"),
             "travel-rule-inquiry-conflict", 409)
    # Another sender may use the same id: it is another inquiry.
    other = world.ok(inquire(world, who="other_partner", ivms101=ivms_payload()), 201)
    assert other["inquiry_id"] != first["inquiry_id"]


def test_only_the_sender_officers_and_auditors_see_an_inquiry(tr_world: World) -> None:
    world = tr_world
    inquiry = world.ok(inquire(world, who="vasp", request_id="v-1", asset="USDKG", amount_minor="2500",
                                beneficiary_address=CLEAN_ADDRESS), 201)
    path = f"/v1/travel-rule/inquiries/{inquiry['inquiry_id']}"
    for who in ("other_vasp", "partner"):
        response = world.get(who, path)
        assert response.status_code == 404 and CLEAN_ADDRESS not in response.text
        assert world.post(who, f"{path}/confirm", {"tx_reference": TX_HASH}).status_code == 404
    unknown = world.get("vasp", "/v1/travel-rule/inquiries/tri_" + "0" * 32)
    assert unknown.status_code == 404 and unknown.json()["type"] == world.get("partner", path).json()["type"]
    for who in ("officer", "auditor", "vasp"):
        assert world.ok(world.get(who, path))["status"] == "approved"
    assert world.post("auditor", f"{path}/confirm", {"tx_reference": TX_HASH}).status_code == 403


def _remittance_setup(world: World) -> None:
    world.ok(world.post("commercial_bank", "/v1/remittances/partners", {
        "partner_id": PARTNER, "name": "Zolotaya Korona MTO", "kind": "mto", "country": "RU", "bank_code": "AYIL",
        "month_limit_tyiyn": "100000000000"}), 201)
    world.ok(world.post("commercial_bank", f"/v1/remittances/partners/{PARTNER}/fundings",
                        {"kind": "prefund", "amount_tyiyn": "15000000", "currency": "KGS"}), 201)
    world.ok(world.post("commercial_bank", f"/v1/remittances/partners/{PARTNER}/corridors", {
        "currency": "RUB", "fee_fixed_minor": "0", "fee_bps": 30, "fx_margin_bps": 50,
        "transfer_max_minor": "30000000", "sender_month_max_minor": "100000000"}), 201)


def _send(world: World, reference: str, inquiry_id: str, send_minor: str = "9000000") -> Any:
    quote = world.ok(world.post("partner", "/v1/remittances/quotes", {"currency": "RUB", "send_minor": send_minor}),
                     201)
    return world.post("partner", "/v1/remittances", {
        "reference": reference, "quote_id": quote["quote_id"], "sender_id": "s-1", "sender_name": "Aibek Asanov",
        "recipient_name": "Gulnara Asanova", "recipient_wallet_id": world.wallets["pensioner"],
        "travel_rule_inquiry_id": inquiry_id})


def test_a_remittance_may_reference_an_approved_inquiry(tr_world: World) -> None:
    world = tr_world
    _remittance_setup(world)
    payload = ivms_payload()
    inquiry = world.ok(inquire(world, request_id="rm-1", asset="RUB", amount_minor="9000000", ivms101=payload), 201)
    paid = world.ok(_send(world, "ref-1", inquiry["inquiry_id"]), 201)
    assert paid["status"] == "paid"
    found = world.ok(world.get("partner", f"/v1/travel-rule/inquiries/{inquiry['inquiry_id']}"))
    assert (found["status"], found["tx_reference"]) == ("confirmed", paid["remittance_id"])
    engine = create_engine(world.runtime.db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT travel_rule FROM remittance_remittances WHERE remittance_id = :r"),
                              {"r": paid["remittance_id"]}).scalar_one()
    engine.dispose()
    assert json.loads(stored)["originator"]["originatorPersons"][0]["naturalPerson"]["name"][
        "nameIdentifier"][0]["primaryIdentifier"] == "Asanov"
    # Used once: another remittance on it, another amount, a rejected or unknown inquiry are refused.
    for reference, inquiry_id, send_minor, reason in (
            ("ref-2", inquiry["inquiry_id"], "9000000", "inquiry_used_by_another_transfer"),
            ("ref-3", inquiry["inquiry_id"], "9000001", "inquiry_mismatch:amount"),
            ("ref-4", "tri_" + "0" * 32, "9000000", "inquiry_not_found")):
        refused = _problem(_send(world, reference, inquiry_id, send_minor), "remittance-travel-rule-inquiry-refused",
                           409)
        assert refused["reason"] == reason
    rejected = world.ok(inquire(world, request_id="rm-2", asset="RUB", amount_minor="9000000",
                                 ivms101=ivms_payload(("Jeenbekov", "Sooronbai"))), 201)
    assert _problem(_send(world, "ref-5", rejected["inquiry_id"]), "remittance-travel-rule-inquiry-refused",
                    409)["reason"] == "inquiry_rejected"


def test_only_a_vasp_licensed_for_transfers_may_send_inquiries(tr_world: World) -> None:
    world = tr_world
    unlicensed = world.ok(inquire(world, who="other_vasp", request_id="u-1", asset="KGST", amount_minor="500",
                                   beneficiary_address=CLEAN_ADDRESS), 201)
    assert (unlicensed["status"], unlicensed["reason"]) == ("rejected", "vasp_not_licensed")
    world.license_vasp("vasp-issyk", who="other_vasp", activities=("exchange",))  # no `transfer` activity
    exchange_only = world.ok(inquire(world, who="other_vasp", request_id="u-2", asset="KGST", amount_minor="500",
                                      beneficiary_address=CLEAN_ADDRESS), 201)
    assert (exchange_only["status"], exchange_only["reason"]) == ("rejected", "vasp_not_licensed")
    licensed = world.ok(inquire(world, who="vasp", request_id="l-1", asset="KGST", amount_minor="500",
                                 beneficiary_address=CLEAN_ADDRESS), 201)
    assert licensed["status"] == "approved"
    world.ok(world.post("registrar", "/v1/vasps/vasp-ala-too/suspension", {"reason": "late audit"}))
    suspended = world.ok(inquire(world, who="vasp", request_id="l-2", asset="KGST", amount_minor="500",
                                  beneficiary_address=CLEAN_ADDRESS), 201)
    assert (suspended["status"], suspended["reason"]) == ("rejected", "vasp_not_licensed")
