"""The Bitcoin observer: records each watched address's confirmed balance in the reserve's
books (`Books.record_observed`, ledger `RESERVE_BTC`, satoshis).

A watch-only address shows no events, only a balance at a height. Each observation posts
the difference from the books; a re-org that removed coins shows as the balance going down
at a later observation and is booked as an outflow, like a spend (docs/reserve.md). A
source answering an older height than this observer already recorded for the address (a
lagging Esplora replica) is skipped rather than booked backwards and forwards again.
"""

from __future__ import annotations

from dataclasses import dataclass

from digisom.reserve.bitcoin import WatchOnly
from digisom.reserve.bitcoin_balances import BitcoinBalances
from digisom.reserve.books import Books


@dataclass(frozen=True, slots=True)
class BitcoinReport:
    address: str
    height: int
    confirmed_sats: int
    change_sats: int  # what this observation posted: > 0 inflow, < 0 outflow, 0 nothing
    skipped: bool = False  # the source answered an older height than already recorded


class BitcoinObserver:
    """Keeps the books of watched Bitcoin addresses equal to a balance source."""

    def __init__(self, books: Books, source: BitcoinBalances) -> None:
        self._books = books
        self._source = source
        self._heights: dict[str, int] = {}  # the newest height recorded per address, by this observer

    def observe(self, watched: WatchOnly) -> BitcoinReport:
        """Read the address's confirmed balance and book the change; `BitcoinUnavailable` if unreadable."""
        found = self._source.balance(watched.address)
        newest = self._heights.get(watched.address)
        if newest is not None and found.height < newest:
            return BitcoinReport(watched.address, found.height, found.confirmed_sats, 0, skipped=True)
        change = self._books.record_observed(watched.address, found.height, found.confirmed_sats)
        self._heights[watched.address] = found.height
        return BitcoinReport(watched.address, found.height, found.confirmed_sats, change)
