"""Pause stops every movement of value; a blacklisted address is frozen on every side."""

from __future__ import annotations

import boa
import pytest

from .conftest import BLACKLIST_FLAG, PENSIONER_OPENING, SOM, World, events

ZERO = "0x0000000000000000000000000000000000000000"
COURT_ORDER = b"\x42" * 32


# --- plain ERC-20 behaviour ---


def test_transfer_moves_value_and_logs(world: World) -> None:
    token = world.token
    assert token.transfer(world.merchant, 120 * SOM, sender=world.pensioner)
    [log] = events(token, "Transfer")
    assert (log.sender, log.receiver, log.value) == (world.pensioner, world.merchant, 120 * SOM)
    assert token.balanceOf(world.pensioner) == PENSIONER_OPENING - 120 * SOM
    assert token.balanceOf(world.merchant) == 120 * SOM


def test_transfer_limits(world: World) -> None:
    token = world.token
    with boa.reverts("KGST: transfer amount exceeds balance"):
        token.transfer(world.merchant, PENSIONER_OPENING + 1, sender=world.pensioner)
    with boa.reverts("KGST: transfer to the zero address"):
        token.transfer(ZERO, SOM, sender=world.pensioner)


def test_transfer_to_oneself_changes_nothing(world: World) -> None:
    token = world.token
    token.transfer(world.pensioner, 100 * SOM, sender=world.pensioner)
    assert token.balanceOf(world.pensioner) == PENSIONER_OPENING
    with boa.reverts("KGST: transfer amount exceeds balance"):
        token.transfer(world.pensioner, PENSIONER_OPENING + 1, sender=world.pensioner)


def test_allowance_and_transfer_from(world: World) -> None:
    token = world.token
    token.approve(world.merchant, 50 * SOM, sender=world.pensioner)
    [log] = events(token, "Approval")
    assert (log.owner, log.spender, log.value) == (world.pensioner, world.merchant, 50 * SOM)
    with boa.reverts("KGST: transfer amount exceeds allowance"):
        token.transferFrom(world.pensioner, world.merchant, 50 * SOM + 1, sender=world.merchant)
    token.transferFrom(world.pensioner, world.central_bank, 30 * SOM, sender=world.merchant)
    [approval] = events(token, "Approval")
    assert approval.value == 20 * SOM, "the allowance change is logged too"
    assert token.allowance(world.pensioner, world.merchant) == 20 * SOM
    assert token.balanceOf(world.pensioner) == PENSIONER_OPENING - 30 * SOM


def test_unlimited_allowance_is_not_spent(world: World) -> None:
    token = world.token
    token.approve(world.merchant, 2**256 - 1, sender=world.pensioner)
    token.transferFrom(world.pensioner, world.merchant, 10 * SOM, sender=world.merchant)
    assert token.allowance(world.pensioner, world.merchant) == 2**256 - 1
    assert events(token, "Approval") == []


def test_allowance_cannot_pay_more_than_the_balance(world: World) -> None:
    token = world.token
    token.approve(world.merchant, 2 * PENSIONER_OPENING, sender=world.pensioner)
    with boa.reverts("KGST: transfer amount exceeds balance"):
        token.transferFrom(world.pensioner, world.merchant, PENSIONER_OPENING + 1, sender=world.merchant)


def test_increase_and_decrease_allowance(world: World) -> None:
    token = world.token
    token.increaseAllowance(world.merchant, 10 * SOM, sender=world.pensioner)
    token.increaseAllowance(world.merchant, 5 * SOM, sender=world.pensioner)
    assert token.allowance(world.pensioner, world.merchant) == 15 * SOM
    token.decreaseAllowance(world.merchant, 15 * SOM, sender=world.pensioner)
    assert token.allowance(world.pensioner, world.merchant) == 0
    with boa.reverts("KGST: decreased allowance below zero"):
        token.decreaseAllowance(world.merchant, 1, sender=world.pensioner)
    token.approve(world.merchant, 2**256 - 1, sender=world.pensioner)
    with boa.reverts("KGST: allowance overflow"):
        token.increaseAllowance(world.merchant, 1, sender=world.pensioner)
    with boa.reverts("KGST: approve to the zero address"):
        token.approve(ZERO, 1, sender=world.pensioner)


