"""A KGST world for the bridge tests: a SQLite ledger and database, digital som wallets as
plain ledger accounts (the bridge sees wallets only through `WalletDirectory`), one bank's
float, deposit funding and each holder's linked deposit for the waterfall, and KGST
deployed on a chain (the in-process EVM, or anvil)."""

from __future__ import annotations

from collections.abc import Callable
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
from digisom.kernel.credit_plans import WALLET_LEG, CreditLeg, CreditPlan
from digisom.ledger.model import Account as LedgerAccount
from digisom.ledger.model import AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stablecoin import migrations
from digisom.stablecoin.accounts import StablecoinAccountCode, derive_id
from digisom.stablecoin.bridge import Bridge, Observer
from digisom.stablecoin.model import ReserveReport
from digisom.stablecoin.ports import NO_ADDRESS_SCREENING, AddressScreening, WalletRef
from digisom.stablecoin.repository import CursorRepository, token_key
from digisom.stores.url import open_store

LEDGER = 417
# The chart's codes: the bridge's gateway lets the domain debit only what the chart allows.
WALLET_CODE = int(AccountCode.WALLET)
ISSUANCE_CODE = int(AccountCode.ISSUANCE)
FLOAT_CODE = int(AccountCode.BANK_FLOAT)  # the holders' bank's digital som: where a waterfall's digital som goes
DEPOSIT_FUNDING_CODE = int(AccountCode.DEPOSIT_FUNDING)  # the bank's side of its customers' deposits (bank money)
DEPOSIT_CODE = int(AccountCode.LINKED_DEPOSIT)  # a holder's linked bank deposit (bank money)
ROLES = ("owner", "master_minter", "issuer", "pensioner", "merchant", "commercial_bank")
OPENING_TYIYN = 1_000_000  # 10,000 som per wallet
ISSUANCE_ID = derive_id("test", "issuance")
# What the money auditor checks here: the test wallets and the KGST reserve hold what the
# test issuer issued.
MONEY = MoneyChart(LEDGER, ISSUANCE_CODE, {WALLET_CODE: "wallets", FLOAT_CODE: "bank_floats",
                                           StablecoinAccountCode.KGST_RESERVE: "kgst_reserves"})
FLOAT_ID = derive_id("test", "bank float")
DEPOSIT_FUNDING_ID = derive_id("test", "deposit funding")


def role_key(role: str) -> LocalAccount:
    """A fixed key per role (the issuer's key is the minter's)."""
    key: LocalAccount = Account.from_key(keccak(text=f"digisom KGST bridge test {role}"))
    return key


def wallet_account_id(wallet_id: str) -> int:
    """The test wallet's ledger account."""
    return derive_id("test", "wallet", wallet_id)


def deposit_account_id(wallet_id: str) -> int:
    """The test holder's linked bank deposit."""
    return derive_id("test", "deposit", wallet_id)


@dataclass
class Wallets:
    """`WalletDirectory` over plain ledger accounts (`account` reads one); `limit_tyiyn` is a
    wallet's holding limit (no entry: no limit): the room under it counts pending credits,
    the excess waterfalls to the holder's linked deposit."""

    account: Callable[[int], LedgerAccount]
    frozen: set[str] = field(default_factory=set)
    limit_tyiyn: dict[str, int] = field(default_factory=dict)
    held_wallets: list[str] = field(default_factory=list)  # the wallets whose lock the bridge took

    def wallet(self, wallet_id: str) -> WalletRef | None:
        if wallet_id not in ROLES:
            return None
        return WalletRef(wallet_id, wallet_account_id(wallet_id), wallet_id not in self.frozen,
                         "wallet_frozen" if wallet_id in self.frozen else "")

    def held(self, wallet_id: str) -> AbstractContextManager[None]:
        self.held_wallets.append(wallet_id)
        return nullcontext()

    def plan_credit(self, wallet_id: str, amount_tyiyn: int, debit_account_id: int, code: int,
                    waterfall_code: int) -> CreditPlan:
        found = self.wallet(wallet_id)
        if found is None or not found.usable:
            return "wallet_not_found" if found is None else found.refusal
        to_wallet = amount_tyiyn
        if wallet_id in self.limit_tyiyn:
            acct = self.account(found.account_id)
            held_tyiyn = acct.credits_posted + acct.credits_pending - acct.debits_posted
            to_wallet = min(amount_tyiyn, max(self.limit_tyiyn[wallet_id] - held_tyiyn, 0))
        excess = amount_tyiyn - to_wallet
        legs = [CreditLeg(WALLET_LEG, debit_account_id, found.account_id, to_wallet, code)] if to_wallet else []
        if excess:
            legs += [CreditLeg("waterfall-float", debit_account_id, FLOAT_ID, excess, waterfall_code),
                     CreditLeg("waterfall-deposit", DEPOSIT_FUNDING_ID, deposit_account_id(wallet_id), excess,
                               waterfall_code)]
        return tuple(legs)


class World:
    """Ledger, database, chain, KGST and the bridge; `restart()` builds a new bridge on the same state."""

    def __init__(self, folder: Path, chain: Chain, artifact: Artifact, decimals: int = 2,
                 confirmations: int = 1, url: str | None = None,
                 screening: AddressScreening = NO_ADDRESS_SCREENING) -> None:
        self.screening = screening
        self.url = url or f"sqlite:///{folder / 'kgst.db'}"
        self.store = open_store(self.url)
        self.ledger = Ledger(self.store)
        self.engine = domain_engine(self.url)
        migrations.migrate(self.engine)
        self.chain = chain
        self.keys = {role: role_key(role) for role in ROLES}
        self.wallets = Wallets(lambda account_id: self.ledger.lookup_accounts([account_id])[0])
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
        accounts += [LedgerAccount(FLOAT_ID, LEDGER, FLOAT_CODE, flags), LedgerAccount(DEPOSIT_FUNDING_ID, LEDGER,
                                                                                      DEPOSIT_FUNDING_CODE)]
        accounts += [LedgerAccount(deposit_account_id(r), LEDGER, DEPOSIT_CODE, flags) for r in ROLES]
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
                      observer=observer, screening=self.screening)

    def restart(self, observer: Observer | None = None) -> Bridge:
        """A new bridge (and a new ledger writer) on the same database and chain, as after a crash."""
        self.ledger = Ledger(self.store)
        self.bridge = self.make_bridge(observer)
        return self.bridge

    def balance_tyiyn(self, role: str) -> int:
        return self.posted_tyiyn(wallet_account_id(role))

    def deposit_tyiyn(self, role: str) -> int:
        return self.posted_tyiyn(deposit_account_id(role))

    def posted_tyiyn(self, account_id: int) -> int:
        """A credit-normal account's posted balance."""
        (acct,) = self.ledger.lookup_accounts([account_id])
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
