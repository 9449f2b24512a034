"""An offline world on a real ledger and database, for the ledger-integration tests.

Wallets are plain ledger accounts issued from a central-bank account (a stand-in for
the digital som, which the offline domain sees only through `WalletDirectory`), so the
tests need nothing from `digisom.cbdc`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from digisom.api.runtime import domain_engine
from digisom.cbdc.accounts import AccountCode
from digisom.kernel.credit_plans import WALLET_LEG, CreditLeg, CreditPlan
from digisom.ledger.audit import verify
from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.offline import migrations
from digisom.offline.accounts import OfflineAccountCode, derive_id
from digisom.offline.certificates import TrustStore
from digisom.offline.device import Device
from digisom.offline.device_sync import sync_device
from digisom.offline.ports import WalletCredit, WalletRef
from digisom.offline.service import OfflineService, SyncOutcome
from digisom.stores.url import open_store
from tests.offline.world import CUMULATIVE_MAX_TYIYN, NOW_S, PER_PAYMENT_MAX_TYIYN, signer

LEDGER = 417
# The chart's codes: the offline gateway lets the domain debit only what the chart allows.
WALLET_CODE = int(AccountCode.WALLET)
ISSUANCE_CODE = int(AccountCode.ISSUANCE)
FLOAT_CODE = int(AccountCode.BANK_FLOAT)
BANK = "AYIL"
ISSUANCE_ID = derive_id("test", "issuance")
FLOAT_TYIYN = 100_000_000


@dataclass
class Clock:
    now_s: int = NOW_S

    def __call__(self) -> int:
        return self.now_s


@dataclass
class Wallets:
    """`WalletDirectory` over test accounts."""

    frozen: set[str] = field(default_factory=set)

    def wallet(self, wallet_id: str) -> WalletRef | None:
        return WalletRef(wallet_id, wallet_account_id(wallet_id), BANK, wallet_id not in self.frozen)

    def held_wallets(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        return nullcontext()

    def bank_float_account_id(self, bank_code: str) -> int:
        return derive_id("test", "float", bank_code)

    def plan_credits(self, credits: Sequence[WalletCredit]) -> list[CreditPlan]:
        """No holding limits here: all of a credit lands in the wallet unless it is frozen."""
        return ["wallet_frozen" if c.wallet_id in self.frozen else (
            CreditLeg(WALLET_LEG, c.debit_account_id, wallet_account_id(c.wallet_id), c.amount_tyiyn, c.code),)
            for c in credits]


def wallet_account_id(wallet_id: str) -> int:
    return derive_id("test", "wallet", wallet_id)


class LedgerWorld:
    """A database, its ledger, the offline service, and devices for role names."""

    def __init__(self, url: str) -> None:
        self.store = open_store(url)
        self.ledger = Ledger(self.store)
        self.engine = domain_engine(url)
        migrations.migrate(self.engine)
        self.clock = Clock()
        self.wallets = Wallets()
        self.service = OfflineService(self.engine, self.ledger, self.wallets, self.clock)
        flags = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
        created = self.ledger.create_accounts([
            Account(ISSUANCE_ID, LEDGER, ISSUANCE_CODE, int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)),
            Account(self.wallets.bank_float_account_id(BANK), LEDGER, FLOAT_CODE, flags),
        ])
        assert set(created) <= {CreateAccountResult.ok, CreateAccountResult.exists}
        self.issue(self.wallets.bank_float_account_id(BANK), FLOAT_TYIYN, "float")

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()

    def issue(self, account_id: int, amount_tyiyn: int, label: str) -> None:
        transfer = Transfer(derive_id("test", "issue", label), ISSUANCE_ID, account_id, amount_tyiyn, LEDGER, 1)
        assert self.ledger.create_transfers([transfer]) == [CreateTransferResult.ok]

    def open_wallet(self, holder: str, balance_tyiyn: int) -> str:
        flags = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
        result = self.ledger.create_accounts([Account(wallet_account_id(holder), LEDGER, WALLET_CODE, flags)])
        assert result == [CreateAccountResult.ok]
        if balance_tyiyn:
            self.issue(wallet_account_id(holder), balance_tyiyn, holder)
        return holder

    def device(
        self,
        holder: str,
        fund_tyiyn: int = 0,
        cumulative_max_tyiyn: int = CUMULATIVE_MAX_TYIYN,
        per_payment_max_tyiyn: int = PER_PAYMENT_MAX_TYIYN,
    ) -> Device:
        """A device registered for the holder's wallet (opened with enough to fund it)."""
        wallet_id = self.open_wallet(holder, max(fund_tyiyn, 0) + 1_000_000)
        key = signer(holder)
        cert = self.service.register_device(BANK, wallet_id, key.public_key, per_payment_max_tyiyn,
                                            cumulative_max_tyiyn)
        device = Device.provision(key, cert, self.trust_store(), self.clock())
        if fund_tyiyn:
            self.fund(device, holder, fund_tyiyn)
        return device

    def trust_store(self) -> TrustStore:
        material = self.service.trust()
        now_s = self.clock()
        return TrustStore.create(material.root, material.revocations, now_s).with_sync(
            material.banks, material.revocations, now_s
        )

    def fund(self, device: Device, holder: str, amount_tyiyn: int, operation: str | None = None) -> None:
        self.service.fund(holder, device.device_id, amount_tyiyn, operation or f"{holder}-{device.balance_tyiyn}")
        device.fund(amount_tyiyn)

    def sync(self, device: Device, holder: str, return_unspent: bool = False) -> list[SyncOutcome]:
        """Upload in signed requests of at most the request limit, acknowledge, install trust."""
        return sync_device(device, signer(holder), self.clock(), return_unspent, self.service.sync)

    def balance(self, account_id: int) -> int:
        (account,) = self.ledger.lookup_accounts([account_id])
        return account.credits_posted - account.debits_posted

    def circulation_tyiyn(self) -> int:
        """Every holder's balance: wallets, floats, offline reserves and guarantee accounts."""
        total = 0
        for account in self._accounts():
            if account.code in (WALLET_CODE, FLOAT_CODE, *iter(OfflineAccountCode)):
                total += account.credits_posted - account.debits_posted
        return total

    def issued_tyiyn(self) -> int:
        (issuance,) = self.ledger.lookup_accounts([ISSUANCE_ID])
        return issuance.debits_posted - issuance.credits_posted

    def _accounts(self) -> Iterator[Account]:
        after = 0
        while page := self.store.scan_accounts(after, 1000):
            yield from page
            after = page[-1].id


def books_balance(world: LedgerWorld, circulation_tyiyn: int) -> None:
    """The ledger verifies, and circulation is what it was and what was issued."""
    report = verify(world.store)
    assert report.ok, report.discrepancy
    assert world.circulation_tyiyn() == circulation_tyiyn == world.issued_tyiyn()
