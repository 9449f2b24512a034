"""Rail 2's routes (`/v1/remittances/chain`), attacked: a bank links senders to its own
wallets only (another bank's wallet answers as one that does not exist, and nothing is
linked), never takes over a sender another wallet has; officers and auditors read what
arrived, a bank only what arrived for its own wallets and without the compliance desk's
reason and officer; a process without rail 2 links nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final, NamedTuple

import pytest

from digisom.api.remittance_chain_wiring import Rail2, ServedRail2, onchain_rail
from digisom.api.runtime import build
from digisom.api.screening_wiring import build_desk
from digisom.remittance.onchain import OnchainRail, TokenTransfer
from digisom.stablecoin.repository import token_key
from tests.api.world import World
from tests.security.kgst_bridge import kgst_bridge

LINKS: Final = "/v1/remittances/chain/links"
INBOUND: Final = "/v1/remittances/chain/inbound"
SENDER: Final = "0x" + "5e" * 20
SENDER_REFUSED: Final = "0x" + "6f" * 20
PROBLEMS: Final = "https://digisom.kg/problems/"


class Served(NamedTuple):
    world: World
    rail: OnchainRail
    token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The API as serve builds it with rail 2 (`remittance_chain`), over a KGST bridge
    (one per module: each test links its own sender addresses)."""
    rail2 = ServedRail2()
    runtime = build(data_dir=tmp_path_factory.mktemp("rail2-routes") / "data", remittance_chain=rail2)
    try:
        world = World.create(runtime).setup()
        engine = runtime.service.ctx.engine
        with kgst_bridge(world) as kgst:
            rail = onchain_rail(engine, build_desk(engine, []))
            token = token_key(kgst.gateway.chain_id, kgst.gateway.address)
            rail2.runs(Rail2(runtime.service.ctx, kgst.bridge, rail, token))
            yield Served(world, rail, token)
    finally:
        runtime.close()


def test_a_bank_links_senders_to_its_own_wallets_only(served: Served) -> None:
    world, rail, _ = served
    theirs = {"wallet_id": world.wallets["pensioner"], "address": SENDER}  # a wallet of Ayil Bank
    refused = world.post("second_bank", LINKS, theirs)
    unknown = world.post("second_bank", LINKS, theirs | {"wallet_id": "w" + "a" * 24})
    for response in (refused, unknown):
        assert response.status_code == 404 and response.json()["type"] == PROBLEMS + "remittance-wallet-not-found"
    assert rail.linked_wallet(SENDER) is None
    linked = world.post("commercial_bank", LINKS, theirs)
    assert linked.status_code == 201 and rail.linked_wallet(SENDER) == world.wallets["pensioner"]
    # Another bank cannot take the sender over into its own customer's wallet.
    taken = world.post("second_bank", LINKS, {"wallet_id": world.wallets["treasury"], "address": SENDER})
    assert taken.status_code == 409 and rail.linked_wallet(SENDER) == world.wallets["pensioner"]


@pytest.mark.parametrize("who", ["pensioner", "merchant_operator", "partner", "officer", "central_bank", None])
def test_only_a_bank_links(served: Served, who: str | None) -> None:
    world, rail, _ = served
    body = {"wallet_id": world.wallets["pensioner"], "address": SENDER_REFUSED}
    assert world.post(who, LINKS, body).status_code == (401 if who is None else 403)
    assert rail.linked_wallet(SENDER_REFUSED) is None


@pytest.mark.parametrize(("who", "status"), [("officer", 200), ("auditor", 200), ("commercial_bank", 200),
                                             ("partner", 403), ("pensioner", 403), (None, 401)])
def test_officers_auditors_and_banks_read_what_arrived(served: Served, who: str | None,
                                                      status: int) -> None:
    world, _, _ = served
    assert world.get(who, INBOUND).status_code == status
    assert world.get("officer", INBOUND, status="sideways").status_code == 422


