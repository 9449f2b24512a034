"""The national crypto reserve chapter of `digisom demo`, on the in-process EVM.

BNB and KGST move into the reserve's 2-of-3 `ReserveMultisig` wallet; an officer proposes a
transfer of 1 BNB out to the allow-listed exchange account; one approval is not enough (the
API refuses to execute, and the wallet itself refuses the one signature on chain); a second
officer approves and it executes. The observer books every move in the reserve's ledgers
and the holdings are valued in som at the price desk's signed prices. The holdings are then
published with proof of control (the wallet's EIP-1271 signature by two owners, the hot
wallet's EIP-191 signature), re-checked at their block with the same code as `digisom
reserve verify`, and a tampered copy fails. The closing check is False on any mismatch.

Keys and the chain are made fresh (nothing of value leaves this process), so the chapter is
told once per world; a second run on the same `--data` folder checks the books it left.
"""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from rich.console import Console

from digisom.api.reserve_wiring import ReserveSetup
from digisom.chain.contracts import kgst_artifact, reserve_multisig_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.keys import generate_key
from digisom.chain.kgst import KgstRoles, deploy_kgst
from digisom.chain.model import TxRequest
from digisom.chain.reserve_multisig import HeadReserveReader, MultisigCustody, MultisigWallet
from digisom.chain.transactor import Transactor, sign
from digisom.demos.world import DemoWorld
from digisom.kernel.access import Role
from digisom.money import KGS, Money
from digisom.reserve import publication
from digisom.reserve.errors import MultisigRefused
from digisom.reserve.policy import parse_policy
from digisom.reserve.prices import SignedFilePrices, sign_prices
from digisom.reserve.publisher import signed_publication
from digisom.reserve.typed import MultisigTx, sign_typed

BNB_CHAIN_ID: Final = 56
BNB: Final = 10**18
KGST_DECIMALS: Final = 2
OFFICERS: Final = ("aigul", "bakyt", "cholpon")
INFLOW_WEI: Final = 5 * BNB
KGST_INFLOW_UNITS: Final = 250_000_00  # 250,000 KGST
MOVE_WEI: Final = BNB
HOT_WALLET_WEI: Final = BNB // 2
PRICES_TYIYN: Final = {"BNB": 65_123_456_789, "KGST": 100}  # per whole coin: 651,234,567.89 som; 1 som
STALENESS_S: Final = 3600


def _policy_text(wallet: str, kgst: str, officers: dict[str, Any], exchange: str) -> str:
    people = "\n".join(f'[[officers]]\nid = "{o}"\naddress = "{officers[o].address}"\n' for o in OFFICERS)
    return f"""chain_id = {BNB_CHAIN_ID}
wallet = "{wallet}"
time_lock_s = 0
approval_window_s = 86400
{people}
[[assets]]
symbol = "BNB"
decimals = 18
destinations = ["{exchange}"]
bands = [{{ up_to_units = "{100 * BNB}", approvals = 2 }}]

[[assets]]
symbol = "KGST"
token = "{kgst}"
decimals = {KGST_DECIMALS}
destinations = ["{exchange}"]
bands = [{{ up_to_units = "{10**12}", approvals = 2 }}]
"""


def run_reserve_demo(world: DemoWorld, out_dir: Path | None, console: Console) -> bool:
    """Tell the reserve's story; True if every check held. Told once per world: the wallet
    and its chain live only in this process (docs/demo.md)."""
    console.rule("The national crypto reserve: M-of-N custody, books in som, published proof of control")
    if world.told("reserve"):
        return world.retell("reserve", console)
    with tempfile.TemporaryDirectory(prefix="digisom-reserve-") as scratch:
        told = _tell(world, Path(scratch), out_dir, console)
    world.mark_told("reserve")
    return told


