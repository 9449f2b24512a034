"""The reserve's own books: one ledger per asset (kernel/chart.py: RESERVE_BNB, ...), in the
asset's smallest unit, every posting through the reserve domain's ledger gateway.

Per asset and reserve address a `RESERVE_HOLDING` account (debit-normal: its debit
balance is what the address holds); per asset one `RESERVE_OUTSIDE` account, the world the
reserve receives from and moves to. An inflow seen on chain debits the holding; a movement
the wallet executed credits it. A chain event is first a pending transfer and is posted
once it is `confirmations` deep, or voided if a re-org removed it; so posted balances are
the chain's at the confirmed block, and posted + pending is the chain's now. Every id is
derived from the chain event (chain, transaction, log index, block hash), so replaying an
event answers `exists`.

A watched Bitcoin address (no logs: only its confirmed balance, read through the
`BitcoinBalances` port) has a holding on `RESERVE_BTC`, in satoshis. Each observation
posts the difference between the observed balance and the books: up is an inflow, down an
outflow (a custodians' spend, or a re-org that removed coins: a balance cannot tell which).
The transfer's id is derived from the address and the books' state before it (its debits
and credits posted), and it carries the observation (height in `user_data_64`, balance in
`user_data_128`): the same observation recorded twice from one state is `exists`, and two
different observations racing from one state cannot both post (the second is
`ObservationRaced`), so the books never count a change twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from digisom.kernel.chart import (
    CHART,
    LEDGER_RESERVE_BNB,
    LEDGER_RESERVE_BTC,
    LEDGER_RESERVE_ETH,
    LEDGER_RESERVE_KGST,
    LEDGER_RESERVE_USDKG,
    Domain,
)
from digisom.kernel.gateway import GatedLedger, LedgerWriter
from digisom.kernel.ids import framed_id
from digisom.ledger.model import Account, Transfer, TransferFlags
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.reserve.bitcoin import canonical_address
from digisom.reserve.errors import ReserveError

_PERSON: Final = b"digisom-reserve"
ASSET_LEDGERS: Final = {"BNB": LEDGER_RESERVE_BNB, "KGST": LEDGER_RESERVE_KGST, "USDKG": LEDGER_RESERVE_USDKG,
                        "ETH": LEDGER_RESERVE_ETH, "BTC": LEDGER_RESERVE_BTC}
BITCOIN: Final = "BTC"
_ACCEPTED: Final = (CreateTransferResult.ok, CreateTransferResult.exists)


class ReserveAccountCode(IntEnum):
    RESERVE_HOLDING = 80
    RESERVE_OUTSIDE = 81


class ReserveTransferCode(IntEnum):
    RESERVE_INFLOW = 80
    RESERVE_OUTFLOW = 81


class BooksRefused(ReserveError):
    """The ledger refused a posting of the reserve's books (names the result)."""


class ObservationRaced(BooksRefused):
    """Another observer recorded a different observation from the same books state first;
    nothing of this one was posted (read again: the next observation settles it)."""


@dataclass(frozen=True, slots=True)
class ChainMove:
    """One change of a reserve address's balance, as a chain log shows it."""

    event_id: str
    asset: str
    chain_id: int
    address: str
    direction: str  # "in" or "out"
    amount_units: int
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str


@dataclass(frozen=True, slots=True)
class Holding:
    """An address's books for one asset: posted (confirmed) and pending either way."""

    asset: str
    address: str
    posted_units: int
    pending_in_units: int
    pending_out_units: int

    @property
    def unconfirmed_units(self) -> int:
        """What the chain shows now, confirmed or not."""
        return self.posted_units + self.pending_in_units - self.pending_out_units


def ledger_of(asset: str) -> int:
    found = ASSET_LEDGERS.get(asset)
    if found is None:
        raise ReserveError(f"asset {asset} has no reserve ledger in the chart")
    return found


def holding_account_id(asset: str, chain_id: int, address: str) -> int:
    return framed_id(_PERSON, ("holding", asset, chain_id, address.lower()))


def bitcoin_holding_account_id(address: str) -> int:
    """A watched Bitcoin address's holding (bech32 is case-blind, base58 is not)."""
    return framed_id(_PERSON, ("holding", BITCOIN, "bitcoin", canonical_address(address)))


def observed_transfer_id(holding_id: int, debits_posted: int, credits_posted: int) -> int:
    """One change per books state: each posting raises the debits or the credits posted."""
    return framed_id(_PERSON, ("observed", holding_id, debits_posted, credits_posted))


def outside_account_id(asset: str) -> int:
    return framed_id(_PERSON, ("outside", asset))


def _transfer_id(event_id: str, leg: str) -> int:
    return framed_id(_PERSON, ("move", event_id, leg))