def test_a_bank_reads_only_what_arrived_for_its_own_wallets_and_not_the_desks_notes(served: Served) -> None:
    world, rail, token = served
    ayil_sender, bakai_sender, unlinked = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20
    assert world.post("commercial_bank", LINKS, {"wallet_id": world.wallets["pensioner"],
                                                 "address": ayil_sender}).status_code == 201
    assert world.post("second_bank", LINKS, {"wallet_id": world.wallets["treasury"],
                                             "address": bakai_sender}).status_code == 201
    for n, sender in enumerate((ayil_sender, bakai_sender, unlinked)):
        rail.admit(token, TokenTransfer(f"0x{n + 1:064x}", 0, 100 + n, sender, "0x" + "00" * 20), 10**18)
    everything = world.ok(world.get("officer", INBOUND))["items"]
    assert {i["sender"].lower() for i in everything} >= {ayil_sender, bakai_sender, unlinked}
    for bank, wallet, sender in (("commercial_bank", "pensioner", ayil_sender),
                                 ("second_bank", "treasury", bakai_sender)):
        (mine,) = world.ok(world.get(bank, INBOUND))["items"]
        assert (mine["wallet_id"], mine["sender"].lower()) == (world.wallets[wallet], sender)
        assert mine["reason"] is None and mine["officer"] is None
        assert mine["status"] == "passed" and mine["amount_token_units"] == str(10**18)
        # The status filter narrows the bank's own list, never widens it.
        assert world.ok(world.get(bank, INBOUND, status="held"))["items"] == []
    officer_view = next(i for i in everything if i["sender"].lower() == ayil_sender)
    assert officer_view["reason"] is not None and officer_view["officer"] == ""


def _all_pages(world: World, who: str, limit: int) -> list[dict[str, object]]:
    """Every page `who` reads of what arrived, following `next_cursor` to the end."""
    pages = []
    params: dict[str, object] = {"limit": limit}
    while len(pages) < 100:
        page = world.ok(world.get(who, INBOUND, **params))
        assert len(page["items"]) <= limit
        pages.append(page)
        if page["next_cursor"] is None:
            return pages
        params["cursor"] = page["next_cursor"]
    raise AssertionError("the pages never ended")


def _ids(pages: list[dict[str, Any]]) -> list[str]:
    return [i["inbound_id"] for page in pages for i in page["items"]]


def test_what_arrived_comes_a_page_at_a_time_and_a_banks_pages_hold_only_its_own(served: Served) -> None:
    world, rail, token = served
    ayil_sender, bakai_sender = "0x" + "a7" * 20, "0x" + "b8" * 20
    assert world.post("commercial_bank", LINKS, {"wallet_id": world.wallets["pensioner"],
                                                 "address": ayil_sender}).status_code == 201
    assert world.post("second_bank", LINKS, {"wallet_id": world.wallets["treasury"],
                                             "address": bakai_sender}).status_code == 201
    # Two per block, after the other tests' blocks: Ayil Bank's first four, then 25 of
    # Bakai's (more than a bank's page reads), then Ayil Bank's last.
    for n in range(30):
        sender = ayil_sender if n < 4 or n == 29 else bakai_sender
        rail.admit(token, TokenTransfer(f"0x{0xbeef00 + n:064x}", n % 2, 1_000 + n // 2, sender, "0x" + "00" * 20),
                   10**18)
    everything = world.ok(world.get("officer", INBOUND, limit=200))["items"]
    pages = _all_pages(world, "officer", 7)
    assert _ids(pages) == [i["inbound_id"] for i in everything] and len(pages) == len(everything) // 7 + 1

    ayil_whole = world.ok(world.get("commercial_bank", INBOUND, limit=200))["items"]
    assert {i["wallet_id"] for i in ayil_whole} == {world.wallets["pensioner"]}
    assert sum(i["sender"].lower() == ayil_sender for i in ayil_whole) == 5
    ayil_pages = _all_pages(world, "commercial_bank", 1)
    assert _ids(ayil_pages) == [i["inbound_id"] for i in ayil_whole]
    # The 25 rows of another bank's between Ayil Bank's fourth and fifth are more than one
    # page reads at a limit of 1: it answers short, and its cursor carries on past them.
    assert any(page["items"] == [] and page["next_cursor"] for page in ayil_pages)

    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "c1:7"}, {"cursor": "x" * 101}):
        refused = world.get("officer", INBOUND, **bad)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("address", ["0x12", "0x" + "zz" * 20, "5e" * 21, "0x" + "5e" * 20 + "\n"])
def test_an_address_out_of_form_is_refused(served: Served, address: str) -> None:
    world, _, _ = served
    response = world.post("commercial_bank", LINKS, {"wallet_id": world.wallets["pensioner"], "address": address})
    assert response.status_code == 422


def test_a_process_without_rail_2_links_nothing(world: World) -> None:
    body = {"wallet_id": world.wallets["pensioner"], "address": SENDER}
    refused = world.post("commercial_bank", LINKS, body)
    assert refused.status_code == 409 and refused.json()["type"] == PROBLEMS + "remittance-chain-not-running"
    assert world.ok(world.get("officer", INBOUND)) == {"items": [], "next_cursor": None}
