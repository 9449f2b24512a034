"""The bridge on the in-process EVM: mint, transfer, redeem; supply == reserve after every step."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.kgst import KgstGateway
from digisom.kernel.circulation import MoneyChart, audit_ledger
from digisom.ledger.audit import verify
from digisom.stablecoin.errors import (
    InsufficientFunds,
    InvalidAddress,
    InvalidAmount,
    OperationConflict,
    TokenRefused,
    UnknownWallet,
)
from digisom.stablecoin.model import State
from digisom.stablecoin.ports import PreparedTx
from tests.stablecoin.world import FLOAT_ID, MONEY, OPENING_TYIYN, WALLET_CODE, World


def assert_balanced(world: World) -> None:
    report = world.bridge.process()
    assert report.balanced
    assert report.mint_in_flight_tyiyn == report.redeem_in_flight_tyiyn == 0
    assert report.supply_tyiyn == report.reserve_tyiyn
    # The money auditor: the reserve is digital som in circulation, held for the tokens.
    money = audit_ledger(MONEY, world.ledger)
    assert money.balanced and money.held_tyiyn("kgst_reserves") == report.reserve_tyiyn


def test_the_money_auditor_misses_the_reserve_if_its_code_is_forgotten(world: World) -> None:
    world.bridge.request_mint("m1", "pensioner", world.address("pensioner"), 250_00)
    assert_balanced(world)
    without_reserve = MoneyChart(MONEY.ledger, MONEY.issuance_code, {WALLET_CODE: "wallets"})
    money = audit_ledger(without_reserve, world.ledger)
    assert not money.balanced and money.issued_tyiyn - money.circulation_tyiyn == 250_00


def test_mint_transfer_redeem(world: World) -> None:
    pensioner = world.address("pensioner")
    op = world.bridge.request_mint("m1", "pensioner", pensioner, 250_00)
    assert op.state is State.POSTED
    assert world.tokens("pensioner") == 250_00
    assert world.balance_tyiyn("pensioner") == OPENING_TYIYN - 250_00
    assert_balanced(world)

    world.send_tokens("pensioner", world.address("merchant"), 100_00)
    assert world.tokens("merchant") == 100_00
    assert_balanced(world)

    world.bridge.link_address("merchant", world.address("merchant"))
    world.send_tokens("merchant", world.gateway.redemption_address, 40_00)
    world.bridge.process()
    (redeem,) = [o for o in world.bridge.operations() if o.kind.value == "redeem"]
    assert redeem.state is State.POSTED
    assert world.balance_tyiyn("merchant") == OPENING_TYIYN + 40_00
    assert world.tokens("merchant") == 60_00
    assert world.gateway.total_supply() == 210_00
    assert_balanced(world)


def test_a_retried_mint_mints_once(world: World) -> None:
    first = world.bridge.request_mint("same", "pensioner", world.address("pensioner"), 10_00)
    again = world.bridge.request_mint("same", "pensioner", world.address("pensioner"), 10_00)
    assert first.tx_hash == again.tx_hash
    assert world.gateway.total_supply() == 10_00
    with pytest.raises(OperationConflict):
        world.bridge.request_mint("same", "pensioner", world.address("pensioner"), 11_00)


def test_allowance_follows_the_reserve(world: World) -> None:
    assert world.gateway.minter_allowance() == 0
    world.bridge.request_mint("a", "pensioner", world.address("pensioner"), 5_00)
    # the master minter allowed exactly what the reserve held and was not yet minted
    assert world.gateway.minter_allowance() == 0
    assert_balanced(world)


@pytest.mark.parametrize("decimals", [0, 2, 6, 18])
def test_decimals_come_from_the_contract(tmp_path: Path, artifact: Artifact, decimals: int) -> None:
    world = World(tmp_path, EmbeddedChain(97), artifact, decimals=decimals)
    try:
        op = world.bridge.request_mint("d", "pensioner", world.address("pensioner"), 12_00)
        assert op.amount_token_units == 12 * 10**decimals
        assert world.tokens("pensioner") == 12 * 10**decimals
        assert world.bridge.chain_id == 97
        assert_balanced(world)
        if decimals == 0:
            with pytest.raises(InvalidAmount):
                world.bridge.request_mint("e", "pensioner", world.address("pensioner"), 12_34)
    finally:
        world.close()


def test_bad_input_is_refused_before_anything_moves(world: World) -> None:
    pensioner = world.address("pensioner")
    with pytest.raises(InvalidAddress):
        world.bridge.request_mint("z", "pensioner", "0x" + "00" * 20, 1_00)
    with pytest.raises(InvalidAddress):
        world.bridge.request_mint("z", "pensioner", "0x1234", 1_00)
    for not_a_holder in (world.gateway.redemption_address, world.deployment.address):
        with pytest.raises(InvalidAddress):
            world.bridge.request_mint("z", "pensioner", not_a_holder, 1_00)
    for amount in (0, -5):
        with pytest.raises(InvalidAmount):
            world.bridge.request_mint("z", "pensioner", pensioner, amount)
    with pytest.raises(UnknownWallet):
        world.bridge.request_mint("z", "treasury", pensioner, 1_00)
    with pytest.raises(InsufficientFunds):
        world.bridge.request_mint("big", "pensioner", pensioner, OPENING_TYIYN + 1)
    assert world.bridge.operation("mint|big").state is State.REJECTED
    assert world.gateway.total_supply() == 0
    assert world.balance_tyiyn("pensioner") == OPENING_TYIYN
    assert_balanced(world)


def test_a_mint_beyond_the_allowance_is_refused_by_the_token(world: World) -> None:
    world.bridge.request_mint("m", "pensioner", world.address("pensioner"), 1_00)
    with pytest.raises(TokenRefused, match="exceeds minter allowance"):
        world.gateway.prepare_mint(world.address("pensioner"), 1, world.gateway.next_nonce())


def test_unknown_sender_and_dust_stay_unmatched(tmp_path: Path, artifact: Artifact) -> None:
    world = World(tmp_path, EmbeddedChain(56), artifact, decimals=18)
    try:
        world.bridge.request_mint("m", "pensioner", world.address("pensioner"), 10_00)
        world.send_tokens("pensioner", world.gateway.redemption_address, 1)  # dust: not a whole tyiyn
        world.bridge.process()
        ops = [o for o in world.bridge.operations() if o.kind.value == "redeem"]
        assert [o.state for o in ops] == [State.UNMATCHED]
        assert "linked to no wallet" in (ops[0].failure or "")
        # the tokens are still there, recorded, and still backed
        assert world.gateway.balance_of(world.gateway.redemption_address) == 1
        assert world.report().balanced
    finally:
        world.close()


def _redeem_near_the_limit(world: World, room_tyiyn: int, redeem_tyiyn: int) -> None:
    """The merchant mints 100 som of KGST, then his wallet is `room_tyiyn` short of its
    holding limit; he sends `redeem_tyiyn` to the redemption address."""
    world.bridge.request_mint("m", "merchant", world.address("merchant"), 100_00)
    world.bridge.link_address("merchant", world.address("merchant"))
    world.wallets.limit_tyiyn["merchant"] = world.balance_tyiyn("merchant") + room_tyiyn
    world.send_tokens("merchant", world.gateway.redemption_address, redeem_tyiyn)


@pytest.mark.parametrize("room_tyiyn", [50_00, 0])
def test_a_redemption_over_the_holding_limit_lands_partly_in_the_linked_deposit(world: World,
                                                                                room_tyiyn: int) -> None:
    """Issue 14: a redemption credits a wallet like every other credit: what fits under the
    holding limit to the wallet, the rest (`KGST_REDEEM_WATERFALL`) to the holder's linked
    deposit, the digital som of the excess into the bank's float. Before, it went unmatched."""
    _redeem_near_the_limit(world, room_tyiyn, 60_00)

    world.bridge.process()

    (redeem,) = [o for o in world.bridge.operations() if o.kind.value == "redeem"]
    assert redeem.state is State.POSTED, redeem.failure
    assert world.balance_tyiyn("merchant") == OPENING_TYIYN - 100_00 + room_tyiyn  # up to the limit
    assert world.deposit_tyiyn("merchant") == 60_00 - room_tyiyn  # the rest, as bank money
    assert world.posted_tyiyn(FLOAT_ID) == 60_00 - room_tyiyn  # its digital som, in the bank's float
    assert world.tokens("merchant") == 40_00 and world.gateway.total_supply() == 40_00  # the 60 som burnt
    assert_balanced(world)
    assert audit_ledger(MONEY, world.ledger).held_tyiyn("bank_floats") == 60_00 - room_tyiyn
    assert verify(world.store).ok


