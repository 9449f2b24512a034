"""The ledger gateway: how a domain submits transfers, so that no domain posts a code it
does not own or debits an account the chart of accounts does not let it debit.

A domain gets a gateway built with its name; before anything reaches the ledger, the
gateway looks up the code of every debited account (an account's code is fixed when it
is created) and refuses the whole batch with `DebitNotAllowed` if one transfer breaks
the chart. Posts and voids of a pending transfer name no account (debit 0): the ledger
checks them against the pending transfer, which passed the gateway when it was made.
A debited account the ledger does not know is left to the ledger (`debit_account_not_found`).

An account's code never changes once it is created, so the gateway remembers the codes it
read (at most `ACCOUNT_CODES_CACHED` of them, per gateway): a payment between accounts it
has seen costs no read. An account the ledger did not know is not remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Final, Protocol, runtime_checkable

from digisom.errors import DigisomError
from digisom.kernel.chart import Chart, Domain
from digisom.kernel.errors import Refused
from digisom.ledger.model import Account, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult

# Account codes a gateway remembers: 16 bytes of id and a small int each, a few MiB at most.
ACCOUNT_CODES_CACHED: Final = 65_536


class DebitNotAllowed(Refused):
    """A transfer the chart of accounts does not allow this domain to post."""

    slug = "debit-not-allowed"
    title = "The chart of accounts does not allow this debit"

    def __init__(self, domain: Domain, transfer: Transfer, account_code: int) -> None:
        super().__init__(
            f"the {domain.value} domain may not post transfer code {transfer.code} debiting an account of code "
            f"{account_code}"
        )
        self.domain = domain
        self.transfer_code = transfer.code
        self.account_code = account_code


class CacheSizeInvalid(DigisomError):
    """A gateway asked to remember fewer than one account code."""


class TransferWriter(Protocol):
    """The ledger's write side (`digisom.ledger.service.Ledger` and its `Submitter` fit)."""

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        """Create a batch of transfers; one result per event, in order."""
        ...


@runtime_checkable
class StreamingTransferWriter(TransferWriter, Protocol):
    """A writer that also commits batch after batch pipelined (`Ledger.create_transfers_many`)."""

    def create_transfers_many(self, batches: Iterable[Sequence[Transfer]]) -> Iterator[list[CreateTransferResult]]:
        """Each batch's results, in order, once that batch is durable."""
        ...


class AccountReader(Protocol):
    """The ledger's read side (`digisom.ledger.service.Ledger` fits)."""

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        """The accounts among `ids` that exist."""
        ...


class LedgerGateway:
    """A domain's way to the ledger; itself a `TransferWriter`, so it wraps the writer a
    domain was given."""

    def __init__(self, domain: Domain, chart: Chart, writer: TransferWriter, accounts: AccountReader,
                 codes_cached: int = ACCOUNT_CODES_CACHED) -> None:
        if codes_cached < 1:
            raise CacheSizeInvalid(f"codes_cached must be at least 1, not {codes_cached}")
        self._domain = domain
        self._chart = chart
        self._writer = writer
        self._accounts = accounts
        self._codes_cached = codes_cached
        self._codes: dict[int, int] = {}  # account id -> its code; oldest first, dropped first
        self._codes_lock = threading.Lock()  # one gateway serves a process's request threads

    @property
    def domain(self) -> Domain:
        """The domain this gateway submits for."""
        return self._domain

    def check(self, events: Sequence[Transfer]) -> None:
        """Raise `DebitNotAllowed` for the first transfer the chart refuses this domain."""
        codes = self._account_codes({t.debit_account_id for t in events if t.debit_account_id})
        for transfer in events:
            if not transfer.debit_account_id:
                continue
            code = codes.get(transfer.debit_account_id)
            if code is None:  # unknown to the ledger, which will refuse it; the code must still be ours
                if not self._chart.owns(self._domain, transfer.code):
                    raise DebitNotAllowed(self._domain, transfer, 0)
            elif not self._chart.may_debit(self._domain, code, transfer.code):
                raise DebitNotAllowed(self._domain, transfer, code)

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        """Check `events` against the chart, then submit them as one batch."""
        self.check(events)
        return self._writer.create_transfers(events)

    def create_transfers_many(self, batches: Iterable[Sequence[Transfer]]) -> Iterator[list[CreateTransferResult]]:
        """Batch after batch, each checked against the chart just before the writer takes
        it: pipelined when the writer can (the ledger runs batch N+1's engine while batch N
        commits), else one batch after the other. A refused batch raises `DebitNotAllowed`
        when it is reached; the batches before it are written."""
        checked = (self._checked(events) for events in batches)
        if isinstance(self._writer, StreamingTransferWriter):
            return self._writer.create_transfers_many(checked)
        return (self._writer.create_transfers(events) for events in checked)

    def _checked(self, events: Sequence[Transfer]) -> Sequence[Transfer]:
        self.check(events)
        return events

    def _account_codes(self, ids: set[int]) -> dict[int, int]:
        """The code of each account among `ids` the ledger knows: remembered, or read once."""
        with self._codes_lock:
            codes = {i: self._codes[i] for i in ids if i in self._codes}
        missing = sorted(ids - codes.keys())
        if not missing:
            return codes
        read = {a.id: a.code for a in self._accounts.lookup_accounts(missing)}
        with self._codes_lock:
            for account_id, code in read.items():
                if account_id not in self._codes and len(self._codes) >= self._codes_cached:
                    del self._codes[next(iter(self._codes))]
                self._codes[account_id] = code
        return codes | read


class LedgerWriter(TransferWriter, AccountReader, Protocol):
    """A ledger a domain creates accounts and transfers on and reads accounts from, through
    one object (`digisom.ledger.service.Ledger` fits)."""

    def create_accounts(self, events: Sequence[Account]) -> list[CreateAccountResult]:
        """Create a batch of accounts; one result per event, in order."""
        ...

    def lookup_transfers(self, ids: Sequence[int]) -> list[Transfer]:
        """The transfers among `ids` that exist."""
        ...


class GatedLedger(LedgerGateway):
    """A domain's ledger whose transfers pass its gateway, for a domain given one `Ledger`
    to write and read (the RTGS, offline, the KGST bridge): the domain keeps only this
    object, so it has no way to the ledger around the chart."""

    def __init__(self, domain: Domain, chart: Chart, ledger: LedgerWriter) -> None:
        super().__init__(domain, chart, ledger, ledger)
        self._ledger = ledger

    def create_accounts(self, events: Sequence[Account]) -> list[CreateAccountResult]:
        """Create a batch of accounts."""
        return self._ledger.create_accounts(events)

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        """The accounts among `ids` that exist."""
        return self._ledger.lookup_accounts(ids)

    def lookup_transfers(self, ids: Sequence[int]) -> list[Transfer]:
        """The transfers among `ids` that exist."""
        return self._ledger.lookup_transfers(ids)
