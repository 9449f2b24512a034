"""A KGST world for the bridge tests: a SQLite ledger and database, digital som wallets as
plain ledger accounts (the bridge sees wallets only through `WalletDirectory`), and KGST
deployed on a chain (the in-process EVM, or anvil)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from digisom.api.runtime import domain_engine
from digisom.cbdc.accounts import AccountCode
from digisom.chain.contracts import Artifact
from digisom.chain.kgst import KgstGateway, KgstRoles, deploy_kgst
from digisom.chain.protocol import Chain
from digisom.chain.transactor import Transactor
from digisom.kernel.circulation import MoneyChart
from digisom.ledger.model import Account as LedgerAccount
from digisom.ledger.model import AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stablecoin import migrations
from digisom.stablecoin.accounts import StablecoinAccountCode, derive_id
from digisom.stablecoin.bridge import Bridge, Observer
from digisom.stablecoin.model import ReserveReport
from digisom.stablecoin.ports import WalletRef
from digisom.stablecoin.repository import CursorRepository, token_key
from digisom.stores.url import open_store

LEDGER = 417
# The chart's codes: the bridge's gateway lets the domain debit only what the chart allows.
WALLET_CODE = int(AccountCode.WALLET)
ISSUANCE_CODE = int(AccountCode.ISSUANCE)
ROLES = ("owner", "master_minter", "issuer", "pensioner", "merchant", "commercial_bank")
OPENING_TYIYN = 1_000_000  # 10,000 som per wallet
ISSUANCE_ID = derive_id("test", "issuance")
# What the money auditor checks here: the test wallets and the KGST reserve hold what the
# test issuer issued.
MONEY = MoneyChart(LEDGER, ISSUANCE_CODE, {WALLET_CODE: "wallets", StablecoinAccountCode.KGST_RESERVE: "kgst_reserves"})


def role_key(role: str) -> LocalAccount:
    """A fixed key per role (the issuer's key is the minter's)."""
    key: LocalAccount = Account.from_key(keccak(text=f"digisom KGST bridge test {role}"))
    return key


def wallet_account_id(wallet_id: str) -> int:
    """The test wallet's ledger account."""
    return derive_id("test", "wallet", wallet_id)


@dataclass
class Wallets:
    """`WalletDirectory` over plain ledger accounts."""

    frozen: set[str] = field(default_factory=set)
    room_tyiyn: dict[str, int] = field(default_factory=dict)
    held_wallets: list[str] = field(default_factory=list)  # the wallets whose lock the bridge took

    def wallet(self, wallet_id: str) -> WalletRef | None:
        if wallet_id not in ROLES:
            return None
        return WalletRef(wallet_id, wallet_account_id(wallet_id), wallet_id not in self.frozen,
                         self.room_tyiyn.get(wallet_id), "wallet_frozen" if wallet_id in self.frozen else "")

    def held(self, wallet_id: str) -> AbstractContextManager[None]:
        self.held_wallets.append(wallet_id)
        return nullcontext()


class World:
    """Ledger, database, chain, KGST and the bridge; `restart()` builds a new bridge on the same state."""

    def __init__(self, folder: Path, chain: Chain, artifact: Artifact, decimals: int = 2,
                 confirmations: int = 1, url: str | None = None) -> None:
        self.url = url or f"sqlite:///{folder / 'kgst.db'}"
        self.store = open_store(self.url)
        self.ledger = Ledger(self.store)
        self.engine = domain_engine(self.url)
        migrations.migrate(self.engine)
        self.chain = chain
        self.keys = {role: role_key(role) for role in ROLES}
        self.wallets = Wallets()
        owner = self.address("owner")
        deployment = deploy_kgst(Transactor(chain, self.keys["owner"]), artifact, "KGST Kyrgyz Som", "KGST", decimals,
                                 KgstRoles(owner, self.address("master_minter"), owner, owner, owner))
        self.deployment = deployment
        self.token_key = token_key(deployment.chain_id, deployment.address)
        self.abi = artifact.abi
        self.confirmations = confirmations
        self.gateway = self.make_gateway()
        accounts = [LedgerAccount(ISSUANCE_ID, LEDGER, ISSUANCE_CODE)]
        flags = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
        accounts += [LedgerAccount(wallet_account_id(r), LEDGER, WALLET_CODE, flags) for r in ROLES]
        assert set(self.ledger.create_accounts(accounts)) <= {CreateAccountResult.ok, CreateAccountResult.exists}
        opening = [Transfer(derive_id("test", "open", r), ISSUANCE_ID, wallet_account_id(r), OPENING_TYIYN, LEDGER, 1)
                   for r in ROLES]
        assert set(self.ledger.create_transfers(opening)) <= {CreateTransferResult.ok, CreateTransferResult.exists}
        self.bridge = self.make_bridge()

    def address(self, role: str) -> str:
        return str(self.keys[role].address)

    def make_gateway(self, chain: Chain | None = None) -> KgstGateway:
        chain = chain or self.chain
        return KgstGateway(chain, self.abi, self.deployment.address, Transactor(chain, self.keys["issuer"]),
                           Transactor(chain, self.keys["master_minter"]))

    def make_bridge(self, observer: Observer | None = None, ledger: Any = None, token: Any = None) -> Bridge:
        gateway = token or self.gateway
        feed = self.gateway.redemptions(CursorRepository(self.engine, self.token_key), self.confirmations,
                                        self.deployment.block_number)
        return Bridge(self.engine, ledger or self.ledger, gateway, self.wallets, feed, self.confirmations,
                      observer=observer)

    def restart(self, observer: Observer | None = None) -> Bridge:
        """A new bridge (and a new ledger writer) on the same database and chain, as after a crash."""
        self.ledger = Ledger(self.store)
        self.bridge = self.make_bridge(observer)
        return self.bridge

    def balance_tyiyn(self, role: str) -> int:
        (acct,) = self.ledger.lookup_accounts([wallet_account_id(role)])
        return int(acct.credits_posted - acct.debits_posted)

    def tokens(self, role: str) -> int:
        return self.gateway.balance_of(self.address(role))

    def send_tokens(self, role: str, to: str, amount_token_units: int) -> str:
        """A holder's own ERC-20 transfer, signed with the holder's key."""
        data = self.abi.fn("transfer").encode(to, amount_token_units)
        return Transactor(self.chain, self.keys[role]).send(self.deployment.address, data).tx_hash

    def report(self) -> ReserveReport:
        return self.bridge.reserve_report()

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()