def test_a_failed_redemption_voids_every_leg_of_its_hold(world: World) -> None:
    _redeem_near_the_limit(world, 50_00, 60_00)
    bridge = world.make_bridge(token=RefusingBurn(world.gateway))

    bridge.process()

    (redeem,) = [o for o in bridge.operations() if o.kind.value == "redeem"]
    assert redeem.state is State.VOIDED and "the token refused" in (redeem.failure or "")
    assert (world.balance_tyiyn("merchant"), world.deposit_tyiyn("merchant")) == (OPENING_TYIYN - 100_00, 0)
    (reserve,) = world.ledger.lookup_accounts([bridge.reserve_account_id])
    assert reserve.debits_pending == 0 and reserve.credits_posted - reserve.debits_posted == 100_00
    assert world.posted_tyiyn(FLOAT_ID) == 0
    assert verify(world.store).ok


class RefusingBurn:
    """The token gateway, whose burns the contract would refuse."""

    def __init__(self, inner: KgstGateway) -> None:
        self._inner = inner

    def prepare_burn(self, amount_token_units: int, nonce: int) -> PreparedTx:
        raise TokenRefused("burn amount exceeds balance")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_concurrent_retries_of_one_mint_mint_once(world: World) -> None:
    def mint(_: int) -> str:
        return world.bridge.request_mint("race", "pensioner", world.address("pensioner"), 10_00).state.value

    with ThreadPoolExecutor(max_workers=6) as pool:
        states = list(pool.map(mint, range(12)))
    assert set(states) == {"posted"}
    assert world.gateway.total_supply() == 10_00
    assert world.balance_tyiyn("pensioner") == OPENING_TYIYN - 10_00
    assert_balanced(world)


