"""`digisom serve --merchant-chain`: the merchant rail in the served process.

It wires what an invoice needs from payment to som: KGST on a chain (the in-process EVM
for the embedded default, or a node by `ID,RPC_URL,KGST_ADDRESS[,DEPLOYED_BLOCK]`), the
KGST bridge that burns a sweep and credits the merchant's wallet, its feed remittance rail
2's (every transfer to the redemption address screened first; rail 2's links, records and
officers' releases served here), the invoices' rail (follower and relayer), the compliance
desk's `merchant_payment` and `remittance_chain` subscribers, USDKG's redemption at the
quote where USDKG's chain and the issuer's som wallet are configured, and a worker thread
that runs the invoice worker and the bridge every `interval_s`.

One process runs it (the bridge and the relayer each send from one key: two processes
would race for nonces), so `--workers` above one is refused with it.

The in-process chain is new on every start, with fresh keys and a fresh invoice secret
(no value ever leaves the process); it mines one block per worker round, so payments
reach their depth while the process runs. Its invoices from an earlier start name a
token that no longer exists: they stay as they were.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import Engine

from digisom.api import merchants_wiring, remittance_chain_wiring
from digisom.api.stablecoin_wiring import BridgeAddressScreener, BridgeWalletDirectory
from digisom.api.usdkg_chains import parse_chain_spec, parse_chain_specs
from digisom.api.usdkg_wiring import build_issuer
from digisom.cbdc import credits
from digisom.cbdc.context import Context
from digisom.compliance.desk import ComplianceDesk
from digisom.kernel.access import Actor, Role
from digisom.kernel.periodic import Periodic
from digisom.ledger.service import Ledger
from digisom.merchants.addresses import parse_secret
from digisom.merchants.model import Asset
from digisom.merchants.ports import QuoteRedemption, TokenRail
from digisom.merchants.repository import CursorRepository
from digisom.merchants.service import InvoiceService
from digisom.remittance.onchain import OnchainRail
from digisom.remittance.rates import FileRates
from digisom.stablecoin import migrations as stablecoin_migrations
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.repository import CursorRepository as BridgeCursor
from digisom.stablecoin.repository import token_key
from digisom.stores.url import open_store

if TYPE_CHECKING:  # the EVM stack loads only when the rail is configured (tests/security/test_transport.py)
    from eth_account.signers.local import LocalAccount

    from digisom.chain.abi import ContractAbi
    from digisom.chain.contracts import Artifact
    from digisom.chain.kgst import KgstGateway
    from digisom.chain.protocol import Chain
    from digisom.chain.transactor import Transactor
    from digisom.chain.usdkg import UsdkgChainToken
    from digisom.ledger.store import LedgerStore

EMBEDDED: Final = "embedded"
CONFIRMATIONS_DEFAULT: Final = 3
INTERVAL_S_DEFAULT: Final = 1.0
EMBEDDED_CHAIN_ID: Final = 56  # BNB Chain's id, as the KGST chapter uses it
KGST_NAME: Final = "KGST Kyrgyz Som"
KGST_DECIMALS: Final = 2
USDKG_ISSUER_OPERATOR: Final = "system:usdkg-issuer"

log = logging.getLogger(__name__)


class RailUnusable(ValueError):
    """The merchant rail's settings cannot run (a missing secret, a bad spec)."""


@dataclass(frozen=True)
class RailSettings:
    """The merchant rail's options (JSON-safe, as `ServeSettings`)."""

    chain: str  # EMBEDDED, or ID,RPC_URL,KGST_ADDRESS[,DEPLOYED_BLOCK]
    kgst_key_file: str | None = None  # the KGST minter (the bridge burns with it); None: $DIGISOM_CHAIN_KEY
    relayer_key_file: str | None = None  # pays the gas of EIP-3009 submissions
    secret_file: str | None = None  # derives each invoice's address (docs/merchants.md)
    confirmations: int = CONFIRMATIONS_DEFAULT
    interval_s: float = INTERVAL_S_DEFAULT
    usdkg_issuer_wallet: str | None = None  # the USDKG issuer's som wallet: pays USDKG invoices at the quote

    def check(self) -> None:
        """Refuse before binding: a chain spec out of form, missing keys or secret."""
        if self.confirmations < 1 or self.interval_s <= 0:
            raise RailUnusable("the merchant rail needs confirmations >= 1 and an interval > 0")
        if self.chain == EMBEDDED:
            return
        parse_chain_spec(self.chain)
        if not self.relayer_key_file or not self.secret_file:
            raise RailUnusable("a merchant rail on a node needs --merchant-relayer-key-file and "
                               "--invoice-secret-file (the secret derives every invoice's address: back it up)")
        self.secret()
        _load_key(self.kgst_key_file)
        _load_key(self.relayer_key_file)

    def secret(self) -> bytes:
        if self.secret_file is None:
            return os.urandom(32)  # the in-process chain is new on every start: so are its addresses
        try:
            return parse_secret(Path(self.secret_file).read_bytes())
        except (OSError, ValueError) as error:
            raise RailUnusable(f"invoice secret {self.secret_file}: {error}") from None


