"""`get_code_totals`: per account code, one set-based read of its accounts' summed balances.

The money invariant's auditor reads these; each SQL store must agree with the memory
store and with a sum over `scan_accounts` (an independent way of adding the same rows)."""

from __future__ import annotations

from digisom.ledger.model import PAGE_LIMIT_MAX, U128_MAX, Account
from digisom.ledger.store import CodeTotals, LedgerStore
from digisom.stores.memory import MemoryStore

from .conftest import KGS, Chain, commit

OTHER_LEDGER = 840
WALLET, FLOAT, EMPTY = 5, 4, 9


def _accounts() -> list[Account]:
    # Two wallets at the u128 maximum: their sum passes u128, as a code's total may.
    rows = [
        Account(1, KGS, WALLET, credits_posted=U128_MAX, timestamp=1),
        Account(2, KGS, WALLET, credits_posted=U128_MAX, debits_posted=7, debits_pending=3, timestamp=2),
        Account(3, KGS, WALLET, credits_posted=11, credits_pending=2, timestamp=3),
        Account(4, KGS, FLOAT, credits_posted=500, debits_posted=100, timestamp=4),
        Account(5, KGS, EMPTY, timestamp=5),
        Account(6, OTHER_LEDGER, WALLET, credits_posted=999, timestamp=6),
    ]
    return rows


EXPECTED = [
    CodeTotals(KGS, FLOAT, 1, 0, 100, 0, 500),
    CodeTotals(KGS, WALLET, 3, 3, 7, 2, 2 * U128_MAX + 11),
    CodeTotals(KGS, EMPTY, 1, 0, 0, 0, 0),
]


def _by_scan(store: LedgerStore, ledger: int) -> list[CodeTotals]:
    sums: dict[int, list[int]] = {}
    for a in store.scan_accounts(0, PAGE_LIMIT_MAX):
        if a.ledger == ledger:
            row = sums.setdefault(a.code, [0] * 5)
            for i, value in enumerate((1, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)):
                row[i] += value
    return [CodeTotals(ledger, code, *row) for code, row in sorted(sums.items())]


def test_sql_store_code_totals_sum_each_code_of_one_ledger(store: LedgerStore, chain: Chain) -> None:
    assert store.get_code_totals(KGS) == []
    commit(store, chain.batch(accounts_created=_accounts()))
    totals = store.get_code_totals(KGS)
    assert totals == sorted(EXPECTED, key=lambda t: t.code)
    assert totals == _by_scan(store, KGS)
    assert store.get_code_totals(OTHER_LEDGER) == [CodeTotals(OTHER_LEDGER, WALLET, 1, 0, 0, 0, 999)]
    assert store.get_code_totals(1) == []


def test_memory_store_code_totals_agree(chain: Chain) -> None:
    store = MemoryStore()
    commit(store, chain.batch(accounts_created=_accounts()))
    assert store.get_code_totals(KGS) == sorted(EXPECTED, key=lambda t: t.code) == _by_scan(store, KGS)
