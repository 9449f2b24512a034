"""EIP-3009 transfer authorisations: valid window, one use, cancellation, payee-only receive."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from .conftest import PENSIONER_OPENING, SOM, World, events, malleable, sign_authorization, sign_cancel

HOUR_S = 3600
NONCE = keccak(text="pension payment 2026-11")


def window(world: World) -> tuple[int, int]:
    now = world.backend.now()
    return now - HOUR_S, now + HOUR_S


def test_transfer_with_authorization_pays_and_marks_the_nonce(world: World) -> None:
    token = world.token
    after, before = window(world)
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, 25 * SOM, after, before, NONCE)
    assert not token.authorizationState(world.pensioner, NONCE)
    # a relayer (here the central bank) pays the gas
    token.transferWithAuthorization(
        world.pensioner, world.merchant, 25 * SOM, after, before, NONCE, *sig.args(), sender=world.central_bank
    )
    [used] = events(token, "AuthorizationUsed")
    assert (used.authorizer, used.nonce) == (world.pensioner, NONCE)
    [transfer] = events(token, "Transfer")
    assert (transfer.sender, transfer.receiver, transfer.value) == (world.pensioner, world.merchant, 25 * SOM)
    assert token.authorizationState(world.pensioner, NONCE)
    assert token.balanceOf(world.merchant) == 25 * SOM
    assert token.balanceOf(world.pensioner) == PENSIONER_OPENING - 25 * SOM


def test_reused_authorization_is_refused(world: World) -> None:
    token = world.token
    after, before = window(world)
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    args = (world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args())
    token.transferWithAuthorization(*args, sender=world.merchant)
    with boa.reverts("KGST: authorization is used or canceled"):
        token.transferWithAuthorization(*args, sender=world.merchant)


def test_not_yet_valid_authorization_is_refused(world: World) -> None:
    token = world.token
    now = world.backend.now()
    after, before = now + HOUR_S, now + 2 * HOUR_S
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    args = (world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args())
    with boa.reverts("KGST: authorization is not yet valid"):
        token.transferWithAuthorization(*args, sender=world.merchant)
    world.backend.time_travel(HOUR_S + 60)
    token.transferWithAuthorization(*args, sender=world.merchant)
    assert token.balanceOf(world.merchant) == SOM


def test_expired_authorization_is_refused(world: World) -> None:
    token = world.token
    now = world.backend.now()
    after, before = now - 2 * HOUR_S, now - 1
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    with boa.reverts("KGST: authorization is expired"):
        token.transferWithAuthorization(
            world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args(), sender=world.merchant
        )


def test_wrongly_signed_authorization_is_refused(world: World) -> None:
    token = world.token
    after, before = window(world)
    by_merchant = sign_authorization(token, world.keys["merchant"], world.merchant, SOM, after, before, NONCE)
    with boa.reverts("KGST: invalid signature"):
        token.transferWithAuthorization(
            world.pensioner, world.merchant, SOM, after, before, NONCE, *by_merchant.args(), sender=world.merchant
        )
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    with boa.reverts("KGST: invalid signature"):  # other amount than signed
        token.transferWithAuthorization(
            world.pensioner, world.merchant, 2 * SOM, after, before, NONCE, *sig.args(), sender=world.merchant
        )
    with boa.reverts("KGST: invalid signature"):  # other payee than signed
        token.transferWithAuthorization(
            world.pensioner, world.central_bank, SOM, after, before, NONCE, *sig.args(), sender=world.merchant
        )
    with boa.reverts("KGST: invalid signature 's' value"):
        token.transferWithAuthorization(
            world.pensioner, world.merchant, SOM, after, before, NONCE, *malleable(sig).args(), sender=world.merchant
        )
    assert not token.authorizationState(world.pensioner, NONCE)


def test_a_transfer_signature_is_not_a_receive_signature(world: World) -> None:
    """The two kinds have distinct type hashes, so one cannot be replayed as the other."""
    token = world.token
    after, before = window(world)
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    with boa.reverts("KGST: invalid signature"):
        token.receiveWithAuthorization(
            world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args(), sender=world.merchant
        )


def test_receive_with_authorization_only_by_the_payee(world: World) -> None:
    token = world.token
    after, before = window(world)
    sig = sign_authorization(
        token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE, primary="ReceiveWithAuthorization"
    )
    args = (world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args())
    with boa.reverts("KGST: caller must be the payee"):
        token.receiveWithAuthorization(*args, sender=world.central_bank)
    token.receiveWithAuthorization(*args, sender=world.merchant)
    assert token.balanceOf(world.merchant) == SOM
    assert token.authorizationState(world.pensioner, NONCE)
    with boa.reverts("KGST: authorization is used or canceled"):
        token.receiveWithAuthorization(*args, sender=world.merchant)


def test_cancelled_authorization_cannot_be_used(world: World) -> None:
    token = world.token
    after, before = window(world)
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    cancel = sign_cancel(token, world.keys["pensioner"], NONCE)
    token.cancelAuthorization(world.pensioner, NONCE, *cancel.args(), sender=world.central_bank)
    [log] = events(token, "AuthorizationCanceled")
    assert (log.authorizer, log.nonce) == (world.pensioner, NONCE)
    assert token.authorizationState(world.pensioner, NONCE)
    with boa.reverts("KGST: authorization is used or canceled"):
        token.transferWithAuthorization(
            world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args(), sender=world.merchant
        )
    with boa.reverts("KGST: authorization is used or canceled"):
        token.cancelAuthorization(world.pensioner, NONCE, *cancel.args(), sender=world.central_bank)


def test_cancellation_must_be_signed_by_the_authorizer(world: World) -> None:
    token = world.token
    forged = sign_cancel(token, world.keys["merchant"], NONCE)
    with boa.reverts("KGST: invalid signature"):
        token.cancelAuthorization(world.pensioner, NONCE, *forged.args(), sender=world.merchant)
    assert not token.authorizationState(world.pensioner, NONCE)


def test_a_used_authorization_cannot_be_cancelled(world: World) -> None:
    token = world.token
    after, before = window(world)
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    token.transferWithAuthorization(
        world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args(), sender=world.merchant
    )
    cancel = sign_cancel(token, world.keys["pensioner"], NONCE)
    with boa.reverts("KGST: authorization is used or canceled"):
        token.cancelAuthorization(world.pensioner, NONCE, *cancel.args(), sender=world.pensioner)


def test_authorizations_while_paused_are_refused(world: World) -> None:
    token = world.token
    after, before = window(world)
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    cancel = sign_cancel(token, world.keys["pensioner"], NONCE)
    token.pause(sender=world.pauser)
    with boa.reverts("KGST: paused"):
        token.transferWithAuthorization(
            world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args(), sender=world.merchant
        )
    with boa.reverts("KGST: paused"):
        token.cancelAuthorization(world.pensioner, NONCE, *cancel.args(), sender=world.pensioner)


def test_authorizations_with_a_blacklisted_party_are_refused(world: World) -> None:
    token = world.token
    after, before = window(world)
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
    args = (world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args())
    token.blacklist(world.pensioner, sender=world.blacklister)
    with boa.reverts("KGST: sender blacklisted"):
        token.transferWithAuthorization(*args, sender=world.central_bank)
    token.unBlacklist(world.pensioner, sender=world.blacklister)
    token.blacklist(world.merchant, sender=world.blacklister)
    with boa.reverts("KGST: recipient blacklisted"):
        token.transferWithAuthorization(*args, sender=world.central_bank)
    assert not token.authorizationState(world.pensioner, NONCE), "a refused authorisation stays usable"


def test_authorization_beyond_the_balance_is_refused(world: World) -> None:
    token = world.token
    after, before = window(world)
    value = PENSIONER_OPENING + 1
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, value, after, before, NONCE)
    with boa.reverts("KGST: transfer amount exceeds balance"):
        token.transferWithAuthorization(
            world.pensioner, world.merchant, value, after, before, NONCE, *sig.args(), sender=world.merchant
        )


def test_authorization_window_bounds_are_exclusive(world: World) -> None:
    if world.backend.name != "titanoboa":
        pytest.skip("pinning the block timestamp needs the in-process EVM")
    token = world.token
    now = world.backend.now()  # the timestamp of the block the call runs in
    for after, before, message in (
        (now, now + HOUR_S, "KGST: authorization is not yet valid"),
        (now - HOUR_S, now, "KGST: authorization is expired"),
    ):
        sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, after, before, NONCE)
        with boa.reverts(message):
            token.transferWithAuthorization(
                world.pensioner, world.merchant, SOM, after, before, NONCE, *sig.args(), sender=world.merchant
            )
    sig = sign_authorization(token, world.keys["pensioner"], world.merchant, SOM, now - 1, now + 1, NONCE)
    token.transferWithAuthorization(
        world.pensioner, world.merchant, SOM, now - 1, now + 1, NONCE, *sig.args(), sender=world.merchant
    )
