"""A KGST bridge over the API world's digital som, shared by the security tests that
redeem KGST: the token on the in-process EVM, the bridge wired to the wallets as the
composition root wires it (`BridgeWalletDirectory`), its own ledger writer on the world's database,
every transfer checked against the chart of accounts for the stablecoin domain (the
kernel's `LedgerGateway`), as the bridge's own writes will be."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from digisom.api.stablecoin_wiring import BridgeWalletDirectory
from digisom.chain.abi import ContractAbi
from digisom.chain.contracts import kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.kgst import KgstGateway, KgstRoles, deploy_kgst
from digisom.chain.transactor import Transactor
from digisom.kernel.chart import CHART, Domain
from digisom.kernel.gateway import LedgerGateway
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.model import Kind, Operation
from digisom.stablecoin.ports import NO_ADDRESS_SCREENING
from digisom.stablecoin.repository import CursorRepository, token_key
from digisom.stores.url import open_store
from tests.api.world import World

CHAIN_ID: Final = 56
CONFIRMATIONS: Final = 1


def _key(role: str) -> LocalAccount:
    key: LocalAccount = Account.from_key(keccak(text=f"digisom KGST security test {role}"))
    return key


class ChartCheckedLedger:
    """The ledger, whose transfers pass the stablecoin domain's `LedgerGateway` first."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._gateway = LedgerGateway(Domain.STABLECOIN, CHART, ledger, ledger)

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        return self._gateway.create_transfers(events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


@dataclass
class Kgst:
    """The token, its holders' keys and the bridge."""

    bridge: Bridge
    gateway: KgstGateway
    chain: EmbeddedChain
    abi: ContractAbi
    holder: LocalAccount  # the pensioner's key

    def redeem(self, amount_tyiyn: int) -> Operation:
        """The holder sends `amount_tyiyn` of KGST (2 decimals: token units) to the
        redemption address; the bridge's next round takes it as far as it goes."""
        data = self.abi.fn("transfer").encode(self.gateway.redemption_address, amount_tyiyn)
        Transactor(self.chain, self.holder).send(self.gateway.address, data)
        self.bridge.process()
        (redeem,) = [op for op in self.bridge.operations() if op.kind is Kind.REDEEM]
        return redeem


@contextmanager
def kgst_bridge(world: World) -> Iterator[Kgst]:
    """KGST deployed, and a bridge whose redemptions credit the pensioner's wallet."""
    chain = EmbeddedChain(CHAIN_ID)
    artifact = kgst_artifact()
    owner, master, issuer = _key("owner"), _key("master_minter"), _key("issuer")
    deployment = deploy_kgst(Transactor(chain, owner), artifact, "KGST Kyrgyz Som", "KGST", 2,
                             KgstRoles(owner.address, master.address, owner.address, owner.address, owner.address))
    gateway = KgstGateway(chain, artifact.abi, deployment.address, Transactor(chain, issuer), Transactor(chain, master))
    engine = world.runtime.service.ctx.engine
    feed = gateway.redemptions(CursorRepository(engine, token_key(deployment.chain_id, deployment.address)),
                               CONFIRMATIONS, deployment.block_number)
    store = open_store(world.runtime.db_url)
    try:
        wallets = BridgeWalletDirectory(world.runtime.service.ctx)
        bridge = Bridge(engine, ChartCheckedLedger(Ledger(store)), gateway, wallets, feed, CONFIRMATIONS,
                        screening=NO_ADDRESS_SCREENING)
        yield Kgst(bridge, gateway, chain, artifact.abi, _key("pensioner"))
    finally:
        store.close()
