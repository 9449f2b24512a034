"""/v1/por on SQLite and PostgreSQL: a VASP publishes its own root with reserves (checked at
publication), the public reads roots and verdicts and checks a proof; no customer data is
stored and no route serves a proof."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import text

from digisom.api.app import routers
from digisom.api.runtime import Runtime, build
from digisom.por.proof import prove
from digisom.por.reserves import challenge, sign_challenge
from tests.api.world import World
from tests.por.helpers import built

KEY = Account.from_key(bytes([5]) * 32)
TOKEN = "0x" + "11" * 20


class FixedBalances:
    """The chain as the check reads it: KEY holds `units` of the token at every block."""

    def __init__(self) -> None:
        self.units = 1_000

    def chain_id(self) -> int:
        return 56

    def balances_at(self, token: str, addresses: Sequence[str], block: int) -> dict[str, int]:
        assert token == TOKEN
        return {address: self.units if address == KEY.address else 0 for address in addresses}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def por_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[World, FixedBalances]]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    chain = FixedBalances()
    runtime: Runtime = build(data_dir=tmp_path / "data", db_url=db_url, por_chain=chain)
    yield World.create(runtime).setup(), chain
    runtime.close()


def reserves(custodian: str, root: dict[str, Any], units: int) -> dict[str, Any]:
    return {"custodian": custodian, "asset": root["asset"], "date": "2026-12-07", "root": root["root"],
            "chain_id": 56, "token": TOKEN, "block": 100,
            "addresses": [{"address": KEY.address, "balance": units, "signature": sign_challenge(
                KEY.key, challenge(custodian, root["asset"], "2026-12-07", root["root"], KEY.address))}]}


def test_publish_read_and_verify(por_world: tuple[World, FixedBalances]) -> None:
    world, _ = por_world
    with built({"alice-001": 600, "bob-002": 400}) as (out, root):
        proof = prove(out, "alice-001")
        body = {"root": root, "reserves": reserves("vasp-ala-too", root, 1_000)}
        published = world.ok(world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots", body), 201)
    assert published["reserve_check"]["holds"] is True
    assert published["reserve_check"]["reserves"] == published["reserve_check"]["liabilities"] == 1_000
    assert published["root"] == root
    listed = world.ok(world.get(None, "/v1/por/roots"))["items"]
    assert [item["root"]["root"] for item in listed] == [root["root"]]
    assert world.ok(world.get(None, f"/v1/por/roots/{root['root']}"))["reserves"]["addresses"][0]["address"] == \
        KEY.address
    good = world.ok(world.post(None, "/v1/por/verify", {"root_id": root["root"], "proof": proof}))
    assert good == {"valid": True, "reason": None}
    bad = world.ok(world.post(None, "/v1/por/verify", {"root_id": root["root"], "proof": {**proof, "balance": 601}}))
    assert bad["valid"] is False
    assert bad["reason"] == "path sums to 1001, the root's total is 1000"
    unknown = world.post(None, "/v1/por/verify", {"root_id": "00" * 32, "proof": proof})
    assert unknown.status_code == 404
    again = world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots", body)
    assert again.status_code == 409
    # Nothing of a customer is stored: the proof checked above left no trace.
    with world.runtime.service.ctx.engine.connect() as conn:
        stored = " ".join(str(value) for row in conn.execute(text("SELECT * FROM por_roots")) for value in row)
    assert "alice-001" not in stored
    assert proof["nonce"] not in stored


def test_a_shortfall_is_published_and_flagged(por_world: tuple[World, FixedBalances]) -> None:
    world, chain = por_world
    chain.units = 999
    with built({"carol": 1_000}) as (_, root):
        published = world.ok(world.post("other_vasp", "/v1/por/custodians/vasp-issyk/roots",
                                        {"root": root, "reserves": reserves("vasp-issyk", root, 999)}), 201)
    assert published["reserve_check"]["holds"] is False
    assert published["reserve_check"]["problems"] == [
        "shortfall of 1 KGST units: reserves 999 < liabilities 1000"]


def test_only_the_custodian_itself_publishes_and_bad_input_is_422(por_world: tuple[World, FixedBalances]) -> None:
    world, _ = por_world
    with built({"dave": 5}) as (_, root):
        theirs = world.post("vasp", "/v1/por/custodians/vasp-issyk/roots",
                            {"root": root, "reserves": reserves("vasp-issyk", root, 1_000)})
        assert theirs.status_code == 403
        mismatch = world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots",
                              {"root": root, "reserves": reserves("vasp-issyk", root, 1_000)})
        assert mismatch.status_code == 422
        assert "name custodian 'vasp-issyk', not 'vasp-ala-too'" in mismatch.json()["detail"]
        broken = world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots",
                            {"root": {**root, "total": -1}, "reserves": reserves("vasp-ala-too", root, 1_000)})
        assert broken.status_code == 422
        issuer = world.post("issuer_operator", "/v1/por/custodians/usdkg-desk/roots",
                            {"root": root, "reserves": reserves("usdkg-desk", root, 1_000)})
        assert issuer.status_code == 201, issuer.text
    assert world.ok(world.get(None, "/v1/por/roots", custodian_id="vasp-ala-too"))["items"] == []


def test_no_route_serves_a_proof() -> None:
    paths = [route.path for router in routers() for route in router.routes if route.path.startswith("/v1/por")]
    assert sorted(paths) == ["/v1/por/custodians/{custodian_id}/roots", "/v1/por/roots", "/v1/por/roots/{root_id}",
                             "/v1/por/verify"]


def test_without_a_chain_reserves_are_published_as_not_checked(world: World) -> None:
    with built({"erin": 3}) as (_, root):
        document = reserves("vasp-ala-too", root, 1_000)
        document["addresses"][0]["signature"] = sign_challenge(KEY.key, "another text")
        published = world.ok(world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots",
                                        {"root": root, "reserves": document}), 201)
    assert published["reserve_check"]["holds"] is False
    assert published["reserve_check"]["problems"][0] == "reserves not checked: no chain is configured for this asset"
    assert published["reserve_check"]["problems"][1].startswith(f"bad signature for {KEY.address}")


def test_roots_come_in_pages_newest_first(por_world: tuple[World, FixedBalances]) -> None:
    world, _ = por_world
    published = []
    for n in range(5):
        with built({f"customer-{n}": 100 + n}) as (_, root):
            world.ok(world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots",
                                {"root": root, "reserves": reserves("vasp-ala-too", root, 1_000)}), 201)
            published.append(root["root"])
    whole = world.ok(world.get(None, "/v1/por/roots", limit=200))
    assert whole["next_cursor"] is None
    assert sorted(item["root"]["root"] for item in whole["items"]) == sorted(published)
    assert [item["published_at"] for item in whole["items"]] == sorted(
        (item["published_at"] for item in whole["items"]), reverse=True)
    seen, cursor, pages = [], None, 0
    while True:
        page = world.ok(world.get(None, "/v1/por/roots", limit=2, **({"cursor": cursor} if cursor else {})))
        seen += [item["root"]["root"] for item in page["items"]]
        pages += 1
        if (cursor := page["next_cursor"]) is None:
            break
    assert pages == 3
    assert seen == [item["root"]["root"] for item in whole["items"]]
    assert world.get(None, "/v1/por/roots", cursor="not-a-cursor").status_code == 422
    assert world.get(None, "/v1/por/roots", limit=201).status_code == 422
