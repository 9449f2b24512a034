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

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Final, Protocol

from fastapi import FastAPI, Request
from sqlalchemy import Engine

from digisom.api.problems import ApiProblem, worker_problem
from digisom.cbdc.accounts import wallet_account_id
from digisom.cbdc.credits import CreditPlan, CreditRequest
from digisom.cbdc.credits import CreditRefusal as CbdcCreditRefusal
from digisom.cbdc.model import WalletStatus
from digisom.disbursement.migrations import migrate
from digisom.disbursement.model import Progress, TransferCode
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
from digisom.kernel.chart import CHART, Domain
from digisom.kernel.errors import DomainError
from digisom.kernel.gateway import AccountReader, LedgerGateway
from digisom.ledger.model import BATCH_EVENTS_MAX

# Runs executed at once per API process: each already fills whole ledger batches, so a
# second worker only helps when two programmes pay on the same day.
EXECUTION_WORKERS: Final = 2
_CHANNELS: Final = {"wallet": Channel.WALLET, "bank_account": Channel.BANK_ACCOUNT}
_log = logging.getLogger("digisom.disbursement")


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


class _Stopping(Exception):
    """Raised between batches when the process shuts down; the run resumes on the next start."""


@dataclass(frozen=True, slots=True)
class WorkerError:
    """Why a run's last execution stopped: a stable problem type and a detail safe to show
    (never Python's exception text; that goes to the log)."""

    type: str
    detail: str


@dataclass(frozen=True, slots=True)
class WorkerState:
    """Whether this process is executing a run, and why its last attempt stopped, if it failed."""

    running: bool
    error: WorkerError | None


class Executions:
    """Runs executing in background threads, at most one per run in this process.

    Another process may execute the same run at the same time: the domain makes them take
    turns on the run's lock and never pays twice. Stopping (shutdown) waits for the batch
    in flight and leaves the run `executing`, to be resumed by the next execution request.
    """

    def __init__(
        self, service: DisbursementService, batch_size: int = BATCH_EVENTS_MAX, workers: int = EXECUTION_WORKERS
    ) -> None:
        self._service = service
        self._batch_size = batch_size
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="disbursement")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[Progress]] = {}
        self._stopping = threading.Event()

    def start(self, run_id: str) -> bool:
        """Start (or resume) executing `run_id`; False when this process is already at it."""
        with self._lock:
            if self._stopping.is_set():
                raise ApiProblem(503, "unavailable", "The service cannot take this request now", "shutting down")
            running = self._futures.get(run_id)
            if running is not None and not running.done():
                return False
            self._futures[run_id] = self._pool.submit(self._execute, run_id)
            return True

    def state(self, run_id: str) -> WorkerState:
        """This process's worker for `run_id`."""
        with self._lock:
            future = self._futures.get(run_id)
        if future is None:
            return WorkerState(False, None)
        if not future.done():
            return WorkerState(True, None)
        if future.cancelled():  # queued when the process began shutting down
            return WorkerState(False, None)
        error = future.exception()
        if error is None or isinstance(error, _Stopping):
            return WorkerState(False, None)
        return WorkerState(False, WorkerError(*worker_problem(error)))

    def wait(self, run_id: str, timeout_s: float | None = None) -> None:
        """Block until this process's worker for `run_id` finished (tests, the CLI)."""
        with self._lock:
            future = self._futures.get(run_id)
        if future is not None:
            future.exception(timeout=timeout_s)

    def close(self) -> None:
        """Stop after each worker's current batch, and wait for them."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _execute(self, run_id: str) -> Progress:
        def between_batches(_progress: Progress) -> None:
            if self._stopping.is_set():
                raise _Stopping(run_id)

        try:
            return self._service.execute(run_id, self._batch_size, on_batch=between_batches)
        except _Stopping:
            raise
        except DomainError as refused:
            _log.warning("disbursement run %s refused: %s", run_id, refused)
            raise
        except Exception:
            _log.exception("disbursement run %s stopped", run_id)
            raise


@dataclass(frozen=True)
class DisbursementRuntime:
    """The disbursement and tax services of one process, and its execution worker."""

    engine: Engine
    service: DisbursementService
    taxes: TaxService
    tax_revenue_account: int | None  # without one, tax payments are refused (receipts still read)
    executions: Executions
    gateway: LedgerGateway  # the domain's only way to the ledger

    def close(self) -> None:
        """Stop the execution worker (idempotent)."""
        self.executions.close()


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


def attach(app: FastAPI, runtime: DisbursementRuntime) -> None:
    """Make `runtime` the app's disbursement services and stop its worker at shutdown."""
    app.state.disbursement = runtime
    app.router.on_shutdown.append(runtime.close)


def disbursement(request: Request) -> DisbursementRuntime:
    """The app's disbursement services (503 when the process was built without them)."""
    found: DisbursementRuntime | None = getattr(request.app.state, "disbursement", None)
    if found is None:
        raise ApiProblem(503, "unavailable", "The service cannot take this request now",
                         "disbursement is not configured in this process")
    return found

