"""The money invariant and its one auditor: digital som in circulation equals what the
central bank issued and has not redeemed.

A `MoneyChart` names, on one ledger, the issuer's liability code (debit-normal: its
debits less its credits are what is outstanding) and every code whose accounts hold
digital som (credit-normal: wallets, bank floats, benefits, offline reserves, the KGST
reserve...). The auditor adds each code's balances from the ledger's per-code totals, one
set-based read however many wallets there are, so it sees every account of a code,
including ones no domain table lists. A code missing from the chart shows up as
`balanced = False` as soon as value moves into it: that is the point.

The kernel imports no domain: the entry point builds the chart from each domain's codes
(`digisom.api.money`) and passes it in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from digisom.errors import DigisomError
from digisom.ledger.service import Ledger
from digisom.ledger.store import CodeTotals

U16_CODES: Final = range(1, 1 << 16)


class ChartInvalid(DigisomError):
    """A money chart that cannot mean one thing: codes out of range, repeated or both sides."""


@dataclass(frozen=True, slots=True)
class MoneyChart:
    """Which account codes of `ledger` issue digital som and which hold it (code -> name)."""

    ledger: int
    issuance_code: int
    holding_codes: Mapping[int, str]

    def __post_init__(self) -> None:
        codes = [self.issuance_code, *self.holding_codes]
        if not self.holding_codes or any(int(c) not in U16_CODES for c in codes):
            raise ChartInvalid(f"money codes must be 1..65535 and at least one holds money: {codes}")
        if self.issuance_code in self.holding_codes:
            raise ChartInvalid(f"code {self.issuance_code} cannot both issue and hold digital som")
        names = list(self.holding_codes.values())
        if len(set(names)) != len(names) or not all(names):
            raise ChartInvalid(f"each holding code needs its own name: {names}")

    def with_codes(self, more: Mapping[int, str]) -> MoneyChart:
        """This chart with the holding codes of another domain added (a code may appear once)."""
        clash = set(more) & set(self.holding_codes)
        if clash:
            raise ChartInvalid(f"holding codes declared twice: {sorted(clash)}")
        return MoneyChart(self.ledger, self.issuance_code, {**self.holding_codes, **more})


@dataclass(frozen=True, slots=True)
class Circulation:
    """What the auditor found: issued against held, per holding code (by name)."""

    issued_tyiyn: int
    circulation_tyiyn: int
    by_code_tyiyn: Mapping[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """The money invariant: everything issued is held somewhere, nothing more."""
        return self.circulation_tyiyn == self.issued_tyiyn

    def held_tyiyn(self, name: str) -> int:
        """What the accounts of the holding code called `name` hold."""
        return self.by_code_tyiyn[name]


def audit(chart: MoneyChart, totals: Iterable[CodeTotals]) -> Circulation:
    """Circulation against issuance from per-code totals (posted balances; pending holds
    have not moved value yet). Totals of other ledgers or other codes are ignored."""
    by_code = dict.fromkeys(chart.holding_codes.values(), 0)
    issued = 0
    for t in totals:
        if t.ledger != chart.ledger:
            continue
        if t.code == chart.issuance_code:
            issued += t.debits_posted - t.credits_posted
        elif t.code in chart.holding_codes:
            by_code[chart.holding_codes[t.code]] += t.credits_posted - t.debits_posted
    return Circulation(issued, sum(by_code.values()), by_code)


def audit_ledger(chart: MoneyChart, ledger: Ledger) -> Circulation:
    """`audit` over what `ledger` last committed."""
    return audit(chart, ledger.code_totals(chart.ledger))
