"""Each role's powers and limits; everyone else is refused with the exact message."""

from __future__ import annotations

import re

import boa
import pytest
import vyper

from .conftest import CENTRAL_BANK_OPENING, CONTRACT, MINTER_ALLOWANCE, PENSIONER_OPENING, SOM, World, events

ZERO = "0x0000000000000000000000000000000000000000"


def test_metadata_and_opening_state(world: World) -> None:
    token = world.token
    assert token.name() == world.metadata.name
    assert token.symbol() == world.metadata.symbol
    assert token.decimals() == world.metadata.decimals
    assert token.totalSupply() == CENTRAL_BANK_OPENING + PENSIONER_OPENING
    assert token.owner() == world.owner
    assert token.masterMinter() == world.master_minter
    assert token.pauser() == world.pauser
    assert token.blacklister() == world.blacklister
    assert token.rescuer() == world.rescuer
    assert token.isMinter(world.minter)
    assert token.minterAllowance(world.minter) == MINTER_ALLOWANCE - CENTRAL_BANK_OPENING - PENSIONER_OPENING


@pytest.mark.parametrize("decimals", [0, 6, 18])
def test_any_decimals(world: World, deploy_kgst, decimals: int) -> None:
    other = deploy_kgst("USDKG", "USDKG", decimals, *[world.owner] * 5)
    assert other.decimals() == decimals


@pytest.mark.parametrize(
    ("position", "message"),
    [
        (3, "KGST: owner is the zero address"),
        (4, "KGST: master minter is the zero address"),
        (5, "KGST: pauser is the zero address"),
        (6, "KGST: blacklister is the zero address"),
        (7, "KGST: rescuer is the zero address"),
    ],
)
def test_constructor_refuses_zero_roles(world: World, deploy_kgst, position: int, message: str) -> None:
    args = ["KGST", "KGST", 2, *[world.owner] * 5]
    args[position] = ZERO
    with boa.reverts(message):
        deploy_kgst(*args)


def test_the_token_contract_is_blacklisted_from_birth(world: World) -> None:
    token = world.token
    assert token.isBlacklisted(token.address)
    with boa.reverts("KGST: recipient blacklisted"):
        token.transfer(token.address, SOM, sender=world.central_bank)
    with boa.reverts("KGST: the token contract stays blacklisted"):
        token.unBlacklist(token.address, sender=world.blacklister)


# --- owner ---


def test_two_step_ownership_transfer(world: World) -> None:
    token = world.token
    token.transferOwnership(world.central_bank, sender=world.owner)
    [started] = events(token, "OwnershipTransferStarted")
    assert (started.previous_owner, started.new_owner) == (world.owner, world.central_bank)
    assert token.owner() == world.owner, "nothing changes until the new owner accepts"
    assert token.pendingOwner() == world.central_bank
    with boa.reverts("KGST: caller is not the pending owner"):
        token.acceptOwnership(sender=world.merchant)
    token.acceptOwnership(sender=world.central_bank)
    [done] = events(token, "OwnershipTransferred")
    assert (done.previous_owner, done.new_owner) == (world.owner, world.central_bank)
    assert token.owner() == world.central_bank
    assert token.pendingOwner() == ZERO
    with boa.reverts("KGST: caller is not the owner"):
        token.updatePauser(world.merchant, sender=world.owner)


def test_ownership_transfer_limits(world: World) -> None:
    token = world.token
    with boa.reverts("KGST: caller is not the owner"):
        token.transferOwnership(world.merchant, sender=world.merchant)
    with boa.reverts("KGST: new owner is the zero address"):
        token.transferOwnership(ZERO, sender=world.owner)
    with boa.reverts("KGST: caller is not the pending owner"):
        token.acceptOwnership(sender=world.owner)


@pytest.mark.parametrize(
    ("setter", "getter", "event", "field", "zero_message"),
    [
        ("updateMasterMinter", "masterMinter", "MasterMinterChanged", "new_master_minter", "master minter"),
        ("updatePauser", "pauser", "PauserChanged", "new_address", "pauser"),
        ("updateBlacklister", "blacklister", "BlacklisterChanged", "new_blacklister", "blacklister"),
        ("updateRescuer", "rescuer", "RescuerChanged", "new_rescuer", "rescuer"),
    ],
)
def test_owner_appoints_roles(
    world: World, setter: str, getter: str, event: str, field: str, zero_message: str
) -> None:
    token = world.token
    for outsider in (world.merchant, world.master_minter, world.pauser, world.blacklister, world.rescuer):
        with boa.reverts("KGST: caller is not the owner"):
            getattr(token, setter)(world.merchant, sender=outsider)
    with boa.reverts(f"KGST: new {zero_message} is the zero address"):
        getattr(token, setter)(ZERO, sender=world.owner)
    getattr(token, setter)(world.merchant, sender=world.owner)
    [log] = events(token, event)
    assert getattr(log, field) == world.merchant
    assert getattr(token, getter)() == world.merchant


