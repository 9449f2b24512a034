"""Rail 2 in `digisom serve --merchant-chain embedded` (the app built by the same
`ServeSettings` as serve): the KGST bridge's feed is rail 2's, so a transfer to the
redemption address from an address one hop from a listed one is held for two officers
(recorded, not redeemed) and redeemed once after they clear it; a listed sender is
stopped; a clean linked sender is redeemed once. Links, records and the review go through
the served API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import pytest

from digisom.cbdc.model import HolderKind
from digisom.chain.keys import generate_key
from digisom.chain.transactor import Transactor
from digisom.demos.merchants import AYIL_OPERATOR, BANK, DEPTH, Karakol
from digisom.kernel.access import Role
from digisom.stablecoin.model import State

ROUND_S: Final = 3600.0  # the worker's first round only: the test runs the rounds itself
LIST_ENTITY: Final = "synthetic-rail2-wallet"


class Served:
    """The served town, the senders' keys and the mother's wallet."""

    def __init__(self, town: Karakol, keys: dict[str, Any], mother: str) -> None:
        self.town = town
        self.keys = keys
        self.mother = mother

    def rounds(self, count: int = DEPTH + 2) -> None:
        """Worker rounds as serve runs them: a block, the invoices, the bridge (rail 2's feed)."""
        for _ in range(count):
            self.town.rail.run_once()

    def send(self, holder: str, to: str, amount_units: int) -> None:
        rail = self.town.rail
        assert rail.chain is not None and rail.kgst_abi is not None
        data = rail.kgst_abi.fn("transfer").encode(to, amount_units)
        Transactor(rail.chain, self.keys[holder]).send(rail.kgst_address, data)

    def address(self, holder: str) -> str:
        return str(self.keys[holder].address)

    def headers(self, role: Role, subject: str, key: str | None = None) -> dict[str, str]:
        bank = BANK if role is Role.BANK_OPERATOR else None
        token = self.town.runtime.issuer.issue(role, subject, bank, 600)
        return {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})

    def post(self, path: str, body: dict[str, Any], role: Role, subject: str, key: str) -> Any:
        return self.town.client.post(path, json=body, headers=self.headers(role, subject, key))

    def inbound(self) -> dict[str, dict[str, Any]]:
        """Rail 2's records as an officer reads them, by sender."""
        found = self.town.client.get("/v1/remittances/chain/inbound", headers=self.headers(
            Role.COMPLIANCE_OFFICER, "officer-1"))
        assert found.status_code == 200, found.text
        return {i["sender"]: i for i in found.json()["items"]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve-rail2")
    keys = {holder: generate_key() for holder in ("clean", "listed", "exposed")}
    listed = folder / "synthetic.ftm.json"
    listed.write_text(json.dumps({"id": LIST_ENTITY, "schema": "CryptoWallet",
                                  "properties": {"publicKey": [keys["listed"].address]}}) + "\n", encoding="utf-8")
    town = Karakol.open(folder / "data", round_s=ROUND_S, sanctions_lists=(str(listed),))
    try:
        mother = town.runtime.service.open_wallet(AYIL_OPERATOR, "rail2-mother", "mother-naryn",
                                                  HolderKind.INDIVIDUAL, 2, "Gulnara Sydykova", "+996555010204",
                                                  "2580", None)
        yield Served(town, keys, mother.id)
    finally:
        town.close()


def test_served_rail2_holds_one_hop_stops_listed_redeems_clean_once(served: Served) -> None:
    town, bridge, gateway = served.town, served.town.rail.bridge, served.town.rail.gateway
    assert bridge is not None and gateway is not None
    mint = bridge.request_mint("rail2-mint", town.exchange_wallet, served.address("clean"), 300_00)
    served.rounds()
    assert bridge.operation(mint.id).state is State.POSTED
    served.send("clean", served.address("listed"), 100_00)  # the listed address gets tokens on-chain
    served.send("listed", served.address("exposed"), 30_00)  # one hop from it
    for n, holder in enumerate(("clean", "listed", "exposed")):  # the mother's bank links each sender
        linked = served.post("/v1/remittances/chain/links", {"wallet_id": served.mother,
                             "address": served.address(holder).lower()}, Role.BANK_OPERATOR, "ayil-ops", f"l-{n}")
        assert linked.status_code == 201 and linked.json()["address"] == served.address(holder), linked.text
    redemption = gateway.redemption_address
    before = town.balance_tyiyn(served.mother)
    served.send("clean", redemption, 150_00)
    served.send("listed", redemption, 50_00)
    served.send("exposed", redemption, 20_00)
    served.rounds()

    assert town.balance_tyiyn(served.mother) - before == 150_00  # only the clean sender's
    seen = served.inbound()
    clean, listed, exposed = (seen[served.address(h)] for h in ("clean", "listed", "exposed"))
    assert (clean["decision"], clean["status"], clean["wallet_id"]) == ("clear", "passed", served.mother)
    assert (listed["decision"], listed["status"]) == ("hit", "stopped") and LIST_ENTITY in listed["reason"]
    assert (exposed["decision"], exposed["status"], exposed["amount_token_units"]) == ("review", "held", "2000")
    assert "address-one-hop" in exposed["reason"]

    # Two officers decide the held transfer's review in the one compliance queue.
    officer = served.headers(Role.COMPLIANCE_OFFICER, "officer-1")
    (review,) = [r for r in town.client.get("/v1/compliance/reviews", headers=officer).json()["items"]
                 if r["context"] == "remittance_chain"]
    assert review["subject"].lower() == served.address("exposed").lower()
    decision = {"outcome": "cleared", "reason": "the exposure is a one-off purchase, documented"}
    path = f"/v1/compliance/reviews/{review['review_id']}"
    assert served.post(f"{path}/propose", decision, Role.COMPLIANCE_OFFICER, "officer-1", "p-1").status_code == 200
    approved = served.post(f"{path}/approve", decision, Role.COMPLIANCE_OFFICER, "officer-2", "a-1")
    assert approved.status_code == 200 and approved.json()["release"]["status"] == "done", approved.text
    assert served.inbound()[served.address("exposed")]["status"] == "cleared"
    assert town.balance_tyiyn(served.mother) - before == 150_00  # handed on at the next poll, not before

    served.rounds()
    assert town.balance_tyiyn(served.mother) - before == 170_00
    assert served.inbound()[served.address("exposed")]["status"] == "released"
    served.rounds()  # more rounds redeem nothing twice; the listed sender's tokens stay
    assert town.balance_tyiyn(served.mother) - before == 170_00
    assert served.inbound()[served.address("listed")]["status"] == "stopped"
    assert gateway.balance_of(redemption) == 50_00
    report = bridge.reserve_report()
    assert report.balanced and report.supply_tyiyn == report.reserve_tyiyn

