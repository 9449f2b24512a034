"""A merchant-invoice world on the KGST bridge world of tests/stablecoin: the bridge, its
ledger and wallets ("merchant" is the café's wallet), KGST on a chain, and the invoice
service wired as the composition root wires it (ChainRail, BridgeSettlement), with a
screening fake and a fixed clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from digisom.api.merchants_wiring import BridgeSettlement, ChainRail
from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.protocol import Chain
from digisom.chain.transactor import Transactor
from digisom.merchants import migrations
from digisom.merchants.addresses import InvoiceKeys
from digisom.merchants.model import Asset
from digisom.merchants.ports import Decision, MerchantWallet, Screening
from digisom.merchants.repository import CursorRepository
from digisom.merchants.service import InvoiceService
from tests.stablecoin.world import World

MERCHANT = "cafe-karakol"
WALLET = "merchant"
BANK = "AYIL"
SECRET = keccak(text="digisom merchant service test secret")
START = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@dataclass
class Screener:
    """Listed addresses are hits; everything else clear. Records what it screened."""

    listed: set[str] = field(default_factory=set)
    screened: list[str] = field(default_factory=list)

    def screen_address(self, address: str) -> Screening:
        self.screened.append(address)
        if address.lower() in {a.lower() for a in self.listed}:
            return Screening(Decision.HIT, "listed: test sanctions list")
        return Screening(Decision.CLEAR, "no match")


class Wallets:
    def merchant_wallet(self, wallet_id: str) -> MerchantWallet | None:
        return MerchantWallet(wallet_id, BANK, True) if wallet_id == WALLET else None


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class MerchantWorld:
    """The bridge world plus the invoice service; `depth` is the rail's confirmation depth."""

    def __init__(self, folder: Path, chain: Chain, artifact: Artifact, depth: int = 3,
                 url: str | None = None) -> None:
        self.kgst = World(folder, chain, artifact, url=url)
        self.chain = chain
        self.depth = depth
        migrations.migrate(self.kgst.engine)
        self.relayer_key: LocalAccount = Account.from_key(keccak(text="digisom merchant relayer"))
        self.screener = Screener()
        self.clock = Clock()
        self.keys = InvoiceKeys(SECRET)
        self.service = self.make_service()

    def make_service(self) -> InvoiceService:
        k = self.kgst
        rail = ChainRail(self.chain, k.abi, k.deployment.address, Transactor(self.chain, self.relayer_key),
                         CursorRepository(k.engine, f"{k.deployment.chain_id}:{k.deployment.address}"),
                         self.depth, k.deployment.block_number)
        settlement = BridgeSettlement(k.bridge, self.chain, k.gateway.redemption_address)
        return InvoiceService(k.engine, Wallets(), {Asset.KGST: rail}, self.keys, self.screener, settlement,
                             clock=self.clock)

    def fund_payer(self, role: str, amount_units: int) -> str:
        """Mint KGST to `role`'s address from its digital som (the tourist bought KGST)."""
        self.kgst.bridge.request_mint(f"fund-{role}-{amount_units}", role, self.kgst.address(role), amount_units)
        return self.kgst.address(role)

    def settle(self, rounds: int = 8) -> None:
        """Mine and run the invoice worker and the bridge until nothing moves (bounded)."""
        for _ in range(rounds):
            self.mine()
            self.service.process()
            self.kgst.bridge.process()

    def mine(self) -> None:
        """One block: the in-process EVM's `mine`, or anvil's `evm_mine`."""
        if isinstance(self.chain, EmbeddedChain):
            self.chain.mine(1)
        else:
            self.chain.request("evm_mine", [])  # type: ignore[attr-defined]

    def close(self) -> None:
        self.kgst.close()
