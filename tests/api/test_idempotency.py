"""Idempotency keys: a retried request never pays twice; the same key with another
body is 422; the stored response is replayed, failures included."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from digisom.api.response_store import response_store
from digisom.cbdc import repository
from digisom.http.idempotency import StoredResponse
from digisom.http.response_store import TableResponseStore
from tests.api.world import SOM, World, kgs


def test_a_retry_replays_the_response_and_pays_once(world: World) -> None:
    first = world.pay("treasury", "treasury", "pensioner", 100, key="pay-1")
    again = world.pay("treasury", "treasury", "pensioner", 100, key="pay-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert world.balance("pensioner") == 100 * SOM
    world.assert_balanced()


def test_the_same_key_with_another_body_is_422(world: World) -> None:
    world.ok(world.pay("treasury", "treasury", "pensioner", 100, key="pay-2"), 201)
    other = world.pay("treasury", "treasury", "pensioner", 101, key="pay-2")
    assert other.status_code == 422
    assert other.json()["type"] == "https://digisom.kg/problems/idempotency-key-reused"
    assert world.balance("pensioner") == 100 * SOM


def test_keys_belong_to_their_caller(world: World) -> None:
    world.ok(world.pay("treasury", "treasury", "pensioner", 100, key="shared"), 201)
    world.ok(world.post("commercial_bank", "/v1/issuance/issues", {"bank_code": "AYIL", **kgs(1)}, key="shared"), 201)


def test_a_lost_response_still_never_pays_twice(world: World) -> None:
    first = world.ok(world.pay("treasury", "treasury", "pensioner", 100, key="lost"), 201)
    with world.runtime.service.ctx.engine.begin() as conn:  # the stored response is gone (a crash)
        conn.execute(text("DELETE FROM http_idempotency_keys"))
    again = world.ok(world.pay("treasury", "treasury", "pensioner", 100, key="lost"), 201)
    assert again["id"] == first["id"]
    assert world.balance("pensioner") == 100 * SOM


def test_concurrent_retries_pay_once(world: World) -> None:
    def attempt(_: int) -> int:
        with TestClient(world.runtime.app) as client:
            body = {"payer_wallet_id": world.wallets["treasury"], "payee_wallet_id": world.wallets["pensioner"],
                    **kgs(10)}
            return client.post("/v1/payments", json=body, headers=world.headers("treasury", "storm")).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(attempt, range(12)))
    assert set(statuses) == {201}
    assert world.balance("pensioner") == 10 * SOM
    world.assert_balanced()


def test_a_refusal_is_replayed_too(world: World) -> None:
    refused = world.pay("pensioner", "pensioner", "merchant", 50, key="broke")
    assert refused.status_code == 409
    assert refused.json()["type"] == "https://digisom.kg/problems/insufficient-funds"
    world.ok(world.post("commercial_bank", f"/v1/wallets/{world.wallets['pensioner']}/deposit-credits", kgs(100)))
    replay = world.pay("pensioner", "pensioner", "merchant", 50, key="broke")
    assert (replay.status_code, replay.json()) == (409, refused.json())
    world.ok(world.pay("pensioner", "pensioner", "merchant", 50, key="broke-2"), 201)


def test_every_post_needs_a_key(world: World) -> None:
    response = world.client.post("/v1/payments", json={}, headers=world.headers("treasury"))
    assert response.status_code == 422
    assert any(e["location"] == "header.Idempotency-Key" for e in response.json()["errors"])


def test_responses_stored_before_the_http_table_existed_still_answer(world: World) -> None:
    """Upgrade: the digital som's old table held the responses; a retry across the upgrade
    gets its first answer, a new key lands in the HTTP layer's own table."""
    engine = world.runtime.service.ctx.engine
    with engine.begin() as conn:
        repository.put_idempotent(conn, "bank_operator:AYIL:teller", "before", "f" * 64, 201,
                                  "application/json", '{"id": "old"}', "2026-12-01T00:00:00+00:00")
    store = response_store(engine, world.runtime.service.ctx.now_iso)
    assert store.get("bank_operator:AYIL:teller", "before") == StoredResponse(
        "f" * 64, 201, "application/json", '{"id": "old"}')
    assert not store.put("bank_operator:AYIL:teller", "before", StoredResponse("0" * 64, 201, "x", "{}"))
    assert store.put("bank_operator:AYIL:teller", "after", StoredResponse("0" * 64, 201, "application/json", "{}"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT key FROM http_idempotency_keys WHERE principal = 'bank_operator:AYIL:teller'"
                                 )).scalars().all() == ["after"]


def test_a_new_installation_reads_only_the_http_table(world: World) -> None:
    store = response_store(world.runtime.service.ctx.engine, world.runtime.service.ctx.now_iso)
    assert isinstance(store, TableResponseStore)
    assert store._earlier is None


def test_a_response_the_table_refuses_is_raised_not_taken_for_one_stored_before(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a (caller, key) answered already means "stored before"; a NOT NULL the row
    breaks (here no creation time) is a broken rule, raised."""
    store = TableResponseStore(world.runtime.service.ctx.engine, world.runtime.service.ctx.now_iso)
    response = StoredResponse("0" * 64, 201, "application/json", "{}")
    assert store.put("treasury", "k-1", response)
    assert not store.put("treasury", "k-1", StoredResponse("1" * 64, 201, "application/json", "{}"))
    monkeypatch.setattr(store, "_now_iso", lambda: None)
    with pytest.raises(IntegrityError):
        store.put("treasury", "k-2", response)
    assert store.get("treasury", "k-1") == response and store.get("treasury", "k-2") is None