def test_a_replaced_pauser_loses_the_power(world: World) -> None:
    token = world.token
    token.updatePauser(world.merchant, sender=world.owner)
    with boa.reverts("KGST: caller is not the pauser"):
        token.pause(sender=world.pauser)
    token.pause(sender=world.merchant)
    assert token.paused()


# --- master minter and minters ---


def test_master_minter_configures_and_removes_minters(world: World) -> None:
    token = world.token
    token.configureMinter(world.central_bank, 5_000 * SOM, sender=world.master_minter)
    [log] = events(token, "MinterConfigured")
    assert (log.minter, log.minter_allowed_amount) == (world.central_bank, 5_000 * SOM)
    assert token.isMinter(world.central_bank)
    assert token.minterAllowance(world.central_bank) == 5_000 * SOM
    token.removeMinter(world.central_bank, sender=world.master_minter)
    [log] = events(token, "MinterRemoved")
    assert log.old_minter == world.central_bank
    assert not token.isMinter(world.central_bank)
    assert token.minterAllowance(world.central_bank) == 0
    with boa.reverts("KGST: caller is not a minter"):
        token.mint(world.merchant, SOM, sender=world.central_bank)
    with boa.reverts("KGST: not a minter"):
        token.removeMinter(world.central_bank, sender=world.master_minter)


def test_only_the_master_minter_manages_minters(world: World) -> None:
    token = world.token
    for outsider in (world.owner, world.minter, world.merchant, world.pauser):
        with boa.reverts("KGST: caller is not the master minter"):
            token.configureMinter(outsider, SOM, sender=outsider)
        with boa.reverts("KGST: caller is not the master minter"):
            token.removeMinter(world.minter, sender=outsider)
    with boa.reverts("KGST: minter is the zero address"):
        token.configureMinter(ZERO, SOM, sender=world.master_minter)


def test_mint_spends_the_minter_allowance(world: World) -> None:
    token = world.token
    allowance = token.minterAllowance(world.minter)
    supply = token.totalSupply()
    token.mint(world.merchant, 250 * SOM, sender=world.minter)
    [mint] = events(token, "Mint")
    [transfer] = events(token, "Transfer")
    assert (mint.minter, mint.to, mint.amount) == (world.minter, world.merchant, 250 * SOM)
    assert (transfer.sender, transfer.receiver, transfer.value) == (ZERO, world.merchant, 250 * SOM)
    assert token.balanceOf(world.merchant) == 250 * SOM
    assert token.totalSupply() == supply + 250 * SOM
    assert token.minterAllowance(world.minter) == allowance - 250 * SOM


def test_mint_beyond_the_minter_allowance_is_refused(world: World) -> None:
    token = world.token
    token.configureMinter(world.central_bank, 100 * SOM, sender=world.master_minter)
    token.mint(world.merchant, 60 * SOM, sender=world.central_bank)
    with boa.reverts("KGST: mint amount exceeds minter allowance"):
        token.mint(world.merchant, 40 * SOM + 1, sender=world.central_bank)
    token.mint(world.merchant, 40 * SOM, sender=world.central_bank)
    assert token.minterAllowance(world.central_bank) == 0
    with boa.reverts("KGST: mint amount exceeds minter allowance"):
        token.mint(world.merchant, 1, sender=world.central_bank)


def test_mint_limits(world: World) -> None:
    token = world.token
    with boa.reverts("KGST: caller is not a minter"):
        token.mint(world.merchant, SOM, sender=world.master_minter)
    with boa.reverts("KGST: mint to the zero address"):
        token.mint(ZERO, SOM, sender=world.minter)
    with boa.reverts("KGST: mint amount not greater than 0"):
        token.mint(world.merchant, 0, sender=world.minter)


def test_total_supply_stays_below_the_blacklist_flag(world: World) -> None:
    token = world.token
    token.configureMinter(world.central_bank, 2**256 - 1, sender=world.master_minter)
    headroom = 2**255 - 1 - token.totalSupply()
    with boa.reverts("KGST: total supply cap exceeded"):
        token.mint(world.merchant, headroom + 1, sender=world.central_bank)
    token.mint(world.merchant, headroom, sender=world.central_bank)
    assert token.totalSupply() == 2**255 - 1
    assert not token.isBlacklisted(world.merchant)


