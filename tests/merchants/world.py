"""A merchant-invoice world on the KGST bridge world of tests/stablecoin: the bridge, its
ledger and wallets ("merchant" is the café's wallet), KGST on a chain, and the invoice
service wired as the composition root wires it (ChainRail, BridgeSettlement), with a
screening fake and a fixed clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from digisom.api.merchants_wiring import BridgeSettlement, ChainRail, IssuerRedemption
from digisom.api.usdkg_wiring import build_issuer
from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.protocol import Chain
from digisom.chain.token import TokenRoles
from digisom.chain.transactor import Transactor
from digisom.chain.usdkg import UsdkgToken, deploy_usdkg
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.merchants import migrations
from digisom.merchants.addresses import InvoiceKeys
from digisom.merchants.model import Asset
from digisom.merchants.ports import Credit, CreditState, Decision, MerchantWallet, Screening, UsdRate
from digisom.merchants.repository import CursorRepository
from digisom.merchants.service import InvoiceService
from digisom.stablecoin.accounts import derive_id
from digisom.stablecoin.model import State
from tests.stablecoin.world import LEDGER, World, wallet_account_id

MERCHANT = "cafe-karakol"
WALLET = "merchant"
BANK = "AYIL"
SECRET = keccak(text="digisom merchant service test secret")
USD_SOM_E6 = 87_450_000  # 87.45 som per US dollar
FUNDING_ROUNDS_MAX = 8  # blocks a payer's mint may take (the allowance, the mint, its confirmations)
ISSUER_WALLET = "issuer"  # the USDKG issuer's digital som wallet (a role of the bridge world)
MERCHANT_PAYMENT_CODE = 11  # the digital som's MERCHANT transfer code


@dataclass
class Rates:
    som_e6: int = USD_SOM_E6

    def usd(self, today: date) -> UsdRate:
        return UsdRate(self.som_e6, today)


@dataclass
class LedgerPayout:
    """`SomPayout` on the bridge world's plain ledger accounts: the issuer's wallet pays the
    merchant's, keyed (the composition root uses the digital som's payment path instead)."""

    world: World
    paid: list[str] = field(default_factory=list)

    def pay(self, key: str, wallet_id: str, amount_tyiyn: int) -> Credit:
        transfer = Transfer(derive_id("test", "usdkg-payout", key), wallet_account_id(ISSUER_WALLET),
                            wallet_account_id(wallet_id), amount_tyiyn, LEDGER, MERCHANT_PAYMENT_CODE)
        (result,) = self.world.ledger.create_transfers([transfer]) or [CreateTransferResult.ok]
        if result not in (CreateTransferResult.ok, CreateTransferResult.exists):
            return Credit(CreditState.REFUSED, result.name)
        self.paid.append(key)
        return Credit(CreditState.POSTED)


@dataclass
class Screener:
    """Listed addresses are hits; everything else clear. Records what it screened."""

    listed: set[str] = field(default_factory=set)
    screened: list[str] = field(default_factory=list)

    def screen_address(self, address: str) -> Screening:
        self.screened.append(address)
        if address.lower() in {a.lower() for a in self.listed}:  # the desk's reference first, as it writes it
            return Screening(Decision.HIT, f"screening:{len(self.screened)} listed: test sanctions list")
        return Screening(Decision.CLEAR, "no match")


class Wallets:
    def merchant_wallet(self, wallet_id: str) -> MerchantWallet | None:
        return MerchantWallet(wallet_id, BANK, True) if wallet_id == WALLET else None


def _wall_clock_now() -> datetime:
    # The world starts at the wall clock: anvil's blocks carry the wall clock too, and an
    # authorization's validity is checked against them (a fixed date here expired an hour later).
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Clock:
    now: datetime = field(default_factory=_wall_clock_now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class MerchantWorld:
    """The bridge world plus the invoice service; `depth` is the rail's confirmation depth."""

    def __init__(self, folder: Path, chain: Chain, artifact: Artifact, depth: int = 3,
                 url: str | None = None, usdkg: bool = False) -> None:
        self.kgst = World(folder, chain, artifact, url=url)
        self.chain = chain
        self.depth = depth
        migrations.migrate(self.kgst.engine)
        self.relayer_key: LocalAccount = Account.from_key(keccak(text="digisom merchant relayer"))
        self.screener = Screener()
        self.clock = Clock()
        self.keys = InvoiceKeys(SECRET)
        self.rates = Rates()
        self.usdkg: UsdkgToken | None = self._deploy_usdkg(artifact) if usdkg else None
        self.issuer = build_issuer(self.kgst.engine, self.clock, {chain.chain_id(): self.usdkg}) if usdkg else None
        self.payout = LedgerPayout(self.kgst)
        self.service = self.make_service()

    def _deploy_usdkg(self, artifact: Artifact) -> UsdkgToken:
        """USDKG (KGST's source, 6 decimals) with the bridge world's issuer key as its minter."""
        owner = self.kgst.keys["owner"]
        roles = TokenRoles.all_to(owner.address)
        deployment = deploy_usdkg(Transactor(self.chain, owner), artifact, roles)
        minter = Transactor(self.chain, self.kgst.keys["issuer"])
        token = UsdkgToken(self.chain, artifact.abi, deployment.address, minter, Transactor(self.chain, owner),
                           deployed_block=deployment.block_number)
        token.set_minter_allowance(10**15)
        return token

    def make_service(self) -> InvoiceService:
        k = self.kgst
        relayer = Transactor(self.chain, self.relayer_key)
        rail = ChainRail(self.chain, k.abi, k.deployment.address, relayer,
                         CursorRepository(k.engine, f"{k.deployment.chain_id}:{k.deployment.address}"),
                         self.depth, k.deployment.block_number)
        settlement = BridgeSettlement(k.bridge, self.chain, k.gateway.redemption_address)
        rails = {Asset.KGST: rail}
        redemption = None
        if self.usdkg is not None and self.issuer is not None:
            cursor = CursorRepository(k.engine, f"usdkg:{self.usdkg.address}")
            rails[Asset.USDKG] = ChainRail(self.chain, k.abi, self.usdkg.address, relayer, cursor, self.depth,
                                           k.deployment.block_number)
            redemption = IssuerRedemption(self.issuer.minting, self.usdkg.redemption_address, self.payout)
        return InvoiceService(k.engine, Wallets(), rails, self.keys, self.screener, settlement, self.rates,
                              clock=self.clock, redemption=redemption)

    def fund_payer(self, role: str, amount_units: int) -> str:
        """Mint KGST to `role`'s address from its digital som (the tourist bought KGST), and
        wait until the mint is done: the request may leave it sent but not yet in a block
        (anvil mines apart from answering), and the payer's next transfer would then be
        estimated against a balance that is not there yet."""
        operation = self.kgst.bridge.request_mint(f"fund-{role}-{amount_units}", role, self.kgst.address(role),
                                                  amount_units)
        for _ in range(FUNDING_ROUNDS_MAX):
            if not self.kgst.bridge.operation(operation.id).open:
                break
            self.mine()
            self.kgst.bridge.process()
        done = self.kgst.bridge.operation(operation.id)
        assert done.state is State.POSTED, f"the payer's mint did not complete: {done}"
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
