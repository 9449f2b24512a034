"""A refused payment is recorded as failed, with its reason, on every store: the stored
reason must fit its column (PostgreSQL enforces VARCHAR lengths, SQLite does not), or the
refusal became a 500 and the payment stayed pending (found by bench/api.py)."""

from __future__ import annotations

from digisom.cbdc import tables
from digisom.cbdc.errors import STORED_FAILURE_CHARS_MAX
from tests.api.world import World


def test_a_payment_refused_for_an_empty_linked_account_is_failed_not_a_500(any_store_world: World) -> None:
    world = any_store_world
    key = "pay-beyond-wallet-and-deposit"
    first = world.pay("pensioner", "pensioner", "merchant", 10, key=key)
    assert first.status_code == 409, first.text
    assert first.json()["type"].endswith("/insufficient-funds")
    again = world.pay("pensioner", "pensioner", "merchant", 10, key=key)  # the stored refusal, replayed
    assert (again.status_code, again.json()["type"]) == (409, first.json()["type"])
    payments = world.ok(world.get("pensioner", f"/v1/wallets/{world.wallets['pensioner']}/payments"))["items"]
    assert [p["status"] for p in payments] == ["failed"]
    world.assert_balanced()


def test_the_stored_failure_limit_is_the_column_width() -> None:
    assert tables.payments.c.failure.type.length == STORED_FAILURE_CHARS_MAX