# --- pause ---


def test_pause_blocks_every_movement_of_value(world: World) -> None:
    token = world.token
    token.approve(world.merchant, 10 * SOM, sender=world.pensioner)
    token.mint(world.minter, 10 * SOM, sender=world.minter)
    token.blacklist(world.central_bank, sender=world.blacklister)
    token.pause(sender=world.pauser)
    assert len(events(token, "Pause")) == 1
    assert token.paused()
    blocked = [
        lambda: token.transfer(world.merchant, SOM, sender=world.pensioner),
        lambda: token.transferFrom(world.pensioner, world.merchant, SOM, sender=world.merchant),
        lambda: token.approve(world.merchant, SOM, sender=world.pensioner),
        lambda: token.increaseAllowance(world.merchant, SOM, sender=world.pensioner),
        lambda: token.decreaseAllowance(world.merchant, SOM, sender=world.pensioner),
        lambda: token.mint(world.merchant, SOM, sender=world.minter),
        lambda: token.burn(SOM, sender=world.minter),
        lambda: token.configureMinter(world.merchant, SOM, sender=world.master_minter),
        lambda: token.burnFrozen(world.central_bank, COURT_ORDER, sender=world.blacklister),
    ]
    for call in blocked:
        with boa.reverts("KGST: paused"):
            call()
    token.unpause(sender=world.pauser)
    assert len(events(token, "Unpause")) == 1
    assert not token.paused()
    token.transfer(world.merchant, SOM, sender=world.pensioner)
    assert token.balanceOf(world.merchant) == SOM


def test_controls_that_work_while_paused(world: World) -> None:
    """Freezing, removing a compromised minter and appointing roles must not wait for unpause."""
    token = world.token
    token.pause(sender=world.pauser)
    token.blacklist(world.merchant, sender=world.blacklister)
    token.unBlacklist(world.merchant, sender=world.blacklister)
    token.removeMinter(world.minter, sender=world.master_minter)
    token.updatePauser(world.central_bank, sender=world.owner)
    token.unpause(sender=world.central_bank)
    assert not token.paused()


# --- blacklist ---


def test_blacklist_and_unblacklist_log_and_report(world: World) -> None:
    token = world.token
    token.blacklist(world.pensioner, sender=world.blacklister)
    [log] = events(token, "Blacklisted")
    assert log.account == world.pensioner
    assert token.isBlacklisted(world.pensioner)
    assert token.balanceOf(world.pensioner) == PENSIONER_OPENING, "the flag never shows in the balance"
    token.unBlacklist(world.pensioner, sender=world.blacklister)
    [log] = events(token, "UnBlacklisted")
    assert log.account == world.pensioner
    assert not token.isBlacklisted(world.pensioner)
    assert token.balanceOf(world.pensioner) == PENSIONER_OPENING


def test_blacklisted_sender_cannot_send(world: World) -> None:
    token = world.token
    token.approve(world.merchant, 10 * SOM, sender=world.pensioner)
    token.blacklist(world.pensioner, sender=world.blacklister)
    with boa.reverts("KGST: sender blacklisted"):
        token.transfer(world.merchant, SOM, sender=world.pensioner)
    with boa.reverts("KGST: sender blacklisted"):
        token.transferFrom(world.pensioner, world.merchant, SOM, sender=world.merchant)


def test_blacklisted_receiver_cannot_receive(world: World) -> None:
    token = world.token
    token.approve(world.central_bank, 10 * SOM, sender=world.pensioner)
    token.blacklist(world.merchant, sender=world.blacklister)
    with boa.reverts("KGST: recipient blacklisted"):
        token.transfer(world.merchant, SOM, sender=world.pensioner)
    with boa.reverts("KGST: recipient blacklisted"):
        token.transferFrom(world.pensioner, world.merchant, SOM, sender=world.central_bank)
    with boa.reverts("KGST: recipient blacklisted"):
        token.mint(world.merchant, SOM, sender=world.minter)