def _load_key(path: str | None) -> LocalAccount:
    from digisom.chain.keys import load_key  # noqa: PLC0415 (see the imports)

    return load_key(Path(path) if path else None)


class _Serialized:
    """Every call on the wrapped object under one lock: the in-process chain is not
    thread-safe, and the request threads (a payer's authorization) share it with the worker."""

    def __init__(self, target: object, lock: threading.RLock) -> None:
        self._target = target
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._target, name)
        if not callable(found):
            return found

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return found(*args, **kwargs)

        return locked


def _serial_transactor(chain: Chain, key: LocalAccount, lock: threading.RLock) -> Transactor:
    """A transactor whose sends take `lock`: the worker and the request threads send from
    the relayer's key, and two sends at once would pick the same nonce."""
    from digisom.chain.model import SignedTx  # noqa: PLC0415
    from digisom.chain.transactor import Transactor  # noqa: PLC0415

    class SerialTransactor(Transactor):
        def send(self, to: str | None, data: bytes) -> SignedTx:
            with lock:
                return super().send(to, data)

    return SerialTransactor(chain, key)


@dataclass
class _Chain:
    """The chain, KGST on it and the keys that act there."""

    chain: Chain
    kgst_address: str
    deployed_block: int
    minter: LocalAccount
    master_minter: LocalAccount | None
    relayer: LocalAccount
    embedded: bool