def test_minter_burns_its_own_balance(world: World) -> None:
    token = world.token
    token.mint(world.minter, 80 * SOM, sender=world.minter)
    supply = token.totalSupply()
    token.burn(30 * SOM, sender=world.minter)
    [burn] = events(token, "Burn")
    [transfer] = events(token, "Transfer")
    assert (burn.burner, burn.amount) == (world.minter, 30 * SOM)
    assert (transfer.sender, transfer.receiver, transfer.value) == (world.minter, ZERO, 30 * SOM)
    assert token.balanceOf(world.minter) == 50 * SOM
    assert token.totalSupply() == supply - 30 * SOM
    with boa.reverts("KGST: burn amount exceeds balance"):
        token.burn(50 * SOM + 1, sender=world.minter)
    with boa.reverts("KGST: burn amount not greater than 0"):
        token.burn(0, sender=world.minter)
    with boa.reverts("KGST: caller is not a minter"):
        token.burn(SOM, sender=world.central_bank)


# --- rescuer ---


def test_rescuer_returns_tokens_sent_by_mistake(world: World, deploy_kgst) -> None:
    token = world.token
    stray = deploy_kgst("Other", "OTH", 6, *[world.owner] * 5)
    stray.configureMinter(world.owner, 1_000, sender=world.owner)
    stray.mint(world.merchant, 700, sender=world.owner)
    stray.transfer(token.address, 700, sender=world.merchant)
    for outsider in (world.owner, world.merchant, world.blacklister):
        with boa.reverts("KGST: caller is not the rescuer"):
            token.rescueERC20(stray.address, world.merchant, 700, sender=outsider)
    with boa.reverts("KGST: rescue to the zero address"):
        token.rescueERC20(stray.address, ZERO, 700, sender=world.rescuer)
    token.rescueERC20(stray.address, world.merchant, 700, sender=world.rescuer)
    [log] = events(token, "TokensRescued")
    assert (log.token, log.to, log.amount) == (stray.address, world.merchant, 700)
    assert stray.balanceOf(world.merchant) == 700
    assert stray.balanceOf(token.address) == 0


# --- role holders have no powers beyond their role ---


@pytest.mark.parametrize("role", ["owner", "master_minter", "pauser", "blacklister", "rescuer"])
def test_role_holders_cannot_mint(world: World, role: str) -> None:
    with boa.reverts("KGST: caller is not a minter"):
        world.token.mint(getattr(world, role), SOM, sender=getattr(world, role))


@pytest.mark.parametrize("role", ["owner", "master_minter", "minter", "blacklister", "rescuer", "merchant"])
def test_only_the_pauser_pauses(world: World, role: str) -> None:
    with boa.reverts("KGST: caller is not the pauser"):
        world.token.pause(sender=getattr(world, role))
    with boa.reverts("KGST: caller is not the pauser"):
        world.token.unpause(sender=getattr(world, role))


@pytest.mark.parametrize("role", ["owner", "master_minter", "minter", "pauser", "rescuer", "merchant"])
def test_only_the_blacklister_blacklists(world: World, role: str) -> None:
    with boa.reverts("KGST: caller is not the blacklister"):
        world.token.blacklist(world.pensioner, sender=getattr(world, role))
    with boa.reverts("KGST: caller is not the blacklister"):
        world.token.unBlacklist(world.pensioner, sender=getattr(world, role))


REFUSING_TOKEN = """
# pragma version 0.4.3
@external
def transfer(to: address, amount: uint256) -> bool:
    return False
"""


def test_rescue_fails_loudly_when_the_token_refuses(world: World) -> None:
    refusing = boa.loads(REFUSING_TOKEN, sender=world.owner)
    with boa.reverts("KGST: rescue transfer failed"):
        world.token.rescueERC20(refusing.address, world.merchant, 1, sender=world.rescuer)


def test_every_external_function_has_natspec() -> None:
    out = vyper.compile_code(CONTRACT.read_text(), output_formats=["abi", "userdoc", "devdoc"])
    documented = {
        name.split("(")[0]
        for doc in (out["userdoc"].get("methods", {}), out["devdoc"].get("methods", {}))
        for name in doc
    }
    # public() getters are documented by the variable they read; functions need their own NatSpec
    getters = {
        "name", "symbol", "decimals", "allowance", "totalSupply", "paused", "owner", "pendingOwner",
        "masterMinter", "pauser", "blacklister", "rescuer", "isMinter", "minterAllowance", "nonces",
    }  # fmt: skip
    functions = {item["name"] for item in out["abi"] if item["type"] == "function"}
    assert functions - getters - documented == set()


def test_every_revert_message_carries_the_prefix() -> None:
    source = CONTRACT.read_text()
    messages = re.findall(r'assert [^\n]*?, ("[^"]*")', source)
    assert len(messages) > 40
    assert [m for m in messages if not m.startswith('"KGST: ')] == []
    # messages passed through a helper are checked where they are written
    assert all(m.startswith('"KGST: ') for m in re.findall(r'_require_not_blacklisted\([^,]+, ("[^"]*")', source))