def test_blacklisted_spender_cannot_spend_or_be_approved(world: World) -> None:
    token = world.token
    token.approve(world.merchant, 10 * SOM, sender=world.pensioner)
    token.blacklist(world.merchant, sender=world.blacklister)
    with boa.reverts("KGST: spender blacklisted"):
        token.transferFrom(world.pensioner, world.central_bank, SOM, sender=world.merchant)
    with boa.reverts("KGST: spender blacklisted"):
        token.approve(world.merchant, SOM, sender=world.pensioner)
    with boa.reverts("KGST: spender blacklisted"):
        token.increaseAllowance(world.merchant, SOM, sender=world.pensioner)


def test_blacklisted_owner_cannot_approve(world: World) -> None:
    token = world.token
    token.blacklist(world.pensioner, sender=world.blacklister)
    with boa.reverts("KGST: owner blacklisted"):
        token.approve(world.merchant, SOM, sender=world.pensioner)
    with boa.reverts("KGST: owner blacklisted"):
        token.decreaseAllowance(world.merchant, 0, sender=world.pensioner)


def test_blacklisted_minter_cannot_mint_or_burn(world: World) -> None:
    token = world.token
    token.mint(world.minter, 10 * SOM, sender=world.minter)
    token.blacklist(world.minter, sender=world.blacklister)
    with boa.reverts("KGST: minter blacklisted"):
        token.mint(world.merchant, SOM, sender=world.minter)
    with boa.reverts("KGST: minter blacklisted"):
        token.burn(SOM, sender=world.minter)


def test_unblacklisted_account_moves_again(world: World) -> None:
    token = world.token
    token.blacklist(world.pensioner, sender=world.blacklister)
    token.unBlacklist(world.pensioner, sender=world.blacklister)
    token.transfer(world.merchant, SOM, sender=world.pensioner)
    assert token.balanceOf(world.merchant) == SOM


# --- court-ordered burning of frozen funds ---


@pytest.mark.parametrize("role", ["blacklister", "owner"])
def test_burn_frozen_under_a_court_order(world: World, role: str) -> None:
    token = world.token
    supply = token.totalSupply()
    token.blacklist(world.pensioner, sender=world.blacklister)
    burned = token.burnFrozen(world.pensioner, COURT_ORDER, sender=getattr(world, role))
    assert burned == PENSIONER_OPENING
    [seized] = events(token, "FrozenFundsBurned")
    assert (seized.account, seized.amount, seized.court_order, seized.caller) == (
        world.pensioner,
        PENSIONER_OPENING,
        COURT_ORDER,
        getattr(world, role),
    )
    [transfer] = events(token, "Transfer")
    assert (transfer.sender, transfer.receiver, transfer.value) == (world.pensioner, ZERO, PENSIONER_OPENING)
    assert token.balanceOf(world.pensioner) == 0
    assert token.isBlacklisted(world.pensioner), "the account stays frozen"
    assert token.totalSupply() == supply - PENSIONER_OPENING


def test_burn_frozen_limits(world: World) -> None:
    token = world.token
    with boa.reverts("KGST: account is not blacklisted"):
        token.burnFrozen(world.pensioner, COURT_ORDER, sender=world.blacklister)
    token.blacklist(world.pensioner, sender=world.blacklister)
    for outsider in (world.pauser, world.master_minter, world.minter, world.rescuer, world.merchant):
        with boa.reverts("KGST: caller is not the blacklister or owner"):
            token.burnFrozen(world.pensioner, COURT_ORDER, sender=outsider)


def test_blacklist_flag_sits_outside_every_balance(world: World) -> None:
    """The flag is bit 255; the largest possible balance is 2**255 - 1."""
    token = world.token
    token.blacklist(world.merchant, sender=world.blacklister)
    assert token.balanceOf(world.merchant) == 0
    assert token.balanceOf(world.merchant) < BLACKLIST_FLAG