class MerchantRail:
    """The rail of one served process: `invoices` is `runtime.build`'s `merchant_invoices`
    factory (it needs the runtime's engine, wallets and desk); `start` runs the worker."""

    def __init__(self, settings: RailSettings, db_url: str, usdkg_chains: Mapping[int, UsdkgChainToken] | None,
                 usdkg_specs: Sequence[str], rates_path: Path | None) -> None:
        self.settings = settings
        self._db_url = db_url
        self._usdkg_chains = dict(usdkg_chains or {})
        # Where the USDKG rail's follower starts reading (the spec's deployment block).
        self._usdkg_starts = {spec.chain_id: spec.deployed_block for spec in parse_chain_specs(usdkg_specs)}
        self._rates_path = rates_path
        self.lock = threading.RLock()
        # One round at a time: the worker thread's and a caller's (the demo, an operator's
        # test) would otherwise follow the same chain cursor at once and both record its blocks.
        self._round = threading.Lock()
        self._rounds = Periodic("merchant-rail", self.run_once, settings.interval_s, log)
        self._store: LedgerStore | None = None
        self.chain: Chain | None = None
        self.bridge: Bridge | None = None
        self.service: InvoiceService | None = None
        self.kgst_address = ""
        self.kgst_abi: ContractAbi | None = None
        self.desk: ComplianceDesk | None = None
        self.onchain: OnchainRail | None = None
        self.gateway: KgstGateway | None = None  # KGST's redemption address and balances, for the operator's tests
        # Rail 2's routes (`runtime.build(remittance_chain=...)`): served once `invoices` built it.
        self.rail2 = remittance_chain_wiring.ServedRail2()

    def invoices(self, engine: Engine, ctx: Context, desk: ComplianceDesk) -> InvoiceService:
        """The invoice service on the rail, the bridge beside it, the desk's subscriber registered."""
        from digisom.api.merchants_wiring import BridgeSettlement, ChainRail  # noqa: PLC0415
        from digisom.chain.contracts import kgst_artifact  # noqa: PLC0415
        from digisom.chain.kgst import KgstGateway  # noqa: PLC0415
        from digisom.chain.transactor import Transactor  # noqa: PLC0415

        artifact = kgst_artifact()  # compiled once: the in-process chain deploys it, the rail reads its ABI
        on = self._connect(artifact)
        self.chain, self.kgst_address, self.kgst_abi = on.chain, on.kgst_address, artifact.abi
        abi = artifact.abi
        depth = self.settings.confirmations
        gateway = KgstGateway(on.chain, abi, on.kgst_address, Transactor(on.chain, on.minter),
                              None if on.master_minter is None else Transactor(on.chain, on.master_minter))
        self.gateway = gateway
        stablecoin_migrations.migrate(engine)
        self._store = open_store(self._db_url)
        # Rail 2 screens every transfer to the redemption address (exact and one-hop, held
        # for two officers on a review) before the bridge redeems it, as the demo wires it.
        token = token_key(on.chain.chain_id(), on.kgst_address)
        self.onchain = remittance_chain_wiring.onchain_rail(engine, desk, ctx.clock)
        feed = remittance_chain_wiring.screened_redemptions(gateway, BridgeCursor(engine, token), depth,
                                                            on.deployed_block, self.onchain)
        self.bridge = Bridge(engine, Ledger(self._store), gateway, BridgeWalletDirectory(ctx), feed, depth,
                             screening=BridgeAddressScreener(desk, senders_screened_upstream=True))
        self.rail2.runs(remittance_chain_wiring.Rail2(ctx, self.bridge, self.onchain, token))
        remittance_chain_wiring.subscribe(desk, self.onchain, token)
        relayer = _serial_transactor(on.chain, on.relayer, self.lock)
        chain_id = on.chain.chain_id()
        rails: dict[Asset, TokenRail] = {Asset.KGST: ChainRail(
            on.chain, abi, on.kgst_address, relayer, CursorRepository(engine, f"{chain_id}:{on.kgst_address}"),
            depth, on.deployed_block)}
        redemption = self._usdkg(engine, ctx, chain_id, rails, relayer)
        rates = FileRates.from_path(self._rates_path) if self._rates_path is not None else None
        self.service = merchants_wiring.build_invoices(
            engine, ctx, desk, rails=rails, settlement=BridgeSettlement(self.bridge, on.chain,
                                                                        gateway.redemption_address),
            secret=self.settings.secret(), rates=rates, redemption=redemption)
        merchants_wiring.subscribe(desk, self.service)
        desk.releases.run()  # what was decided for these contexts while no process subscribed
        self.desk = desk
        return self.service

    def _connect(self, artifact: Artifact) -> _Chain:
        if self.settings.chain != EMBEDDED:
            from digisom.chain.rpc import RpcChain  # noqa: PLC0415
            from digisom.chain.token import normalize_address  # noqa: PLC0415

            spec = parse_chain_spec(self.settings.chain)
            return _Chain(RpcChain.connect(spec.rpc_url), normalize_address(spec.token_address), spec.deployed_block,
                          _load_key(self.settings.kgst_key_file), None, _load_key(self.settings.relayer_key_file),
                          embedded=False)
        from digisom.chain.embedded import EmbeddedChain  # noqa: PLC0415
        from digisom.chain.keys import generate_key  # noqa: PLC0415
        from digisom.chain.kgst import KgstRoles, deploy_kgst  # noqa: PLC0415
        from digisom.chain.transactor import Transactor  # noqa: PLC0415

        chain = cast("Chain", _Serialized(EmbeddedChain(EMBEDDED_CHAIN_ID), self.lock))
        owner, master_minter, minter, relayer = (generate_key() for _ in range(4))
        deployment = deploy_kgst(Transactor(chain, owner), artifact, KGST_NAME, "KGST", KGST_DECIMALS,
                                 KgstRoles(owner.address, master_minter.address, owner.address, owner.address,
                                           owner.address))
        return _Chain(chain, deployment.address, deployment.block_number, minter, master_minter, relayer,
                      embedded=True)

    def _usdkg(self, engine: Engine, ctx: Context, chain_id: int, rails: dict[Asset, TokenRail],
               relayer: Transactor) -> QuoteRedemption | None:
        """USDKG on the rail's chain, redeemed at the quote, where USDKG is configured on
        that chain and the issuer's som wallet is named; else USDKG invoices are refused."""
        token = self._usdkg_chains.get(chain_id)
        wallet_id = self.settings.usdkg_issuer_wallet
        if token is None or wallet_id is None or self.chain is None:
            return None
        from digisom.api.merchants_wiring import ChainRail  # noqa: PLC0415
        from digisom.chain.contracts import usdkg_artifact  # noqa: PLC0415

        rails[Asset.USDKG] = ChainRail(self.chain, usdkg_artifact().abi, token.address, relayer,
                                       CursorRepository(engine, f"usdkg:{token.address}"),
                                       self.settings.confirmations, self._usdkg_starts.get(chain_id, 0))
        issuer = build_issuer(engine, ctx.clock, {chain_id: token})
        return merchants_wiring.IssuerRedemption(issuer.minting, token.redemption_address,
                                                 issuer_payout(ctx, wallet_id))

    def run_once(self) -> None:
        """One round: a block on the in-process chain, the invoice worker, the bridge, and
        the invoice worker again (so a credit the bridge posted is seen this round)."""
        if self.service is None or self.bridge is None or self.chain is None:
            return
        # Not the rail's lock around the round: the bridge takes its own (a request thread may
        # hold it while it reads the chain); the chain's calls and the relayer's sends take the rail's.
        with self._round:
            if self.settings.chain == EMBEDDED:
                self.chain.mine(1)  # type: ignore[attr-defined]
            self.service.process()
            self.bridge.process()
            self.service.process()

    def start(self) -> None:
        """Run rounds every `interval_s` on a daemon thread until `close`."""
        self._rounds.start()

    def close(self) -> None:
        self._rounds.stop()  # waits for the round in progress: its writes go through the store
        if self._store is not None:
            self._store.close()


def issuer_payout(ctx: Context, wallet_id: str) -> merchants_wiring.CbdcSomPayout:
    """The USDKG issuer's som payout from `wallet_id`, as an operator of the wallet's bank."""
    wallet = credits.load_many(ctx, [wallet_id]).get(wallet_id)
    if wallet is None:
        raise RailUnusable(f"the USDKG issuer's wallet {wallet_id!r} does not exist")
    return merchants_wiring.CbdcSomPayout(ctx, Actor(Role.BANK_OPERATOR, USDKG_ISSUER_OPERATOR, wallet.bank_code),
                                          wallet_id)
