"""Wiring of the disbursement domain into the API process: the digital som's alias
directory as its `RecipientDirectory`, the digital som's wallets as its `SourceWallets`,
the runtime's ledger writer behind the disbursement domain's ledger gateway (the chart
of accounts lets it debit only wallets, benefits and bank floats, and a programme's
payment only a wallet) as its `TransferSink`, and a background worker that executes
approved runs.

The disbursement domain must not import the digital som (another domain), so this entry
point adapts one to the other through `AliasResolver`, a protocol of the two methods it
needs from `CbdcService`:

- `resolve_aliases(pins)`: where each known personal number is paid (a wallet, or a bank
  account when the person has no wallet); unknown numbers are absent.
- `benefit_account_ids(scheme, wallet_ids)`: the ledger accounts of a purpose-bound
  benefit scheme for those wallets (created on demand; refused for an unknown or expired
  scheme).
- `recipient_wallets(pairs, scheme)`: at execution, the wallet each (personal number,
  account) pair resolved at upload still names, frozen or not, so that each payee's credit
  obeys the digital som's rule for every credit (`digisom.cbdc.credits`: frozen or closed
  wallets are refused, the excess over a holding limit goes to the linked deposit).

A programme without a benefit scheme pays the wallet's own account or the bank account.
A programme with one pays each wallet's benefit account; a recipient reachable only
through a bank account gets `Channel.NONE`: a purpose-bound benefit cannot leave the
digital som, so that payment is held as unclaimed (visible in the reconciliation report)
until the person opens a wallet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Final, Protocol

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.cbdc import access, wallets
from digisom.cbdc.accounts import AccountCode, bank_account_id, wallet_account_id
from digisom.cbdc.context import Context
from digisom.cbdc.credits import CreditPlan, CreditRequest
from digisom.cbdc.credits import CreditRefusal as CbdcCreditRefusal
from digisom.cbdc.model import WalletStatus
from digisom.disbursement.http.executions import DisbursementRuntime, Executions
from digisom.disbursement.http.slots import DISBURSEMENT, TAX_PAYERS
from digisom.disbursement.migrations import migrate
from digisom.disbursement.model import TransferCode
from digisom.disbursement.ports import (
    Channel,
    Credit,
    CreditLeg,
    CreditRefusal,
    Destination,
    HeldBatch,
    Payee,
    SourceWallet,
    TransferSink,
)
from digisom.disbursement.service import DisbursementService
from digisom.disbursement.taxes import TaxService
from digisom.http.services import provide
from digisom.kernel.access import Actor
from digisom.kernel.chart import CHART, Domain
from digisom.kernel.gateway import AccountReader, LedgerGateway
from digisom.ledger.model import BATCH_EVENTS_MAX

_CHANNELS: Final = {"wallet": Channel.WALLET, "bank_account": Channel.BANK_ACCOUNT}


class AliasTarget(Protocol):
    """Where the alias directory says a person is paid (`digisom.cbdc`'s `AliasTarget` fits)."""

    @property
    def channel(self) -> str:
        """`wallet` or `bank_account`."""
        ...

    @property
    def account_id(self) -> int:
        """The ledger account: the wallet's, or the bank's for a bank account."""
        ...

    @property
    def wallet_id(self) -> str | None:
        """The wallet, for the `wallet` channel."""
        ...


class AliasResolver(Protocol):
    """What this wiring needs of the digital som (`CbdcService` fits)."""

    def resolve_aliases(self, personal_numbers: Sequence[str]) -> Mapping[str, AliasTarget]:
        """Where each known personal number is paid; unknown numbers are absent."""
        ...

    def benefit_account_ids(self, scheme_id: str, wallet_ids: Sequence[str]) -> Mapping[str, int]:
        """The benefit scheme's ledger account of each wallet (created if new)."""
        ...

    def recipient_wallets(self, payees: Sequence[tuple[str, int]], benefit_scheme_id: str | None
                          ) -> Mapping[str, str]:
        """The wallet each (personal number, account) pair resolved at upload still names."""
        ...


class CbdcRecipientDirectory:
    """`RecipientDirectory` over the digital som's alias directory (see the module doc)."""

    def __init__(self, resolver: AliasResolver) -> None:
        self._resolver = resolver

    def resolve(self, pins: Sequence[str], benefit_scheme: str = "") -> Mapping[str, Destination]:
        """The destinations of the known PINs; for a benefit scheme, wallets' benefit accounts."""
        targets = self._resolver.resolve_aliases(pins)
        if not benefit_scheme:
            return {pin: _destination(target) for pin, target in targets.items()}
        wallets = {pin: t.wallet_id for pin, t in targets.items() if t.channel == "wallet" and t.wallet_id}
        benefit_accounts = (
            self._resolver.benefit_account_ids(benefit_scheme, sorted(set(wallets.values()))) if wallets else {}
        )
        found: dict[str, Destination] = {}
        for pin in targets:
            wallet_id = wallets.get(pin)
            account_id = benefit_accounts.get(wallet_id) if wallet_id is not None else None
            # A bank account cannot hold a purpose-bound benefit: held as unclaimed.
            found[pin] = Destination(Channel.WALLET, account_id) if account_id else Destination(Channel.NONE)
        return found


def _destination(target: AliasTarget) -> Destination:
    channel = _CHANNELS.get(target.channel)
    if channel is None or not target.account_id:
        return Destination(Channel.NONE)
    return Destination(channel, target.account_id)


class WalletRecord(Protocol):
    """A digital-som wallet as the source check reads it (`digisom.cbdc`'s `Wallet` fits)."""

    @property
    def id(self) -> str:
        """The wallet id."""
        ...

    @property
    def status(self) -> WalletStatus:
        """Active, frozen, closing or closed."""
        ...


class PublicBodyWallets(Protocol):
    """What the source check and the payees' credits need of the digital som (`CbdcService` fits)."""

    def public_body_wallet(self, wallet_id: str) -> tuple[WalletRecord, bool] | None:
        """The wallet and whether the treasury or a ministry holds it; None if there is none."""
        ...

    def held_wallets(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        """Hold the wallets' locks (shared by every API process) for the block."""
        ...

    def plan_credits(self, requests: Sequence[CreditRequest]) -> Sequence[CreditPlan | CbdcCreditRefusal]:
        """Each credit's legs (wallet, waterfall) or refusal; call it holding `held_wallets`."""
        ...


class CbdcSourceWallets:
    """`SourceWallets` over the digital som's wallets and participant register."""

    def __init__(self, wallets: PublicBodyWallets, resolver: AliasResolver) -> None:
        self._wallets = wallets
        self._resolver = resolver

    def source_wallet(self, wallet_id: str) -> SourceWallet | None:
        """The wallet as a programme's source: its ledger account, holder and state."""
        found = self._wallets.public_body_wallet(wallet_id)
        if found is None:
            return None
        wallet, public_body = found
        closed = wallet.status in (WalletStatus.CLOSING, WalletStatus.CLOSED)
        return SourceWallet(wallet.id, wallet_account_id(wallet.id), public_body,
                            wallet.status is WalletStatus.FROZEN, closed)

    @contextmanager
    def held_usable(
        self, wallet_id: str, payees: Sequence[Payee] = (), benefit_scheme: str = ""
    ) -> Iterator[HeldBatch]:
        """Under the locks of the source and every payee's wallet (taken in one go, so they
        cannot deadlock with a payment holding two of them): the source as it stands, and
        each payee's credit by the digital som's rule for every credit (`cbdc.credits`).
        Three lookups per batch, whatever its size: the payees' wallets, their states, their balances."""
        scheme = benefit_scheme or None
        named = self._resolver.recipient_wallets([(p.pin, p.account_id) for p in payees], scheme)
        with self._wallets.held_wallets([wallet_id, *sorted(set(named.values()))]):
            source = self.source_wallet(wallet_id)
            debit = wallet_account_id(wallet_id)
            requests = [
                CreditRequest(named[p.pin], p.amount_tyiyn, debit, "programme wallet", int(TransferCode.DISBURSEMENT),
                              int(TransferCode.DISBURSEMENT_WATERFALL), scheme)
                for p in payees if p.pin in named
            ]
            plans = iter(self._wallets.plan_credits(requests))
            yield HeldBatch(source, [_credit(next(plans)) if p.pin in named else CreditRefusal.UNKNOWN
                                     for p in payees])


_REFUSALS: Final = {
    CbdcCreditRefusal.FROZEN: CreditRefusal.FROZEN,
    CbdcCreditRefusal.CLOSED: CreditRefusal.CLOSED,
    CbdcCreditRefusal.NOT_FOUND: CreditRefusal.UNKNOWN,
}


def _credit(plan: CreditPlan | CbdcCreditRefusal) -> Credit:
    if isinstance(plan, CbdcCreditRefusal):
        return _REFUSALS[plan]
    return tuple(CreditLeg(leg.debit_account_id, leg.credit_account_id, leg.amount_tyiyn, leg.code)
                 for leg in plan.legs)


def build_disbursement(
    engine: Engine,
    ledger: TransferSink,
    accounts: AccountReader,
    resolver: AliasResolver,
    sources: PublicBodyWallets,
    tax_revenue_account: int | None = None,
    batch_size: int = BATCH_EVENTS_MAX,
) -> DisbursementRuntime:
    """Migrate the domain's tables and build its services on `engine`'s database.

    `ledger` is the process's ledger writer (the runtime's `Submitter`: one writer thread
    for every domain) and `accounts` a ledger reader; both services write through the
    domain's ledger gateway. `sources` says which wallets a programme may pay from.
    `tax_revenue_account` is the treasury's ledger account that takes taxes and fees (a
    treasury wallet's account); without one, tax payments are refused.
    """
    migrate(engine)
    gateway = LedgerGateway(Domain.DISBURSEMENT, CHART, ledger, accounts)
    service = DisbursementService(
        engine, CbdcRecipientDirectory(resolver), gateway, CbdcSourceWallets(sources, resolver)
    )
    # Account 0 is reserved by the ledger: a payment to it could never succeed.
    taxes = TaxService(engine, gateway, tax_revenue_account or 0)
    return DisbursementRuntime(engine, service, taxes, tax_revenue_account, Executions(service, batch_size), gateway)


def attach(app: FastAPI, runtime: DisbursementRuntime, cbdc: Context) -> None:
    """Make `runtime` the app's disbursement services and stop its worker at shutdown;
    tax payers are the digital som's wallets."""
    provide(app, DISBURSEMENT, runtime)
    provide(app, TAX_PAYERS, CbdcTaxPayers(cbdc))
    app.router.on_shutdown.append(runtime.close)


class CbdcTaxPayers:
    """`TaxPayers` over the digital som's wallets and bank floats."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def payer_account_id(self, actor: Actor, wallet_id: str, amount_tyiyn: int) -> int:
        wallet = wallets.load(self._ctx, wallet_id)
        access.require_operate(actor, wallet)
        wallets.require_usable(wallet)
        wallets.require_within_payment_limit(self._ctx, wallet, amount_tyiyn)
        return wallet_account_id(wallet.id)

    def readable_account_id(self, actor: Actor, wallet_id: str) -> int:
        access.require_read(actor, wallets.load(self._ctx, wallet_id))
        return wallet_account_id(wallet_id)

    def bank_float_account_id(self, bank_code: str) -> int:
        return bank_account_id(bank_code, AccountCode.BANK_FLOAT)
