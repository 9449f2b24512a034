"""A crash at every step of a mint and of a redemption, then a restart: no double mint,
no lost redemption, supply == reserve. A crash is an exception raised right after a
state is written (the observer) or right after an effect outside the bridge's database
happened and before its state was written (wrapped ledger and token)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from digisom.chain.kgst import KgstGateway
from digisom.chain.transactor import Transactor
from digisom.ledger.model import Transfer
from digisom.stablecoin.errors import BroadcastRefused
from digisom.stablecoin.model import Kind, Operation, State
from tests.stablecoin.world import OPENING_TYIYN, World

AMOUNT_TYIYN = 123_45
STATES = ("requested", "pending_in_ledger", "sent", "confirmed", "posted")


class Crash(Exception):
    """The process died here."""


def crash_at(kind: Kind, state: str) -> Callable[[Operation], None]:
    def observe(op: Operation) -> None:
        if op.kind is kind and op.state.value == state:
            raise Crash(f"{kind.value} crashed after {state}")

    return observe


class CrashingLedger:
    """The ledger, dying right after its `n`-th transfer batch is durable."""

    def __init__(self, inner: Any, n: int) -> None:
        self._inner = inner
        self._left = n

    def create_transfers(self, events: Sequence[Transfer]) -> Any:
        results = self._inner.create_transfers(events)
        self._left -= 1
        if self._left == 0:
            raise Crash("after a ledger write")
        return results

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CrashingToken:
    """The token gateway, dying right after `method` did its work on the chain."""

    def __init__(self, inner: Any, method: str) -> None:
        self._inner = inner
        self._method = method

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name != self._method:
            return attr

        def crashing(*args: Any) -> Any:
            attr(*args)
            raise Crash(f"after {name}")

        return crashing


def restart_and_check_mint(world: World) -> None:
    bridge = world.restart()
    report = bridge.process()
    op = bridge.operation("mint|crash")
    assert op.state is State.POSTED
    assert world.gateway.total_supply() == AMOUNT_TYIYN
    assert world.tokens("pensioner") == AMOUNT_TYIYN
    assert world.balance_tyiyn("pensioner") == OPENING_TYIYN - AMOUNT_TYIYN
    assert report.balanced and report.reserve_tyiyn == AMOUNT_TYIYN


@pytest.mark.parametrize("state", STATES)
def test_mint_crash_after_each_state(world: World, state: str) -> None:
    bridge = world.make_bridge(observer=crash_at(Kind.MINT, state))
    with pytest.raises(Crash):
        bridge.request_mint("crash", "pensioner", world.address("pensioner"), AMOUNT_TYIYN)
    restart_and_check_mint(world)


@pytest.mark.parametrize("ledger_write", [1, 2])  # the hold, the post
def test_mint_crash_after_a_ledger_write(world: World, ledger_write: int) -> None:
    bridge = world.make_bridge(ledger=CrashingLedger(world.ledger, ledger_write))
    with pytest.raises(Crash):
        bridge.request_mint("crash", "pensioner", world.address("pensioner"), AMOUNT_TYIYN)
    restart_and_check_mint(world)


@pytest.mark.parametrize("method", ["broadcast", "set_minter_allowance"])
def test_mint_crash_after_a_chain_call(world: World, method: str) -> None:
    bridge = world.make_bridge(token=CrashingToken(world.gateway, method))
    with pytest.raises(Crash):
        bridge.request_mint("crash", "pensioner", world.address("pensioner"), AMOUNT_TYIYN)
    restart_and_check_mint(world)


def redeem_setup(world: World) -> None:
    world.bridge.request_mint("opening", "merchant", world.address("merchant"), 500_00)
    world.bridge.link_address("merchant", world.address("merchant"))
    world.send_tokens("merchant", world.gateway.redemption_address, AMOUNT_TYIYN)


def restart_and_check_redeem(world: World) -> None:
    bridge = world.restart()
    report = bridge.process()
    redemptions = [op for op in bridge.operations() if op.kind is Kind.REDEEM]
    assert [op.state for op in redemptions] == [State.POSTED]
    assert world.gateway.total_supply() == 500_00 - AMOUNT_TYIYN
    assert world.gateway.balance_of(world.gateway.redemption_address) == 0
    assert world.balance_tyiyn("merchant") == OPENING_TYIYN - 500_00 + AMOUNT_TYIYN
    assert report.balanced and report.reserve_tyiyn == 500_00 - AMOUNT_TYIYN


@pytest.mark.parametrize("state", STATES)
def test_redeem_crash_after_each_state(world: World, state: str) -> None:
    redeem_setup(world)
    bridge = world.make_bridge(observer=crash_at(Kind.REDEEM, state))
    with pytest.raises(Crash):
        bridge.process()
    restart_and_check_redeem(world)


@pytest.mark.parametrize("ledger_write", [1, 2])
def test_redeem_crash_after_a_ledger_write(world: World, ledger_write: int) -> None:
    redeem_setup(world)
    bridge = world.make_bridge(ledger=CrashingLedger(world.ledger, ledger_write))
    with pytest.raises(Crash):
        bridge.process()
    restart_and_check_redeem(world)


WATERFALL_ROOM_TYIYN = 100_00  # the merchant's room under his holding limit: the rest of AMOUNT_TYIYN waterfalls


def waterfall_setup(world: World) -> None:
    redeem_setup(world)
    world.wallets.limit_tyiyn["merchant"] = world.balance_tyiyn("merchant") + WATERFALL_ROOM_TYIYN


@pytest.mark.parametrize(("ledger_write", "state"), [(1, None), (2, None)] + [(None, s) for s in STATES])
def test_a_waterfalled_redemption_crashed_anywhere_lands_once_with_its_first_split(
        world: World, ledger_write: int | None, state: str | None) -> None:
    """The split depends on the wallet's room, which counts the hold's own pending credit
    once it is placed: a restart must resolve the legs that were held, never plan again."""
    waterfall_setup(world)
    bridge = world.make_bridge(observer=crash_at(Kind.REDEEM, state) if state else None,
                               ledger=CrashingLedger(world.ledger, ledger_write) if ledger_write else None)
    with pytest.raises(Crash):
        bridge.process()
    report = world.restart().process()
    (redeem,) = [op for op in world.bridge.operations() if op.kind is Kind.REDEEM]
    assert redeem.state is State.POSTED, redeem.failure
    assert world.balance_tyiyn("merchant") == OPENING_TYIYN - 500_00 + WATERFALL_ROOM_TYIYN
    assert world.deposit_tyiyn("merchant") == AMOUNT_TYIYN - WATERFALL_ROOM_TYIYN
    assert report.balanced and report.reserve_tyiyn == 500_00 - AMOUNT_TYIYN == world.gateway.total_supply()


def test_redeem_crash_after_broadcast(world: World) -> None:
    redeem_setup(world)
    bridge = world.make_bridge(token=CrashingToken(world.gateway, "broadcast"))
    with pytest.raises(Crash):
        bridge.process()
    restart_and_check_redeem(world)


def test_a_refused_mint_voids_its_hold(world: World) -> None:
    pensioner = world.address("pensioner")
    data = world.abi.fn("blacklist").encode(pensioner)
    Transactor(world.chain, world.keys["owner"]).send(world.deployment.address, data)
    op = world.bridge.request_mint("frozen", "pensioner", pensioner, AMOUNT_TYIYN)
    assert op.state is State.VOIDED
    assert "recipient blacklisted" in (op.failure or "")
    assert world.balance_tyiyn("pensioner") == OPENING_TYIYN
    assert world.bridge.process().balanced


def test_a_stuck_mint_is_reported_and_replaced_with_the_same_nonce(world: World) -> None:
    world.chain.automine = False  # type: ignore[attr-defined]
    op = world.bridge.request_mint("stuck", "pensioner", world.address("pensioner"), AMOUNT_TYIYN)
    assert op.state is State.PENDING_IN_LEDGER  # waiting for the allowance transaction
    world.bridge.process()  # still waiting: the allowance transaction is not sent a second time
    assert world.chain.nonce(world.address("master_minter")) == 1
    world.chain.mine()  # type: ignore[attr-defined]
    world.bridge.process()
    stuck = world.bridge.operation("mint|stuck")
    assert stuck.state is State.SENT
    assert world.bridge.process().mint_in_flight_tyiyn == AMOUNT_TYIYN  # reported in flight...
    assert [op.id for op in world.bridge.stuck(datetime.now(UTC), 0)] == ["mint|stuck"]  # ...and as stuck
    assert world.bridge.stuck(datetime.now(UTC), 3600) == []
    bumped = world.bridge.bump("mint|stuck")
    assert bumped.nonce == stuck.nonce and bumped.tx_hash != stuck.tx_hash
    world.chain.mine()  # type: ignore[attr-defined]
    world.bridge.process()
    assert world.bridge.operation("mint|stuck").state is State.POSTED
    assert world.gateway.total_supply() == AMOUNT_TYIYN
    assert world.gateway.outcome([stuck.tx_hash or ""], 1) is None  # the replaced one never ran


def test_without_a_master_minter_a_mint_fails_and_its_hold_is_released(world: World) -> None:
    issuer = Transactor(world.chain, world.keys["issuer"])
    no_master = KgstGateway(world.chain, world.abi, world.deployment.address, issuer)
    op = world.make_bridge(token=no_master).request_mint("nm", "pensioner", world.address("pensioner"), AMOUNT_TYIYN)
    assert op.state is State.VOIDED
    assert "no master-minter key" in (op.failure or "")
    assert world.balance_tyiyn("pensioner") == OPENING_TYIYN
    assert world.bridge.process().balanced


class RefusingToken(CrashingToken):
    """The node refuses the first broadcast (say, the minter ran out of gas money)."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner, "broadcast")
        self.refused = False

    def __getattr__(self, name: str) -> Any:
        if name != "broadcast" or self.refused:
            return getattr(self._inner, name)

        def refuse(tx: Any) -> None:
            self.refused = True
            raise BroadcastRefused(f"the node refused {tx.tx_hash}: insufficient funds for gas")

        return refuse


def test_a_refused_broadcast_is_noted_and_sent_again(world: World) -> None:
    world.chain.automine = False  # type: ignore[attr-defined]
    bridge = world.make_bridge(token=RefusingToken(world.gateway))
    bridge.request_mint("gas", "pensioner", world.address("pensioner"), AMOUNT_TYIYN)
    world.chain.mine()  # type: ignore[attr-defined]  # the allowance
    bridge.process()
    op = bridge.operation("mint|gas")
    assert op.state is State.SENT and "insufficient funds for gas" in (op.failure or "")
    world.chain.mine()  # type: ignore[attr-defined]
    assert bridge.process().supply_tyiyn == AMOUNT_TYIYN
    assert bridge.operation("mint|gas").state is State.POSTED
