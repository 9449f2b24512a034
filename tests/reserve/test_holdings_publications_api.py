"""GET /v1/reserve/holdings values each asset in som at the signed price (integer tyiyn)
and flags a stale price instead of using it; the watched Bitcoin address is listed with its
balance and `control_proven: false`. POST /v1/reserve/publications keeps only a publication
that re-checks at its block (idempotent by key; a tampered balance, a signature over another
root and a wrong owner list are refused naming the discrepancy); anyone reads them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.api.reserve_wiring import ReserveSetup
from digisom.api.runtime import Runtime, build
from digisom.chain.model import TxRequest
from digisom.chain.reserve_multisig import HeadReserveReader
from digisom.chain.transactor import sign
from digisom.ledger.service import Ledger
from digisom.reserve import publication
from digisom.reserve.bitcoin import descriptor_checksum
from digisom.reserve.bitcoin_balances import FileBitcoinBalances
from digisom.reserve.bitcoin_observer import BitcoinObserver
from digisom.reserve.books import Books
from digisom.reserve.observer import Observer
from digisom.reserve.policy import parse_policy
from digisom.reserve.prices import SignedFilePrices, sign_prices
from digisom.reserve.publication import BitcoinLine
from digisom.reserve.publisher import signed_publication
from digisom.stores.url import open_store
from tests.api.world import World
from tests.reserve.conftest import key
from tests.reserve.reserve_world import BNB, OFFICERS, ReserveWorld, officer_key, policy_text
from tests.reserve.test_api import reserve

__all__ = ["reserve"]

BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BTC_SATS = 150_000_000  # 1.5 BTC
BTC_HEIGHT = 870_000
BNB_TYIYN = 65_123_456_789  # 651,234,567.89 som per BNB (a round figure would hide a units slip)
BTC_TYIYN = 900_000_000_000
INFLOW_WEI = 2 * BNB + 1  # one wei: its value rounds down to nothing
LIMIT_S = 3600
PRICED_AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = PRICED_AT + timedelta(minutes=5)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(tmp_path: Path, reserve: ReserveWorld, clock: Clock) -> Iterator[World]:
    chain = reserve.backend.chain
    relayer = key("relayer")
    paid = sign(relayer, chain.chain_id(), TxRequest(reserve.wallet.address, b"", 100_000, INFLOW_WEI),
                chain.nonce(relayer.address), chain.fees())
    chain.broadcast(paid.raw)
    descriptor = f"addr({BTC_ADDRESS})"
    policy = parse_policy(policy_text(chain.chain_id(), reserve.wallet.address)
                          + f'\n[[bitcoin]]\ndescriptor = "{descriptor}#{descriptor_checksum(descriptor)}"\n')
    books = Books(Ledger(open_store("memory:")))
    Observer(reserve.engine, books, chain, 1).sync(policy.asset("BNB"), reserve.wallet.address)
    (tmp_path / "btc.json").write_text(json.dumps({"height": BTC_HEIGHT, "balances": {BTC_ADDRESS: str(BTC_SATS)}}))
    BitcoinObserver(books, FileBitcoinBalances(tmp_path / "btc.json")).observe(policy.bitcoin[0])
    desk = Ed25519PrivateKey.generate()
    (tmp_path / "prices.json").write_text(json.dumps(sign_prices(desk, PRICED_AT, {"BNB": BNB_TYIYN,
                                                                                    "BTC": BTC_TYIYN})))
    setup = ReserveSetup(policy, reserve.custody, books,
                         prices=SignedFilePrices(tmp_path / "prices.json", desk.public_key(), LIMIT_S,
                                                 lambda: clock.now),
                         bitcoin=FileBitcoinBalances(tmp_path / "btc.json"),
                         reader=HeadReserveReader(chain))  # type: ignore[arg-type]
    runtime: Runtime = build(data_dir=tmp_path / "data", reserve=setup)
    yield World.create(runtime)
    runtime.close()


def test_holdings_are_valued_in_tyiyn_and_a_stale_price_is_flagged_not_used(world: World, clock: Clock) -> None:
    answer = world.ok(world.get("auditor", "/v1/reserve/holdings"))
    bnb, btc = answer["items"]
    assert bnb["posted_units"] == str(INFLOW_WEI)
    assert bnb["value_tyiyn"] == str(2 * BNB_TYIYN) and bnb["price_refused"] is None
    assert btc["asset"] == "BTC" and btc["custody"] == "watch-only" and btc["control_proven"] is False
    assert btc["posted_units"] == str(BTC_SATS) and btc["value_tyiyn"] == str(BTC_TYIYN * 3 // 2)
    assert (btc["source_units"], btc["at_height"]) == (str(BTC_SATS), BTC_HEIGHT)
    assert answer["total_value_tyiyn"] == str(2 * BNB_TYIYN + BTC_TYIYN * 3 // 2)
    clock.now = PRICED_AT + timedelta(seconds=LIMIT_S + 1)
    stale = world.ok(world.get("reserve_officer", "/v1/reserve/holdings"))
    assert [line["price_refused"] for line in stale["items"]] == ["price-stale", "price-stale"]
    assert all(line["value_tyiyn"] is None for line in stale["items"]) and stale["total_value_tyiyn"] is None
    assert world.get("vasp", "/v1/reserve/holdings").status_code == 403


def _signed(reserve: ReserveWorld, owners: tuple[str, ...] = OFFICERS[:2]) -> dict[str, Any]:
    chain = reserve.backend.chain
    descriptor = f"addr({BTC_ADDRESS})"
    watched = BitcoinLine(f"{descriptor}#{descriptor_checksum(descriptor)}", BTC_ADDRESS, BTC_SATS, BTC_HEIGHT)
    return signed_publication("2026-12-07", HeadReserveReader(chain), chain.block_number(),  # type: ignore[arg-type]
                              list(reserve.policy.assets.values()), reserve.wallet.address,
                              [bytes(officer_key(o).key) for o in owners], [bytes(key("hot wallet").key)], [watched])


def test_a_publication_is_kept_once_and_read_by_anyone(world: World, reserve: ReserveWorld, tmp_path: Path) -> None:
    reserve.backend.fund(key("hot wallet").address, 3 * BNB)
    document = _signed(reserve)
    made = world.ok(world.post("reserve_officer", "/v1/reserve/publications", document, key="pub-1"), 201)
    again = world.post("reserve_officer", "/v1/reserve/publications", document, key="pub-1")
    assert again.status_code == 201 and again.json() == made
    other_key = world.post("second_reserve_officer", "/v1/reserve/publications", document, key="pub-2")
    assert other_key.status_code == 409 and other_key.json()["type"].endswith("reserve-publication-exists")
    assert world.post("auditor", "/v1/reserve/publications", document).status_code == 403
    assert world.post(None, "/v1/reserve/publications", document).status_code == 401
    listed = world.ok(world.get(None, "/v1/reserve/publications"))["items"]
    assert [p["root"] for p in listed] == [document["root"]]
    assert {"asset": "BTC", "control_proven": False, "height": BTC_HEIGHT}.items() <= document["holdings"][-1].items()
    one = world.ok(world.get(None, f"/v1/reserve/publications/{document['root']}"))
    assert one == document and publication.verify(one, HeadReserveReader(reserve.backend.chain),  # type: ignore[arg-type]
                                                  FileBitcoinBalances(tmp_path / "btc.json")) == []
    assert world.get(None, f"/v1/reserve/publications/{'0' * 64}").status_code == 404


def test_tampered_publications_are_refused_naming_the_discrepancy(world: World, reserve: ReserveWorld) -> None:
    document = _signed(reserve)
    inflated = copy.deepcopy(document)
    inflated["holdings"][0]["balance_units"] = str(int(inflated["holdings"][0]["balance_units"]) + 1)
    lines, _ = publication.parse(inflated)
    inflated["root"] = publication.holdings_root(lines)  # a consistent root: only the chain can tell
    more_btc = copy.deepcopy(document)
    btc_line = next(h for h in more_btc["holdings"] if h["asset"] == "BTC")
    btc_line["balance_units"] = str(BTC_SATS + 1)
    more_btc["root"] = publication.holdings_root(publication.parse(more_btc)[0])
    other_root = copy.deepcopy(document)
    other_root["proofs"] = _signed_over_other_root(reserve, document)
    wrong_owners = copy.deepcopy(document)
    wrong_owners["wallets"][0]["owners"][0] = key("stranger").address
    one_owner = _signed(reserve, OFFICERS[:1])
    for tampered, named in ((inflated, "balance:"), (other_root, "proof:"), (wrong_owners, "owners:"),
                            (one_owner, "EIP-1271"), (more_btc, f"balance: BTC at {BTC_ADDRESS} is {BTC_SATS}")):
        answer = world.post("reserve_officer", "/v1/reserve/publications", tampered)
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"].endswith("reserve-publication-invalid")
        assert any(named in failure for failure in answer.json()["failures"]), (named, answer.json())
    assert world.ok(world.get(None, "/v1/reserve/publications"))["items"] == []


def _signed_over_other_root(reserve: ReserveWorld, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The proofs of a publication whose holdings differ (one wei more): valid signatures, another root."""
    reserve.backend.fund(key("hot wallet").address, 1)  # the in-process chain changes state in place
    proofs = _signed(reserve)["proofs"]
    reserve.backend.fund(key("hot wallet").address, 0)
    assert proofs != document["proofs"]
    return list(proofs)


def test_publications_come_in_pages_newest_first(world: World, reserve: ReserveWorld) -> None:
    """The list used to stop at the newest hundred."""
    roots = []
    for n in range(3):
        reserve.backend.fund(key("hot wallet").address, BNB + n)  # another balance, another root
        document = _signed(reserve)
        world.ok(world.post("reserve_officer", "/v1/reserve/publications", document, key=f"paged-{n}"), 201)
        roots.append(document["root"])
    seen, params = [], {"limit": 2}
    for _ in range(3):
        page = world.ok(world.get(None, "/v1/reserve/publications", **params))
        seen += [p["root"] for p in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    assert sorted(seen) == sorted(roots) and len(seen) == 3