class Books:
    """The reserve's ledger accounts; the gateway lets it post only the chart's reserve codes."""

    def __init__(self, ledger: LedgerWriter) -> None:
        self._ledger = GatedLedger(Domain.RESERVE, CHART, ledger)

    def open(self, asset: str, chain_id: int, address: str) -> None:
        """Create the address's holding and the asset's outside account (again: `exists`)."""
        self._open(asset, holding_account_id(asset, chain_id, address), address)

    def _open(self, asset: str, holding: int, address: str) -> None:
        ledger = ledger_of(asset)
        results = self._ledger.create_accounts([
            Account(holding, ledger, int(ReserveAccountCode.RESERVE_HOLDING)),
            Account(outside_account_id(asset), ledger, int(ReserveAccountCode.RESERVE_OUTSIDE)),
        ])
        refused = [r for r in results if r not in (CreateAccountResult.ok, CreateAccountResult.exists)]
        if refused:
            raise BooksRefused(f"reserve accounts of {asset} at {address}: {refused[0].name}")

    def holding(self, asset: str, chain_id: int, address: str) -> Holding:
        found = self._ledger.lookup_accounts([holding_account_id(asset, chain_id, address)])
        if not found:
            return Holding(asset, address, 0, 0, 0)
        a = found[0]
        return Holding(asset, address, a.debits_posted - a.credits_posted, a.debits_pending, a.credits_pending)

    def bitcoin_holding(self, address: str) -> int | None:
        """The satoshis the books hold at a watched address; None: never observed."""
        found = self._ledger.lookup_accounts([bitcoin_holding_account_id(address)])
        return found[0].debits_posted - found[0].credits_posted if found else None

    def record_observed(self, address: str, height: int, confirmed_sats: int) -> int:
        """Make a watched address's books equal its observed confirmed balance; the change
        this call posted (0: the books were already equal, or the same posting exists)."""
        holding = bitcoin_holding_account_id(address)
        outside = outside_account_id(BITCOIN)
        self._open(BITCOIN, holding, address)
        (account,) = self._ledger.lookup_accounts([holding])
        change = confirmed_sats - (account.debits_posted - account.credits_posted)
        if change == 0:
            return 0
        up = change > 0
        transfer = Transfer(observed_transfer_id(holding, account.debits_posted, account.credits_posted),
                            holding if up else outside, outside if up else holding, abs(change), LEDGER_RESERVE_BTC,
                            int(ReserveTransferCode.RESERVE_INFLOW if up else ReserveTransferCode.RESERVE_OUTFLOW),
                            user_data_128=confirmed_sats, user_data_64=height)
        (result,) = self._ledger.create_transfers([transfer])
        if result == CreateTransferResult.ok:
            return change
        if result == CreateTransferResult.exists:
            return 0
        if result.name.startswith("exists_with_different"):
            raise ObservationRaced(f"{address}: another observation was recorded from the same books state")
        raise BooksRefused(f"reserve transfer {transfer.id}: {result.name}")

    def hold(self, move: ChainMove) -> None:
        """A move seen but not yet deep enough: pending."""
        self._submit(self._leg(move, "hold", TransferFlags.PENDING))

    def post(self, move: ChainMove, held: bool) -> None:
        """A move `confirmations` deep: post its hold, or post it at once if it was never held."""
        if not held:
            self._submit(self._leg(move, "direct", TransferFlags.NONE))
            return
        self._submit(Transfer(_transfer_id(move.event_id, "post"), 0, 0, move.amount_units, ledger_of(move.asset), 0,
                              int(TransferFlags.POST_PENDING_TRANSFER), pending_id=_transfer_id(move.event_id, "hold")))

    def void(self, move: ChainMove) -> None:
        """A held move a re-org removed."""
        self._submit(Transfer(_transfer_id(move.event_id, "void"), 0, 0, 0, ledger_of(move.asset), 0,
                              int(TransferFlags.VOID_PENDING_TRANSFER), pending_id=_transfer_id(move.event_id, "hold")))

    def _leg(self, move: ChainMove, leg: str, flags: TransferFlags) -> Transfer:
        holding = holding_account_id(move.asset, move.chain_id, move.address)
        outside = outside_account_id(move.asset)
        inflow = move.direction == "in"
        return Transfer(_transfer_id(move.event_id, leg), holding if inflow else outside,
                        outside if inflow else holding, move.amount_units, ledger_of(move.asset),
                        int(ReserveTransferCode.RESERVE_INFLOW if inflow else ReserveTransferCode.RESERVE_OUTFLOW),
                        int(flags))

    def _submit(self, transfer: Transfer) -> None:
        (result,) = self._ledger.create_transfers([transfer])
        if result not in _ACCEPTED:
            raise BooksRefused(f"reserve transfer {transfer.id}: {result.name}")
