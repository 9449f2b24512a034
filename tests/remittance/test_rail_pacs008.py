"""Rail 3 through the API, on SQLite and on PostgreSQL: a partner's pacs.008 paid into a
wallet on rail 1's path and answered with a pacs.002 (ACSC, PDNG held for review, RJCT
with the ISO reason and the return reason); the same transfer again answers the same,
another transfer under its EndToEndId is a conflict; a listed debtor is refused with the
decision kept; bad messages are typed problems with nothing recorded; another partner
neither reads nor moves it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import create_engine, text

from digisom.api.runtime import build
from digisom.interbank.iso20022 import (
    Agent,
    CreditTransferOrder,
    PostalAddress,
    Priority,
    StatusReport,
    build_pacs008,
    build_pacs009,
    parse_inbound,
)
from digisom.money import KGS, USD, Money
from digisom.remittance import accounts
from tests.api.world import World
from tests.compliance.conftest import FTM_ENTITIES
from tests.compliance.four_eyes import decide

PARTNER = "zolotaya-mto"
PROBLEMS = "https://digisom.kg/problems/"
LISTED = "Sooronbai Jeenbekov"  # a hit on the synthetic list
CLOSE_TO_LISTED = "Sooronbek Jeenbekov"  # a review
MOSCOW = PostalAddress(country="RU", town_name="Moscow", street_name="Tverskaya", building_number="7")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def rail(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    today = datetime.now(UTC).date().isoformat()
    rates = tmp_path / "rates.csv"
    rates.write_text(f"date,currency,rate\n{today},USD,87.4500\n{today},RUB,1.0895\n", encoding="utf-8")
    listed = tmp_path / "list.ftm.json"
    listed.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in FTM_ENTITIES), encoding="utf-8")
    runtime = build(data_dir=tmp_path / "data", db_url=db_url, rates_path=rates, sanctions_lists=[listed])
    world = World.create(runtime).setup()
    world.ok(world.post("commercial_bank", "/v1/remittances/partners", {
        "partner_id": PARTNER, "name": "Zolotaya Korona MTO", "kind": "mto", "country": "RU", "bank_code": "AYIL",
        "month_limit_tyiyn": "100000000"}), 201)
    world.ok(world.post("commercial_bank", f"/v1/remittances/partners/{PARTNER}/fundings",
                        {"kind": "prefund", "amount_tyiyn": "15000000", "currency": "KGS"}), 201)
    world.ok(world.post("commercial_bank", f"/v1/remittances/partners/{PARTNER}/corridors", {
        "currency": "RUB", "fee_fixed_minor": "0", "fee_bps": 30, "fx_margin_bps": 50,
        "transfer_max_minor": "30000000", "sender_month_max_minor": "100000000"}), 201)
    yield world
    runtime.close()


def _quote(world: World, send_minor: str = "1500000") -> dict[str, Any]:
    return world.ok(world.post("partner", "/v1/remittances/quotes", {"currency": "RUB", "send_minor": send_minor}),
                    201)


def _order(world: World, quote: dict[str, Any], e2e: str = "E2E-0001", **changes: Any) -> CreditTransferOrder:
    order = CreditTransferOrder(
        message_id=f"MSG-{e2e}", created_at=datetime.now(UTC), instruction_id=None, end_to_end_id=e2e,
        debtor_agent=Agent(bic="ZOLORUMMXXX"), creditor_agent=Agent(bank_code="AYIL"),
        amount=Money(int(quote["receive_tyiyn"]), KGS), settlement_date=datetime.now(UTC).date(),
        priority=Priority.NORMAL, debtor_name="Aibek Toktomushev", debtor_account="zk-sender-77",
        creditor_name="Gulnara Asanova", creditor_account=world.wallets["pensioner"],
        remittance_information=(f"QUOTE/{quote['quote_id']}", "for mother"))
    return replace(order, **changes)


def _submit(world: World, xml: bytes, who: str = "partner", key: str | None = None,
            content_type: str = "application/xml") -> Response:
    headers = world.headers(who, key or f"p8-{hash(xml)}-{who}")
    headers["Content-Type"] = content_type
    return world.client.post("/v1/remittances/pacs008", content=xml, headers=headers)


def _report(response: Response) -> StatusReport:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    report = parse_inbound(response.content).body
    assert isinstance(report, StatusReport)
    assert response.headers["Digisom-Transaction-Status"] == report.status.value
    return report


def _remittance(world: World, e2e: str, who: str = "partner") -> Response:
    remittance_id = f"rm_{accounts.derive_id('remittance', PARTNER, e2e):032x}"
    return world.get(who, f"/v1/remittances/{remittance_id}")


def _position(world: World) -> int:
    return int(world.ok(world.get("commercial_bank", f"/v1/remittances/partners/{PARTNER}"))["position_tyiyn"])


def _received(world: World) -> int:
    return world.balance("pensioner") + world.deposit("pensioner")


def _screenings(world: World) -> list[tuple[str, str]]:
    engine = create_engine(world.runtime.db_url)
    with engine.connect() as conn:
        found = [(r.subject, r.decision) for r in conn.execute(
            text("SELECT subject, decision FROM compliance_screenings ORDER BY screening_id"))]
    engine.dispose()
    return found


def test_a_pacs008_is_paid_once_answered_acsc_and_a_changed_one_is_a_conflict(rail: World) -> None:
    world = rail
    quote = _quote(world)
    before, position = _received(world), _position(world)
    xml = build_pacs008(_order(world, quote))
    report = _report(_submit(world, xml))
    assert (report.status.value, report.original_end_to_end_id, report.original_message_id) == \
        ("ACSC", "E2E-0001", "MSG-E2E-0001")
    assert report.original_message_name == "pacs.008.001.08"
    assert _received(world) == before + int(quote["receive_tyiyn"])
    assert _position(world) == position - int(quote["receive_tyiyn"])
    paid = world.ok(_remittance(world, "E2E-0001"))
    assert (paid["status"], paid["reference"], paid["quote_id"]) == ("paid", "E2E-0001", quote["quote_id"])
    # The same transfer again (same key: replayed; a new key or a new MsgId: the same outcome), paid once.
    assert _submit(world, xml, key="same").status_code == 200
    assert _submit(world, xml, key="same").headers["Idempotent-Replayed"] == "true"
    resent = build_pacs008(_order(world, quote, message_id="MSG-RESENT"))
    assert _report(_submit(world, resent)).status.value == "ACSC"
    assert _received(world) == before + int(quote["receive_tyiyn"])
    # Another transfer under the same EndToEndId: a conflict, nothing moves.
    changed = build_pacs008(_order(world, quote, creditor_name="Someone Else", message_id="MSG-CHANGED"))
    conflict = _submit(world, changed)
    assert conflict.status_code == 409 and conflict.json()["type"] == PROBLEMS + "remittance-reference-conflict"
    assert _received(world) == before + int(quote["receive_tyiyn"])
    assert ("Aibek Toktomushev", "clear") in _screenings(world)


def test_an_unknown_wallet_and_a_listed_debtor_are_rejected_nothing_moves(rail: World) -> None:
    world = rail
    position = _position(world)
    unknown = _report(_submit(world, build_pacs008(_order(
        world, _quote(world), e2e="E2E-UNKNOWN", creditor_account="waaaaaaaaaaaaaaaaaaaaaaaa"))))
    assert (unknown.status.value, unknown.reason_code, unknown.reason_detail) == ("RJCT", "AC03", "recipient_unknown")
    listed = _report(_submit(world, build_pacs008(_order(world, _quote(world), e2e="E2E-LISTED",
                                                         debtor_name=LISTED))))
    assert (listed.status.value, listed.reason_code, listed.reason_detail) == ("RJCT", "RR04", "screening_hit")
    assert (LISTED, "hit") in _screenings(world)  # the decision is kept by the compliance desk
    assert world.ok(_remittance(world, "E2E-LISTED"))["reason"] == "screening_hit"
    returns = {r["reference"]: r["reason"] for r in world.ok(world.get("partner", "/v1/remittances/returns"))["items"]}
    assert returns == {"E2E-UNKNOWN": "recipient_unknown", "E2E-LISTED": "screening_hit"}
    assert _position(world) == position


def test_a_review_answers_pending_and_pays_once_two_officers_clear_it(rail: World) -> None:
    world = rail
    before = _received(world)
    quote = _quote(world)
    held = _report(_submit(world, build_pacs008(_order(world, quote, e2e="E2E-REVIEW",
                                                       creditor_name=CLOSE_TO_LISTED))))
    assert (held.status.value, held.reason_code) == ("PDNG", None)
    assert world.ok(_remittance(world, "E2E-REVIEW"))["status"] == "pending_review"
    assert _received(world) == before
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    decide(world, review["review_id"], "cleared", "another person")
    assert world.ok(_remittance(world, "E2E-REVIEW"))["status"] == "paid"
    assert _received(world) == before + int(quote["receive_tyiyn"])


def test_travel_rule_data_comes_from_the_parties_from_the_threshold(rail: World) -> None:
    world = rail
    large = _quote(world, send_minor="10000000")  # 100,000 roubles: above USD 1,000
    missing = _submit(world, build_pacs008(_order(world, large, e2e="E2E-LARGE")))
    assert missing.status_code == 422 and missing.json()["type"] == PROBLEMS + "remittance-travel-rule-missing"
    unlocatable = PostalAddress(country="RU", town_name="Moscow")  # IVMS101: lines, or a street and building
    invalid = _submit(world, build_pacs008(_order(world, large, e2e="E2E-LARGE", debtor_address=unlocatable)))
    assert invalid.status_code == 422 and invalid.json()["type"] == PROBLEMS + "remittance-travel-rule-invalid"
    paid = _report(_submit(world, build_pacs008(_order(world, large, e2e="E2E-LARGE", debtor_address=MOSCOW))))
    assert paid.status.value == "ACSC"
    engine = create_engine(world.runtime.db_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT travel_rule FROM remittance_remittances WHERE reference = 'E2E-LARGE'"))
        payload = json.loads(stored.scalar_one())
    engine.dispose()
    person = payload["originator"]["originatorPersons"][0]["naturalPerson"]
    assert person["geographicAddress"][0]["townName"] == "Moscow"
    assert payload["originatingVASP"]["originatingVASP"]["legalPerson"]["countryOfRegistration"] == "RU"


@pytest.mark.parametrize(("case", "reason"), [
    ("not xml", "FF01"), ("pacs.009", "FF01"), ("USD", "AM03"), ("other bank", "RC01"), ("no quote", "FF02"),
    ("wrong amount", "AM09"), ("no debtor account", "RR01")])
def test_a_bad_message_is_a_typed_problem_and_nothing_is_recorded(rail: World, case: str, reason: str) -> None:
    world = rail
    quote = _quote(world)
    order = _order(world, quote, e2e="E2E-BAD")
    xml = {
        "not xml": b"<Document><unclosed></Document>",
        "pacs.009": build_pacs009(replace(order, debtor_agent=Agent(bank_code="BAKAI"))),
        "USD": build_pacs008(replace(order, amount=Money(100, USD))),
        "other bank": build_pacs008(replace(order, creditor_agent=Agent(bank_code="BAKAI"))),
        "no quote": build_pacs008(replace(order, remittance_information=("for mother",))),
        "wrong amount": build_pacs008(replace(order, amount=Money(int(quote["receive_tyiyn"]) + 1, KGS))),
        "no debtor account": build_pacs008(replace(order, debtor_account=None)),
    }[case]
    response = _submit(world, xml)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["type"], response.json()["reason_code"]) == (PROBLEMS + "remittance-message-invalid",
                                                                         reason)
    assert _remittance(world, "E2E-BAD").status_code == 404


def test_json_is_refused_and_another_partner_neither_reads_nor_moves_it(rail: World) -> None:
    world = rail
    quote = _quote(world)
    xml = build_pacs008(_order(world, quote, e2e="E2E-MINE"))
    assert _submit(world, xml, content_type="application/json").status_code == 415
    for who in ("commercial_bank", "officer", None):
        assert _submit(world, xml, who=who).status_code in (401, 403)
    # Another partner of the same bank sending the very same message: the quote is not its own.
    world.ok(world.post("commercial_bank", "/v1/remittances/partners", {
        "partner_id": "almaty-mto", "name": "Almaty Transfer", "kind": "mto", "country": "KZ", "bank_code": "AYIL",
        "month_limit_tyiyn": "100000000"}), 201)
    stolen = _submit(world, xml, who="other_partner")
    assert stolen.status_code == 404 and stolen.json()["type"] == PROBLEMS + "remittance-quote-not-found"
    assert _report(_submit(world, xml)).status.value == "ACSC"
    assert _remittance(world, "E2E-MINE", who="other_partner").status_code == 404
    assert world.ok(_remittance(world, "E2E-MINE"))["status"] == "paid"
