"""Property: whatever sequence of confirmed balances a watched Bitcoin address shows (coins
in, spends, re-orgs that take coins back, the same answer read twice, two observers racing
on one books state), the reserve's BTC books equal the last observed balance, and nothing
is posted twice: the debits posted are exactly the rises seen and the credits posted the
falls. The watcher books a watched address in its round."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.kernel.chart import LEDGER_RESERVE_BTC
from digisom.ledger.service import Ledger
from digisom.reserve.bitcoin import WatchOnly, descriptor_checksum, watch_only
from digisom.reserve.bitcoin_balances import BitcoinBalance
from digisom.reserve.bitcoin_observer import BitcoinObserver
from digisom.reserve.books import Books, ObservationRaced, bitcoin_holding_account_id
from digisom.reserve.errors import BitcoinUnavailable
from digisom.reserve.policy import parse_policy
from digisom.reserve.watcher import ReserveWatcher
from digisom.stores.url import open_store
from tests.reserve.reserve_world import policy_text

SEGWIT: Final = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
LEGACY: Final = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"


def watched(address: str) -> WatchOnly:
    return watch_only(f"addr({address})#{descriptor_checksum(f'addr({address})')}")


@dataclass
class FakeSource:
    """A balance source that answers what the test sets (or fails)."""

    height: int = 800_000
    balances: dict[str, int] = field(default_factory=dict)
    down: bool = False

    def balance(self, address: str) -> BitcoinBalance:
        if self.down:
            raise BitcoinUnavailable("the source is down")
        return BitcoinBalance(address, self.balances.get(address, 0), self.height)


def _totals(ledger: Ledger, address: str) -> tuple[int, int]:
    (account,) = ledger.lookup_accounts([bitcoin_holding_account_id(address)])
    assert account.ledger == LEDGER_RESERVE_BTC
    return account.debits_posted, account.credits_posted


steps = st.lists(st.one_of(
    st.tuples(st.just("set"), st.integers(0, 21 * 10**14)),  # the balance at the next height
    st.tuples(st.just("reorg"), st.integers(1, 10**8)),  # a later observation with fewer coins
    st.tuples(st.just("again"), st.just(0)),  # the same answer read again
    st.tuples(st.just("race"), st.integers(0, 10**9)),  # another observer, same books state, other answer
), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(steps)
def test_books_equal_the_last_observed_balance_and_nothing_is_posted_twice(ops: list[tuple[str, int]]) -> None:
    ledger = Ledger(open_store("memory:"))
    books = Books(ledger)
    source = FakeSource()
    observer = BitcoinObserver(books, source)
    address = watched(SEGWIT)
    rises = falls = 0
    last = 0
    for kind, amount in ops:
        before = ledger.lookup_accounts([bitcoin_holding_account_id(SEGWIT)])
        if kind in ("set", "race"):
            source.height += 1
            source.balances[SEGWIT] = amount
        elif kind == "reorg":
            source.height += 1
            source.balances[SEGWIT] = max(source.balances.get(SEGWIT, 0) - amount, 0)
        report = observer.observe(address)
        observed = source.balances.get(SEGWIT, 0)
        if kind == "race" and before:  # another process read the same books state before this one posted
            loser = Books(ledger)
            assert _record_from_state(loser, ledger, SEGWIT, before[0], source.height, observed) == 0  # a retry
            if observed != last:
                with pytest.raises(ObservationRaced):
                    _record_from_state(loser, ledger, SEGWIT, before[0], source.height, observed + 1)
        rises, falls = rises + max(observed - last, 0), falls + max(last - observed, 0)
        assert report.change_sats == observed - last
        last = observed
        assert books.bitcoin_holding(SEGWIT) == observed
        assert _totals(ledger, SEGWIT) == (rises, falls)  # every change once, none twice


def _record_from_state(books: Books, ledger: Ledger, address: str, before: object, height: int, sats: int) -> int:
    """Record `sats` as if the books still were `before` (the racing process's stale read)."""
    real = ledger.lookup_accounts

    def stale_lookup(ids: list[int]) -> list[object]:
        return [before] if list(ids) == [bitcoin_holding_account_id(address)] else real(ids)
    ledger.lookup_accounts = stale_lookup  # type: ignore[assignment,method-assign]
    try:
        return books.record_observed(address, height, sats)
    finally:
        del ledger.lookup_accounts  # type: ignore[method-assign]


def test_a_reorg_is_booked_as_an_outflow_and_a_replay_posts_nothing() -> None:
    ledger = Ledger(open_store("memory:"))
    books = Books(ledger)
    source = FakeSource(balances={LEGACY: 5_000})
    observer = BitcoinObserver(books, source)
    assert books.bitcoin_holding(LEGACY) is None  # never observed: unknown, not zero
    assert observer.observe(watched(LEGACY)).change_sats == 5_000
    assert books.record_observed(LEGACY, source.height, 5_000) == 0  # the same observation again
    source.height, source.balances[LEGACY] = source.height + 1, 3_000  # a re-org took 2,000 sats back
    assert observer.observe(watched(LEGACY)).change_sats == -2_000
    assert _totals(ledger, LEGACY) == (5_000, 2_000) and books.bitcoin_holding(LEGACY) == 3_000
    source.height, source.balances[LEGACY] = source.height - 1, 5_000  # a lagging replica: skipped, not booked
    assert observer.observe(watched(LEGACY)).skipped
    assert books.bitcoin_holding(LEGACY) == 3_000


def test_the_watcher_books_watched_addresses_and_survives_an_unreadable_source() -> None:
    descriptor = f"addr({SEGWIT})"
    policy = parse_policy(policy_text(56, "0x" + "11" * 20)
                          + f'\n[[bitcoin]]\ndescriptor = "{descriptor}#{descriptor_checksum(descriptor)}"\n')
    books = Books(Ledger(open_store("memory:")))
    source = FakeSource(balances={SEGWIT: 42})
    watcher = ReserveWatcher(None, policy, 0.0, BitcoinObserver(books, source))
    assert watcher.round()[f"BTC:{SEGWIT}"].change_sats == 42  # type: ignore[union-attr]
    source.down = True
    assert watcher.round() == {} and books.bitcoin_holding(SEGWIT) == 42
