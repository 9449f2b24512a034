"""Taxes and fees through the API: a holder (or the holder's bank) pays from the wallet
against an ISO 11649 reference into the treasury's revenue wallet, and reads the receipt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx import Response

from digisom.api.runtime import build
from digisom.cbdc.accounts import wallet_account_id
from digisom.disbursement.taxes import make_reference
from tests.api.world import SOM, World, kgs

REFERENCE = make_reference("2026INCOME42")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The world, then the API restarted with the treasury's wallet as the revenue account."""
    first = build(data_dir=tmp_path / "data")
    try:
        setup = World.create(first).setup()
        setup.ok(setup.pay("treasury", "treasury", "pensioner", 1_000), 201)
    finally:
        first.close()
    restarted = build(data_dir=tmp_path / "data", tax_revenue_wallet=setup.wallets["treasury"])
    world = World.create(restarted)
    world.wallets = setup.wallets
    yield world
    restarted.close()


def tax(world: World, who: str, wallet: str, som: int, reference: str = REFERENCE, key: str | None = None) -> Response:
    body = {"wallet_id": world.wallets[wallet], "reference": reference, **kgs(som)}
    return world.post(who, "/v1/taxes", body, key)


def test_a_holder_pays_a_tax_once_and_gets_a_receipt(world: World) -> None:
    circulation = world.assert_balanced()
    treasury_before = world.balance("treasury")
    paid = tax(world, "pensioner", "pensioner", 120, key="income-tax-2026")
    receipt = world.ok(paid, 201)
    assert (receipt["reference"], receipt["amount_tyiyn"], receipt["currency"]) == (REFERENCE, str(120 * SOM), "KGS")
    assert receipt["payer_account_id"] == str(wallet_account_id(world.wallets["pensioner"]))
    again = tax(world, "pensioner", "pensioner", 120, key="income-tax-2026")
    assert again.headers["idempotent-replayed"] == "true" and again.json() == receipt
    assert world.balance("pensioner") == (1_000 - 120) * SOM
    assert world.balance("treasury") == treasury_before + 120 * SOM
    assert world.assert_balanced() == circulation

    path = f"/v1/taxes/receipts/{receipt['receipt_id']}"
    assert world.ok(world.get("pensioner", path, wallet_id=world.wallets["pensioner"])) == receipt
    assert world.ok(world.get("treasury_operator", path)) == receipt
    assert world.ok(world.get("auditor", path)) == receipt
    assert world.get("pensioner", path).status_code == 422  # a holder names the paying wallet
    assert world.get("merchant", path, wallet_id=world.wallets["merchant"]).status_code == 404
    assert world.get("merchant", path, wallet_id=world.wallets["pensioner"]).status_code == 404  # not theirs: unseen
    assert world.get("central_bank", path).status_code == 403
    assert world.get("auditor", "/v1/taxes/receipts/tax_" + "0" * 30).status_code == 404


def test_the_holders_bank_may_pay_for_the_holder_and_nobody_else(world: World) -> None:
    assert world.ok(tax(world, "commercial_bank", "pensioner", 10), 201)["amount_tyiyn"] == str(10 * SOM)
    for who in ("merchant", "second_bank"):  # a wallet they may not see answers as a missing one
        refused = tax(world, who, "pensioner", 10)
        assert refused.status_code == 404 and refused.json()["type"].endswith("/not-found")
    for who in ("treasury_operator", "auditor", "central_bank"):
        assert tax(world, who, "pensioner", 10).status_code == 403
    assert world.balance("pensioner") == (1_000 - 10) * SOM


def test_refusals_move_nothing(world: World) -> None:
    wrong_digits = "RF" + f"{(int(REFERENCE[2:4]) + 1) % 100:02d}" + REFERENCE[4:]
    refused = tax(world, "pensioner", "pensioner", 10, reference=wrong_digits)
    assert refused.status_code == 422 and refused.json()["type"].endswith("/invalid-reference")
    short = tax(world, "pensioner", "pensioner", 2_000)
    assert short.status_code == 409 and short.json()["result"] == "exceeds_credits"
    world.ok(world.post("commercial_bank", f"/v1/wallets/{world.wallets['pensioner']}/freeze",
                        {"reason": "court order", "legal_order_ref": "CO-1"}))
    frozen = tax(world, "pensioner", "pensioner", 10)
    assert frozen.status_code == 409 and frozen.json()["type"].endswith("/wallet-frozen")
    assert world.balance("pensioner") == 1_000 * SOM


def test_without_a_revenue_account_taxes_are_unavailable(tmp_path: Path) -> None:
    built = build(data_dir=tmp_path / "data")
    try:
        world = World.create(built).setup()
        refused = tax(world, "commercial_bank", "pensioner", 1)
        assert refused.status_code == 503
    finally:
        built.close()
