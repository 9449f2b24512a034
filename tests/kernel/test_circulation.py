"""The money auditor: per-code totals in, issued against held out; a chart that forgets a
holding code, or a ledger that lost value, is reported unbalanced."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisom.cbdc.accounts import CBDC_MONEY, AccountCode
from digisom.kernel.circulation import ChartInvalid, MoneyChart, audit, audit_ledger
from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.service import Ledger
from digisom.ledger.store import CodeTotals
from digisom.stores.memory import MemoryStore

KGS = 417
ISSUER, WALLET, FLOAT, RESERVE, OTHER = 1, 5, 4, 40, 23
CHART = MoneyChart(KGS, ISSUER, {WALLET: "wallets", FLOAT: "floats", RESERVE: "offline_reserves"})


def held(code: int, credits: int, debits: int = 0, ledger: int = KGS) -> CodeTotals:
    return CodeTotals(ledger, code, 1, 0, debits, 0, credits)


def issued(amount: int) -> CodeTotals:
    return CodeTotals(KGS, ISSUER, 1, 0, amount, 0, 0)


def test_every_holding_code_counts_and_others_do_not() -> None:
    found = audit(CHART, [issued(1_000), held(WALLET, 700, 100), held(FLOAT, 100), held(RESERVE, 300),
                          held(OTHER, 5_000), held(WALLET, 9_999, ledger=840)])
    assert found.by_code_tyiyn == {"wallets": 600, "floats": 100, "offline_reserves": 300}
    assert (found.issued_tyiyn, found.circulation_tyiyn, found.balanced) == (1_000, 1_000, True)


def test_a_chart_without_a_holding_code_reports_unbalanced() -> None:
    totals = [issued(1_000), held(WALLET, 700), held(RESERVE, 300)]
    forgetful = MoneyChart(KGS, ISSUER, {WALLET: "wallets"})
    found = audit(forgetful, totals)
    assert not found.balanced and found.issued_tyiyn - found.circulation_tyiyn == 300


def test_value_lost_from_a_code_reports_unbalanced() -> None:
    assert not audit(CHART, [issued(1_000), held(WALLET, 699), held(RESERVE, 300)]).balanced
    assert not audit(CHART, [issued(1_000), held(WALLET, 701), held(RESERVE, 300)]).balanced


def test_an_empty_ledger_is_balanced_and_shows_every_code() -> None:
    found = audit(CHART, [])
    assert found.balanced and found.by_code_tyiyn == {"wallets": 0, "floats": 0, "offline_reserves": 0}


@pytest.mark.parametrize("bad", [
    lambda: MoneyChart(KGS, ISSUER, {}),
    lambda: MoneyChart(KGS, ISSUER, {ISSUER: "issuer"}),
    lambda: MoneyChart(KGS, ISSUER, {WALLET: "same", FLOAT: "same"}),
    lambda: MoneyChart(KGS, 0, {WALLET: "wallets"}),
    lambda: MoneyChart(KGS, ISSUER, {1 << 16: "wallets"}),
    lambda: CHART.with_codes({RESERVE: "again"}),
])
def test_a_chart_that_cannot_mean_one_thing_is_refused(bad: object) -> None:
    with pytest.raises(ChartInvalid):
        bad()  # type: ignore[operator]


def test_the_digital_soms_chart_is_the_circulating_codes() -> None:
    assert set(CBDC_MONEY.holding_codes) == {AccountCode.BANK_FLOAT, AccountCode.WALLET, AccountCode.BENEFIT}
    assert CBDC_MONEY.issuance_code == AccountCode.ISSUANCE


@given(st.lists(st.tuples(st.sampled_from([WALLET, FLOAT, RESERVE, OTHER]), st.integers(1, 10**30)), max_size=30))
def test_any_sequence_of_moves_out_of_issuance_stays_balanced_on_a_real_ledger(
    moves: list[tuple[int, int]],
) -> None:
    # Independently of the store's GROUP BY: every move is a ledger transfer from the
    # issuer into a new account; the auditor must find circulation = issuance whenever
    # the target holds money, and be short by exactly the OTHER-coded amounts otherwise.
    ledger = Ledger(MemoryStore())
    accounts = [Account(1, KGS, ISSUER, int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS))]
    accounts += [Account(10 + i, KGS, code, int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS))
                 for i, (code, _) in enumerate(moves)]
    ledger.create_accounts(accounts)
    ledger.create_transfers([Transfer(100 + i, 1, 10 + i, amount, KGS, 1) for i, (_, amount) in enumerate(moves)])
    found = audit_ledger(CHART, ledger)
    outside = sum(amount for code, amount in moves if code == OTHER)
    assert found.issued_tyiyn == sum(amount for _, amount in moves)
    assert found.issued_tyiyn - found.circulation_tyiyn == outside
    assert found.balanced == (outside == 0)
