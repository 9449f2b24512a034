"""What USDKG fixes over the real USDKG contract, held by the source both tokens share:
every supply change (issue, redeem, seizure) is a `Transfer` from or to the zero address,
so an indexer rebuilding supply from `Transfer` logs gets `totalSupply`; and the blacklist
checks the recipient and the spender (tests in test_kgst_pause_blacklist.py).

The second half proves the checks bite: each one runs against a variant of the source
with the fault it guards against (`faults.py`) and must fail there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import boa
import pytest

from digisom.chain.usdkg import USDKG_METADATA

from . import test_kgst_3009 as eip3009
from . import test_kgst_pause_blacklist as pause_blacklist
from . import test_kgst_permit as permit
from . import test_kgst_roles as roles
from .conftest import MINTER_ALLOWANCE, PENSIONER_OPENING, SOM, World, deploy_world, events, titanoboa_backend
from .faults import FAULTS, REAL_USDKG, faulty_deployer

ZERO = "0x0000000000000000000000000000000000000000"
COURT_ORDER = b"\x15" * 32


def test_every_supply_change_logs_a_transfer_from_or_to_zero(world: World) -> None:
    token = world.token
    token.mint(world.merchant, 7 * SOM, sender=world.minter)
    [issued] = events(token, "Transfer")
    assert (issued.sender, issued.receiver, issued.value) == (ZERO, world.merchant, 7 * SOM)
    token.mint(world.minter, 5 * SOM, sender=world.minter)
    token.burn(3 * SOM, sender=world.minter)
    [redeemed] = events(token, "Transfer")
    assert (redeemed.sender, redeemed.receiver, redeemed.value) == (world.minter, ZERO, 3 * SOM)
    token.blacklist(world.pensioner, sender=world.blacklister)
    token.burnFrozen(world.pensioner, COURT_ORDER, sender=world.blacklister)
    [seized] = events(token, "Transfer")
    assert (seized.sender, seized.receiver, seized.value) == (world.pensioner, ZERO, PENSIONER_OPENING)


def test_supply_rebuilt_from_transfer_logs_equals_total_supply(world: World) -> None:
    """An indexer's view from the deployment on: every Transfer replayed, nothing else read."""
    m = world.metadata
    token = world.deployer.deploy(m.name, m.symbol, m.decimals, world.owner, world.master_minter, world.pauser,
                                  world.blacklister, world.rescuer, sender=world.owner)
    logs: list[Any] = []

    def run(call: Callable[[], object]) -> None:
        call()
        logs.extend(events(token, "Transfer"))

    token.configureMinter(world.minter, MINTER_ALLOWANCE, sender=world.master_minter)
    run(lambda: token.mint(world.central_bank, 900 * SOM, sender=world.minter))
    run(lambda: token.mint(world.pensioner, 300 * SOM, sender=world.minter))
    run(lambda: token.transfer(world.merchant, 120 * SOM, sender=world.pensioner))
    run(lambda: token.mint(world.minter, 50 * SOM, sender=world.minter))
    run(lambda: token.burn(20 * SOM, sender=world.minter))  # a redemption
    token.blacklist(world.merchant, sender=world.blacklister)
    run(lambda: token.burnFrozen(world.merchant, COURT_ORDER, sender=world.blacklister))  # a seizure

    balances: Counter[str] = Counter()
    for log in logs:
        balances[log.sender] -= log.value
        balances[log.receiver] += log.value
    supply = -balances.pop(ZERO, 0)
    assert supply == token.totalSupply() == (900 + 300 + 50 - 20 - 120) * SOM  # 120: seized
    for holder in (world.central_bank, world.pensioner, world.merchant, world.minter):
        assert balances[holder] == token.balanceOf(holder), holder


# --- the checks fail on a source without the fix ---------------------------------------

Check = Callable[[World], None]
CHECKS: dict[str, tuple[Check, ...]] = {
    "recipient_unchecked": (
        pause_blacklist.test_blacklisted_receiver_cannot_receive,
        eip3009.test_authorizations_with_a_blacklisted_party_are_refused,
    ),
    "spender_unchecked": (pause_blacklist.test_blacklisted_spender_cannot_spend_or_be_approved,),
    "silent_supply_changes": (
        test_every_supply_change_logs_a_transfer_from_or_to_zero,
        test_supply_rebuilt_from_transfer_logs_equals_total_supply,
        partial(pause_blacklist.test_burn_frozen_under_a_court_order, role="blacklister"),
    ),
    "transfer_while_paused": (pause_blacklist.test_pause_blocks_every_movement_of_value,),
    "anyone_pauses": (partial(roles.test_only_the_pauser_pauses, role="merchant"),),
    "permit_nonce_reusable": (permit.test_permit_cannot_be_replayed,),
    "authorization_reusable": (eip3009.test_reused_authorization_is_refused,),
}


def _name(check: Check) -> str:
    return getattr(check, "__name__", None) or check.func.__name__  # type: ignore[attr-defined]


def _run_on(faults: tuple[str, ...], check: Check) -> None:
    world = deploy_world(titanoboa_backend(), faulty_deployer(*faults), USDKG_METADATA)
    with boa.swap_env(world.backend.env), boa.env.anchor():
        check(world)


def _fails_on(faults: tuple[str, ...], check: Check) -> None:
    with pytest.raises((AssertionError, ValueError)):
        _run_on(faults, check)  # AssertionError: a wrong value; ValueError: "Did not revert", or a missing log


def test_every_fault_has_checks() -> None:
    assert set(CHECKS) == set(FAULTS)


@pytest.mark.parametrize("check", [c for fault in REAL_USDKG for c in CHECKS[fault]], ids=_name)
def test_the_checks_fail_on_the_real_usdkg_weaknesses(check: Check) -> None:
    _fails_on(REAL_USDKG, check)


@pytest.mark.parametrize("check", [c for checks in CHECKS.values() for c in checks], ids=_name)
def test_the_same_harness_passes_on_the_shared_source(check: Check) -> None:
    """The control: with no fault the same checks pass, so a failure above is the fault's."""
    _run_on((), check)


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "check"), [(f, c) for f, checks in CHECKS.items() for c in checks],
                         ids=lambda v: v if isinstance(v, str) else _name(v))
def test_each_fault_alone_fails_its_checks(fault: str, check: Check) -> None:
    _fails_on((fault,), check)
