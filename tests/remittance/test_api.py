"""/v1/remittances through the API with the real screener (a synthetic list): a payout,
a listed recipient returned with nothing moved and the decision kept, a review held then
released once a second officer approves the first one's proposal, and bad input answered as problem+json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from digisom.api.runtime import build
from tests.api.world import World
from tests.compliance import four_eyes
from tests.compliance.conftest import FTM_ENTITIES
from tests.remittance.test_ivms101 import valid_payload

PARTNER = "zolotaya-mto"
PROBLEMS = "https://digisom.kg/problems/"


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def remit_world(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[World]:
    """The API on both stores, with a rates file, a synthetic list and a funded partner."""
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    rates = tmp_path / "rates.csv"
    today = clock.now.date().isoformat()
    rates.write_text(f"date,currency,rate\n{today},USD,87.4500\n{today},RUB,1.0895\n", encoding="utf-8")
    listed = tmp_path / "list.ftm.json"
    listed.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in FTM_ENTITIES), encoding="utf-8")
    runtime = build(data_dir=tmp_path / "data", db_url=db_url, rates_path=rates, sanctions_lists=[listed],
                    clock=clock)
    world = World.create(runtime).setup()
    world.ok(world.post("commercial_bank", "/v1/remittances/partners", {
        "partner_id": PARTNER, "name": "Zolotaya Korona MTO", "kind": "mto", "country": "RU", "bank_code": "AYIL",
        "month_limit_tyiyn": "100000000"}), 201)
    world.ok(world.post("commercial_bank", f"/v1/remittances/partners/{PARTNER}/fundings",
                        {"kind": "prefund", "amount_tyiyn": "5000000", "currency": "KGS"}), 201)
    world.ok(world.post("commercial_bank", f"/v1/remittances/partners/{PARTNER}/corridors", {
        "currency": "RUB", "fee_fixed_minor": "0", "fee_bps": 30, "fx_margin_bps": 50,
        "transfer_max_minor": "30000000", "sender_month_max_minor": "100000000"}), 201)
    yield world
    runtime.close()


def _quote(world: World, send_minor: str = "1500000", currency: str = "RUB") -> dict[str, Any]:
    return world.ok(world.post("partner", "/v1/remittances/quotes", {"currency": currency, "send_minor": send_minor}),
                    201)


def _send(world: World, quote_id: str, recipient: str, reference: str = "ref-1", key: str | None = None,
          **extra: Any) -> Any:
    body = {"reference": reference, "quote_id": quote_id, "sender_id": "s-1", "sender_name": "Aibek Toktomushev",
            "recipient_name": recipient, "recipient_wallet_id": world.wallets["pensioner"], **extra}
    return world.post("partner", "/v1/remittances", body, key=key)


def _position(world: World) -> int:
    return int(world.ok(world.get("commercial_bank", f"/v1/remittances/partners/{PARTNER}"))["position_tyiyn"])


def _screenings(world: World) -> list[tuple[str, str, str]]:
    engine = create_engine(world.runtime.db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT subject, decision, rule FROM compliance_screenings ORDER BY screening_id"))
        found = [tuple(r) for r in rows]
    engine.dispose()
    return found  # type: ignore[return-value]


def test_the_quote_shows_every_fee_and_the_send_pays_once(remit_world: World) -> None:
    world = remit_world
    quote = _quote(world)
    assert quote["fee_pct_minor"] == "4500" and quote["fees_minor"] == "4500" and quote["pay_minor"] == "1504500"
    assert quote["all_in_cost_pct"] == "0.8001", quote  # 30 bps fee + 50 bps margin, rounded up (RPW)
    before = world.balance("pensioner") + world.deposit("pensioner")
    first = world.ok(_send(world, quote["quote_id"], "Gulnara Asanova", key="send-1"), 201)
    again = world.ok(_send(world, quote["quote_id"], "Gulnara Asanova", key="send-1"), 201)
    assert first == again and first["status"] == "paid"
    # Another key, same reference and body: the service's own idempotency answers the same.
    assert world.ok(_send(world, quote["quote_id"], "Gulnara Asanova", key="send-2"), 201)["remittance_id"] == \
        first["remittance_id"]
    assert world.balance("pensioner") + world.deposit("pensioner") == before + int(quote["receive_tyiyn"])
    assert world.ok(world.get("partner", f"/v1/remittances/{first['remittance_id']}"))["status"] == "paid"
    assert ("Gulnara Asanova", "clear", "name-similarity") in _screenings(world)


def test_a_listed_recipient_is_returned_nothing_moves_and_the_decision_is_kept(remit_world: World) -> None:
    world = remit_world
    before, position = world.balance("pensioner"), _position(world)
    response = _send(world, _quote(world)["quote_id"], "Sooronbai Jeenbekov")
    assert response.status_code in (409, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + "remittance-returned"
    assert response.json()["reason"] == "screening_hit"
    assert world.balance("pensioner") == before and _position(world) == position
    assert ("Sooronbai Jeenbekov", "hit", "name-similarity") in _screenings(world)
    returns = world.ok(world.get("partner", "/v1/remittances/returns"))["items"]
    assert [r["reason"] for r in returns] == ["screening_hit"]


def test_a_review_holds_the_money_until_a_second_officer_clears_it(remit_world: World) -> None:
    world = remit_world
    before = world.balance("pensioner") + world.deposit("pensioner")
    held = world.ok(_send(world, _quote(world)["quote_id"], "Sooronbek Jeenbekov"), 201)
    assert held["status"] == "pending_review"
    assert world.balance("pensioner") + world.deposit("pensioner") == before
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    assert review["subject"] == "Sooronbek Jeenbekov" and review["opened_by"] == "system:remittance"
    proposed = world.ok(world.post("officer", f"/v1/compliance/reviews/{review['review_id']}/propose",
                                   {"outcome": "cleared", "reason": "another person: other birth date"}))
    assert proposed["status"] == "proposed"  # one officer releases nothing
    assert world.ok(world.get("partner", f"/v1/remittances/{held['remittance_id']}"))["status"] == "pending_review"
    decided = world.ok(world.post("second_officer", f"/v1/compliance/reviews/{review['review_id']}/approve",
                                  {"outcome": "cleared", "reason": "agreed"}))
    assert decided["status"] == "cleared" and decided["proposed_by"].endswith("officer-asel")
    assert decided["release"]["status"] == "done"
    paid = world.ok(world.get("partner", f"/v1/remittances/{held['remittance_id']}"))
    assert paid["status"] == "paid"
    assert world.balance("pensioner") + world.deposit("pensioner") == before + int(paid["receive_tyiyn"])


def test_a_confirmed_review_returns_the_remittance(remit_world: World) -> None:
    world = remit_world
    held = world.ok(_send(world, _quote(world)["quote_id"], "Sooronbek Jeenbekov"), 201)
    (review,) = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    four_eyes.decide(world, review["review_id"], "confirmed", "same person")
    found = world.ok(world.get("partner", f"/v1/remittances/{held['remittance_id']}"))
    assert (found["status"], found["reason"]) == ("returned", "review_blocked")


def test_an_expired_quote_is_refused_and_nothing_is_recorded(remit_world: World, clock: Clock) -> None:
    world = remit_world
    quote = _quote(world)
    clock.now += timedelta(hours=1)
    response = _send(world, quote["quote_id"], "Gulnara Asanova")
    assert response.json()["type"] == PROBLEMS + "remittance-quote-expired", response.text
    assert world.ok(world.get("partner", "/v1/remittances/returns"))["items"] == []


def test_a_currency_the_corridor_does_not_take(remit_world: World) -> None:
    response = remit_world.post("partner", "/v1/remittances/quotes", {"currency": "KZT", "send_minor": "100"})
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].startswith(PROBLEMS + "remittance-"), response.text
    assert "KZT" in response.json()["detail"]


def test_a_transfer_over_the_corridor_limit_is_returned(remit_world: World) -> None:
    world = remit_world
    position = _position(world)
    response = _send(world, _quote(world, send_minor="30000001")["quote_id"], "Gulnara Asanova",
                     travel_rule=valid_payload())
    assert response.json()["type"] == PROBLEMS + "remittance-returned"
    assert response.json()["reason"] == "transfer_limit"
    assert _position(world) == position


def test_malformed_ivms101_is_a_typed_problem(remit_world: World) -> None:
    world = remit_world
    response = _send(world, _quote(world)["quote_id"], "Gulnara Asanova", travel_rule={"originator": 5})
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + "remittance-travel-rule-invalid", response.text


def test_scope_a_partner_and_another_bank_see_nothing_of_others(remit_world: World) -> None:
    world = remit_world
    sent = world.ok(_send(world, _quote(world)["quote_id"], "Gulnara Asanova"), 201)
    path = f"/v1/remittances/{sent['remittance_id']}"
    for who in ("other_partner", "second_bank"):
        response = world.get(who, path)
        assert response.status_code == 404 and "Gulnara" not in response.text
    assert world.get("second_bank", f"/v1/remittances/partners/{PARTNER}").status_code == 404
    assert world.ok(world.get("second_bank", "/v1/remittances/partners"))["items"] == []
    assert [p["partner_id"] for p in world.ok(world.get("other_partner", "/v1/remittances/partners"))["items"]] == []
    assert world.ok(world.get("other_partner", "/v1/remittances/returns"))["items"] == []
