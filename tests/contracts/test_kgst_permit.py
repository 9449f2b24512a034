"""EIP-2612 permit: signatures made with eth_account against an EIP-712 domain built here."""

from __future__ import annotations

import boa
import pytest
from eth_abi import encode
from eth_utils import keccak

from .conftest import CHAIN_ID, SOM, Signature, World, events, malleable, sign_permit

HOUR_S = 3600


def test_domain_separator_binds_name_version_chain_and_contract(world: World) -> None:
    token = world.token
    expected = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak(text=world.metadata.name),
                keccak(text="1"),
                CHAIN_ID,
                str(token.address),
            ],
        )
    )
    assert token.DOMAIN_SEPARATOR() == expected


def test_permit_sets_allowance_and_spends_the_nonce(world: World) -> None:
    token = world.token
    pensioner = world.keys["pensioner"]
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, pensioner, world.merchant, 40 * SOM, 0, deadline)
    # anyone may submit the signed permit: here the central bank relays it
    token.permit(world.pensioner, world.merchant, 40 * SOM, deadline, *sig.args(), sender=world.central_bank)
    [log] = events(token, "Approval")
    assert (log.owner, log.spender, log.value) == (world.pensioner, world.merchant, 40 * SOM)
    assert token.allowance(world.pensioner, world.merchant) == 40 * SOM
    assert token.nonces(world.pensioner) == 1
    token.transferFrom(world.pensioner, world.merchant, 40 * SOM, sender=world.merchant)


def test_permit_cannot_be_replayed(world: World) -> None:
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, 40 * SOM, 0, deadline)
    token.permit(world.pensioner, world.merchant, 40 * SOM, deadline, *sig.args(), sender=world.merchant)
    with boa.reverts("KGST: invalid signature"):
        token.permit(world.pensioner, world.merchant, 40 * SOM, deadline, *sig.args(), sender=world.merchant)


def test_expired_permit_is_refused(world: World) -> None:
    token = world.token
    deadline = world.backend.now() - 1
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    with boa.reverts("KGST: permit is expired"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)


def test_permit_expires_with_time(world: World) -> None:
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    world.backend.time_travel(2 * HOUR_S)
    with boa.reverts("KGST: permit is expired"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)


def test_permit_signed_by_someone_else_is_refused(world: World) -> None:
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["merchant"], world.merchant, SOM, 0, deadline)
    with boa.reverts("KGST: invalid signature"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)


def test_permit_for_other_terms_is_refused(world: World) -> None:
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    with boa.reverts("KGST: invalid signature"):
        token.permit(world.pensioner, world.merchant, 2 * SOM, deadline, *sig.args(), sender=world.merchant)
    with boa.reverts("KGST: invalid signature"):
        token.permit(world.pensioner, world.central_bank, SOM, deadline, *sig.args(), sender=world.merchant)
    wrong_nonce = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 1, deadline)
    with boa.reverts("KGST: invalid signature"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *wrong_nonce.args(), sender=world.merchant)


def test_permit_for_another_token_is_refused(world: World, deploy_kgst) -> None:
    m = world.metadata  # same name, same chain: only the contract differs
    other = deploy_kgst(m.name, m.symbol, m.decimals, *[world.owner] * 5)
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(other, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    with boa.reverts("KGST: invalid signature"):
        world.token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)


def test_malformed_signatures_are_refused(world: World) -> None:
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    with boa.reverts("KGST: invalid signature 's' value"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *malleable(sig).args(), sender=world.merchant)
    for v in (0, 1, 26, 29):
        with boa.reverts("KGST: invalid signature 'v' value"):
            token.permit(world.pensioner, world.merchant, SOM, deadline, v, sig.r, sig.s, sender=world.merchant)
    garbage = Signature(27, b"\x00" * 32, b"\x00" * 32)
    with boa.reverts("KGST: invalid signature"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *garbage.args(), sender=world.merchant)


def test_permit_for_the_zero_address_is_refused(world: World) -> None:
    """ecrecover returns the zero address on failure; that must never pass as the owner's signature."""
    token = world.token
    deadline = world.backend.now() + HOUR_S
    garbage = Signature(27, b"\x01" * 32, b"\x01" * 32)
    zero = "0x0000000000000000000000000000000000000000"
    with boa.reverts("KGST: invalid signature"):
        token.permit(zero, world.merchant, SOM, deadline, *garbage.args(), sender=world.merchant)


def test_permit_while_paused_is_refused(world: World) -> None:
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    token.pause(sender=world.pauser)
    with boa.reverts("KGST: paused"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)


def test_permit_with_a_blacklisted_party_is_refused(world: World) -> None:
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    token.blacklist(world.pensioner, sender=world.blacklister)
    with boa.reverts("KGST: owner blacklisted"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.central_bank)
    token.unBlacklist(world.pensioner, sender=world.blacklister)
    token.blacklist(world.merchant, sender=world.blacklister)
    with boa.reverts("KGST: spender blacklisted"):
        token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.central_bank)
    assert token.nonces(world.pensioner) == 0, "a refused permit spends no nonce"


def test_signatures_do_not_survive_a_chain_fork(world: World) -> None:
    """The separator follows chain.id, so a permit for BNB Chain is void on a fork with another id."""
    if world.backend.name != "titanoboa":
        pytest.skip("changing the chain id needs the in-process EVM")
    token = world.token
    deadline = world.backend.now() + HOUR_S
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    original = token.DOMAIN_SEPARATOR()
    boa.env.evm.patch.chain_id = 97  # BNB Chain testnet
    try:
        assert token.DOMAIN_SEPARATOR() != original
        with boa.reverts("KGST: invalid signature"):
            token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)
    finally:
        boa.env.evm.patch.chain_id = CHAIN_ID
    token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)


def test_permit_is_valid_up_to_and_including_its_deadline(world: World) -> None:
    if world.backend.name != "titanoboa":
        pytest.skip("pinning the block timestamp needs the in-process EVM")
    token = world.token
    deadline = world.backend.now()  # the timestamp of the block the permit runs in
    sig = sign_permit(token, world.keys["pensioner"], world.merchant, SOM, 0, deadline)
    token.permit(world.pensioner, world.merchant, SOM, deadline, *sig.args(), sender=world.merchant)
    assert token.allowance(world.pensioner, world.merchant) == SOM


def test_eip5267_describes_the_domain(world: World) -> None:
    token = world.token
    fields, name, version, chain_id, verifying_contract, salt, extensions = token.eip712Domain()
    assert fields == b"\x0f"
    assert (name, version, chain_id) == (world.metadata.name, "1", CHAIN_ID)
    assert verifying_contract == token.address
    assert salt == b"\x00" * 32
    assert list(extensions) == []