def _tell(world: DemoWorld, scratch: Path, out_dir: Path | None, console: Console) -> bool:
    chain = EmbeddedChain(BNB_CHAIN_ID)
    relayer, issuer, hot, exchange = generate_key(), generate_key(), generate_key(), generate_key()
    officers = {o: generate_key() for o in OFFICERS}
    chain.fund(relayer.address, 100 * BNB)
    multisig = reserve_multisig_artifact()
    wallet = MultisigWallet.deploy(Transactor(chain, relayer), [officers[o].address for o in OFFICERS], 2,
                                   [exchange.address], 0, multisig)
    kgst = kgst_artifact()
    token = deploy_kgst(Transactor(chain, issuer), kgst, "KGST Kyrgyz Som", "KGST", KGST_DECIMALS,
                        KgstRoles(issuer.address, issuer.address, issuer.address, issuer.address, issuer.address))
    minter = Transactor(chain, issuer)
    minter.send(token.address, kgst.abi.fn("configureMinter").encode(issuer.address, KGST_INFLOW_UNITS))
    minter.send(token.address, kgst.abi.fn("mint").encode(wallet.address, KGST_INFLOW_UNITS))
    paid = sign(relayer, BNB_CHAIN_ID, TxRequest(wallet.address, b"", 100_000, INFLOW_WEI),
                chain.nonce(relayer.address), chain.fees())
    chain.broadcast(paid.raw)
    chain.fund(hot.address, HOT_WALLET_WEI)
    console.print(f"  the reserve's 2-of-3 wallet {wallet.address} receives 5 BNB and "
                  f"{Money(KGST_INFLOW_UNITS, KGS).major_units()} KGST; a hot wallet holds 0.5 BNB")
    policy = parse_policy(_policy_text(wallet.address, token.address, officers, exchange.address))
    desk = Ed25519PrivateKey.generate()
    prices_file = scratch / "prices.json"
    prices_file.write_text(json.dumps(sign_prices(desk, datetime.now(UTC), PRICES_TYIYN)))
    reader = HeadReserveReader(chain, multisig)
    setup = ReserveSetup(policy, MultisigCustody(wallet, Transactor(chain, relayer)),
                         prices=SignedFilePrices(prices_file, desk.public_key(), STALENESS_S,
                                                 lambda: datetime.now(UTC)),
                         reader=reader, chain=chain, observe_every_s=None)
    runtime = world.build(reserve=setup)
    checks: dict[str, bool] = {}
    try:
        client = TestClient(runtime.app)

        def headers(officer: str, key: str | None = None) -> dict[str, str]:
            token_text = runtime.issuer.issue(Role.RESERVE_OFFICER, officer)
            return {"Authorization": f"Bearer {token_text}"} | ({"Idempotency-Key": key} if key else {})

        run = wallet.address.lower()  # a fresh wallet per run: its keys never clash with an earlier run's
        proposal = client.post("/v1/reserve/proposals", headers=headers("aigul", f"{run}-move"),
                               json={"asset": "BNB", "destination": exchange.address, "amount_units": str(MOVE_WEI)})
        made = proposal.json()
        path = f"/v1/reserve/proposals/{made['proposal_id']}"
        tx = made["transaction"]
        multisig_tx = MultisigTx(tx["chain_id"], tx["wallet"], tx["to"], int(tx["value"]),
                                 bytes.fromhex(tx["data"][2:]), tx["nonce"])
        first = sign_typed(officers["aigul"].key, multisig_tx.typed_data())
        client.post(f"{path}/approvals", headers=headers("aigul", f"{run}-a1"), json={"signature": "0x" + first.hex()})
        too_few = client.post(f"{path}/executions", headers=headers("aigul", f"{run}-x1"))
        try:
            wallet.execute(Transactor(chain, relayer), multisig_tx, first)
            refused_on_chain = False
        except MultisigRefused:
            refused_on_chain = True
        checks["one approval refused by the API and by the wallet"] = too_few.status_code == 422 and refused_on_chain
        console.print(f"  aigul proposes 1 BNB to the exchange and approves; executing with one approval: "
                      f"API {too_few.status_code} ({too_few.json().get('type', '').rsplit('/', 1)[-1]}), "
                      f"on chain {'refused' if refused_on_chain else 'ACCEPTED'}")
        second = sign_typed(officers["bakyt"].key, multisig_tx.typed_data())
        client.post(f"{path}/approvals", headers=headers("bakyt", f"{run}-a2"), json={"signature": "0x" + second.hex()})
        done = client.post(f"{path}/executions", headers=headers("bakyt", f"{run}-x2")).json()
        moved = chain.balance(exchange.address)
        checks["two approvals execute"] = done.get("state") == "executed" and moved == MOVE_WEI
        console.print(f"  bakyt approves: {done.get('state')}; the exchange holds {moved} wei")

        runtime_watch = _observer_round(runtime, setup)
        holdings = client.get("/v1/reserve/holdings", headers=headers("aigul")).json()
        books = {h["asset"]: int(h["posted_units"]) for h in holdings["items"]}
        on_chain = {"BNB": chain.balance(wallet.address),
                    "KGST": int(kgst.abi.fn("balanceOf").decode(chain.call(token.address, kgst.abi.fn(
                        "balanceOf").encode(wallet.address)))[0])}
        checks["books equal the chain"] = runtime_watch and books == on_chain == {
            "BNB": INFLOW_WEI - MOVE_WEI, "KGST": KGST_INFLOW_UNITS}
        checks["valued in som"] = holdings["total_value_tyiyn"] == str(4 * PRICES_TYIYN["BNB"] + KGST_INFLOW_UNITS)
        for line in holdings["items"]:
            console.print(f"  books: {line['asset']} {line['posted_units']} units = "
                          f"{Money(int(line['value_tyiyn'] or 0), KGS).format()} at the signed price")

        document = signed_publication(datetime.now(UTC).date().isoformat(), reader, chain.block_number(),
                                      list(policy.assets.values()), wallet.address,
                                      [bytes(officers[o].key) for o in ("aigul", "cholpon")], [bytes(hot.key)])
        posted = client.post("/v1/reserve/publications", headers=headers("aigul", f"{run}-publication"), json=document)
        public = TestClient(runtime.app).get(f"/v1/reserve/publications/{document['root']}")
        failures = publication.verify(public.json(), reader) if public.status_code == 200 else ["not published"]
        tampered = copy.deepcopy(document)
        tampered["holdings"][0]["balance_units"] = "1"
        caught = publication.verify(tampered, reader)
        checks["published and re-checked"] = posted.status_code == 201 and failures == []
        checks["a tampered copy fails"] = any(f.startswith("balance:") for f in caught)
        console.print(f"  published at block {document['block']}, root {document['root'][:16]}...: "
                      f"re-checked {failures or 'OK'}; a copy with one balance changed: "
                      f"{len(caught)} failures ({caught[0].split(':')[0] if caught else 'none'})")
        if out_dir is not None:
            (out_dir / "reports").mkdir(parents=True, exist_ok=True)
            (out_dir / "reports" / "reserve-publication.json").write_text(json.dumps(document, indent=2))
    finally:
        runtime.close()
    for name, held in checks.items():
        console.print(f"  check: {name}: " + ("[green]yes[/green]" if held else "[red]NO[/red]"))
    return len(checks) == 6 and all(checks.values())


def _observer_round(runtime: Any, setup: ReserveSetup) -> bool:
    """One round of the observer worker (the demo does not wait for its period)."""
    from digisom.api.reserve_wiring import observer_of  # noqa: PLC0415

    watcher = observer_of(runtime.app)
    if watcher is None:
        return False
    watcher.round()
    return True