def test_a_redemption_to_a_wallet_frozen_since_linking_does_not_credit_it(world: World) -> None:
    """Issue 14: a redemption credits a wallet like any credit (`digisom.cbdc.credits`):
    decided under the wallet's lock, a frozen wallet is refused with a stable reason, and
    the tokens stay at the redemption address, still backed by the reserve."""
    world.bridge.request_mint("m", "merchant", world.address("merchant"), 100_00)
    world.bridge.link_address("merchant", world.address("merchant"))
    world.wallets.frozen.add("merchant")  # a court order after the address was linked
    world.wallets.held_wallets.clear()
    world.send_tokens("merchant", world.gateway.redemption_address, 60_00)

    report = world.bridge.process()

    (redeem,) = [o for o in world.bridge.operations() if o.kind.value == "redeem"]
    assert redeem.state is State.UNMATCHED
    assert (redeem.failure or "").startswith("wallet_frozen")
    assert world.wallets.held_wallets == ["merchant"]  # decided under the wallet's lock
    assert world.balance_tyiyn("merchant") == OPENING_TYIYN - 100_00  # nothing credited
    assert world.deposit_tyiyn("merchant") == 0  # nor waterfalled to the deposit
    assert report.balanced and report.supply_tyiyn == 100_00  # the tokens wait, still backed
    assert world.gateway.balance_of(world.gateway.redemption_address) == 60_00
