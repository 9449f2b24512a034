"""Random sequences of operations against a reference model of the token.

After every step: each balance equals the model's, no balance is negative or carries the
blacklist flag, and the sum of balances equals totalSupply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import boa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import CENTRAL_BANK_OPENING, MINTER_ALLOWANCE, PENSIONER_OPENING, SOM, World

HOLDERS = ("central_bank", "merchant", "pensioner", "minter")
MAX_STEPS = 12
# The slow variant: this many times the default examples per backend.
LONG_RUN_FACTOR = 10
SUPPLY_CAP = 2**255 - 1
UNLIMITED = 2**256 - 1

holder = st.sampled_from(HOLDERS)
# Mostly everyday sizes, sometimes the edges: zero, one unit, huge, unlimited.
amount = st.one_of(
    st.integers(min_value=0, max_value=1_000 * SOM),
    st.sampled_from([0, 1, MINTER_ALLOWANCE, SUPPLY_CAP, UNLIMITED]),
)
step = st.one_of(
    st.tuples(st.just("mint"), holder, amount),
    st.tuples(st.just("transfer"), holder, holder, amount),
    st.tuples(st.just("burn"), amount),
    st.tuples(st.just("approve"), holder, holder, amount),
    st.tuples(st.just("transferFrom"), holder, holder, holder, amount),
    st.tuples(st.just("blacklist"), holder),
    st.tuples(st.just("unBlacklist"), holder),
)


@dataclass
class Model:
    balances: dict[str, int] = field(default_factory=dict)
    allowances: dict[tuple[str, str], int] = field(default_factory=dict)
    blacklisted: set[str] = field(default_factory=set)
    minter_allowance: int = 0

    def ok(self, *who: str) -> bool:
        return not self.blacklisted.intersection(who)

    def move(self, frm: str, to: str, value: int) -> bool:
        if not self.ok(frm, to) or self.balances[frm] < value:
            return False
        self.balances[frm] -= value
        self.balances[to] += value
        return True

    def apply(self, op: tuple) -> bool:
        """Apply `op` to the model; False if the contract must refuse it."""
        kind = op[0]
        if kind == "mint":
            _, to, value = op
            supply = sum(self.balances.values())
            if value == 0 or not self.ok("minter", to) or value > self.minter_allowance or value > SUPPLY_CAP - supply:
                return False
            self.minter_allowance -= value
            self.balances[to] += value
            return True
        if kind == "transfer":
            return self.move(op[1], op[2], op[3])
        if kind == "burn":
            value = op[1]
            if value == 0 or not self.ok("minter") or self.balances["minter"] < value:
                return False
            self.balances["minter"] -= value
            return True
        if kind == "approve":
            _, owner, spender, value = op
            if not self.ok(owner, spender):
                return False
            self.allowances[owner, spender] = value
            return True
        if kind == "transferFrom":
            _, spender, frm, to, value = op
            allowed = self.allowances.get((frm, spender), 0)
            if not self.ok(spender) or (allowed != UNLIMITED and allowed < value):
                return False
            if not self.move(frm, to, value):
                return False
            if allowed != UNLIMITED:
                self.allowances[frm, spender] = allowed - value
            return True
        if kind == "blacklist":
            self.blacklisted.add(op[1])
            return True
        self.blacklisted.discard(op[1])
        return True


def run(world: World, op: tuple) -> None:
    token, a = world.token, world.address
    kind = op[0]
    if kind == "mint":
        token.mint(a(op[1]), op[2], sender=world.minter)
    elif kind == "transfer":
        token.transfer(a(op[2]), op[3], sender=a(op[1]))
    elif kind == "burn":
        token.burn(op[1], sender=world.minter)
    elif kind == "approve":
        token.approve(a(op[2]), op[3], sender=a(op[1]))
    elif kind == "transferFrom":
        token.transferFrom(a(op[2]), a(op[3]), op[4], sender=a(op[1]))
    else:
        getattr(token, kind)(a(op[1]), sender=world.blacklister)


def check(world: World, model: Model) -> None:
    token = world.token
    total = 0
    for role in HOLDERS:
        balance = token.balanceOf(world.address(role))
        assert 0 <= balance < 2**255, "the blacklist flag leaked into balanceOf"
        assert balance == model.balances[role]
        assert token.isBlacklisted(world.address(role)) == (role in model.blacklisted)
        total += balance
    assert total == token.totalSupply()


def test_random_operations_keep_the_books(world: World) -> None:
    check_property(world, world.backend.property_examples)


@pytest.mark.slow
def test_random_operations_keep_the_books_long(world: World) -> None:
    check_property(world, LONG_RUN_FACTOR * world.backend.property_examples)


def check_property(world: World, examples: int) -> None:
    token = world.token

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(steps=st.lists(step, max_size=MAX_STEPS))
    def property_holds(steps: list[tuple]) -> None:
        with boa.env.anchor():
            opening = {"central_bank": CENTRAL_BANK_OPENING, "merchant": 0, "pensioner": PENSIONER_OPENING, "minter": 0}
            model = Model(balances=opening, minter_allowance=token.minterAllowance(world.minter))
            for op in steps:
                if model.apply(op):
                    run(world, op)
                else:
                    with boa.reverts():
                        run(world, op)
                check(world, model)

    property_holds()
