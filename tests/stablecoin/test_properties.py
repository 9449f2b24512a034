"""Property: whatever holders do — mint, pay on-chain, redeem, crash mid-mint — supply equals
the reserve once nothing is in flight, stays within the in-flight bounds after every round,
and no tyiyn is created or lost between the wallets and the reserve."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.stablecoin.errors import InsufficientFunds
from digisom.stablecoin.model import Kind
from tests.stablecoin.test_crash import STATES, Crash, crash_at
from tests.stablecoin.world import OPENING_TYIYN, World

HOLDERS = ("pensioner", "merchant", "commercial_bank")
amounts = st.integers(min_value=1, max_value=4_000_00)
actions = st.one_of(
    st.tuples(st.just("mint"), st.sampled_from(HOLDERS), amounts),
    st.tuples(st.just("pay"), st.sampled_from(HOLDERS), st.sampled_from(HOLDERS), amounts),
    st.tuples(st.just("redeem"), st.sampled_from(HOLDERS), amounts),
    st.tuples(st.just("crash"), st.sampled_from(HOLDERS), amounts, st.sampled_from(STATES)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(actions, min_size=1, max_size=8))
def test_supply_equals_reserve_whatever_happens(artifact: Artifact, steps: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder), EmbeddedChain(56), artifact)
        try:
            for role in HOLDERS:
                world.bridge.link_address(role, world.address(role))
            for index, step in enumerate(steps):
                run(world, index, step)
                report = world.bridge.process()  # raises InvariantViolation if unbalanced
                assert report.balanced
            report = world.bridge.process()
            assert not [op for op in world.bridge.operations() if op.open]
            assert report.supply_tyiyn == report.reserve_tyiyn
            wallets = sum(world.balance_tyiyn(role) for role in HOLDERS)
            assert wallets + report.reserve_tyiyn == OPENING_TYIYN * len(HOLDERS)
        finally:
            world.close()


def run(world: World, index: int, step: tuple[object, ...]) -> None:
    kind, role = str(step[0]), str(step[1])
    if kind in ("mint", "crash"):
        amount = int(step[2])  # type: ignore[call-overload]
        bridge = world.bridge if kind == "mint" else world.make_bridge(observer=crash_at(Kind.MINT, str(step[3])))
        with contextlib.suppress(InsufficientFunds, Crash):  # refusals and crashes are part of the story
            bridge.request_mint(f"p{index}", role, world.address(role), amount)
        if kind == "crash":
            world.restart()
    elif kind == "pay":
        amount = min(int(step[3]), world.tokens(role))  # type: ignore[call-overload]
        if amount:
            world.send_tokens(role, world.address(str(step[2])), amount)
    else:
        amount = min(int(step[2]), world.tokens(role))  # type: ignore[call-overload]
        if amount:
            world.send_tokens(role, world.gateway.redemption_address, amount)
