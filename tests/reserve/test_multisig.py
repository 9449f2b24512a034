"""ReserveMultisig on chain (in-process EVM and anvil), 2-of-3 and 3-of-5: it executes what
M distinct current owners signed for the current nonce, and refuses fewer approvals, a
replayed approval, a removed owner's approval, a signature over another transaction,
duplicates, unsorted or non-owner signatures, and owner changes from outside."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from digisom.chain.contracts import Artifact
from digisom.chain.errors import TransactionReverted
from digisom.chain.reserve_multisig import ZERO_ADDRESS, MultisigWallet
from digisom.reserve.errors import MultisigRefused
from digisom.reserve.typed import MultisigTx, digest, message_typed_data, pack, sign_typed
from tests.reserve.conftest import Backend, key

SIZES = [pytest.param((2, 3), id="2-of-3"), pytest.param((3, 5), id="3-of-5")]
WALLET_FUNDS_WEI = 10**18
SENT_WEI = 12_345
DELAY_S = 600
TRANSFER_SELECTOR = bytes.fromhex("a9059cbb")


def owners_of(n: int) -> list[LocalAccount]:
    return [key(f"owner {i}") for i in range(n)]


def approvals(tx: MultisigTx, signers: list[LocalAccount]) -> bytes:
    typed = tx.typed_data()
    return pack((signer.address, sign_typed(signer.key, typed)) for signer in signers)


def refused_on_chain(wallet: MultisigWallet, backend: Backend, tx: MultisigTx, signatures: bytes) -> None:
    """The node's simulation refuses it, and sent anyway it is mined reverted with nothing spent."""
    nonce = wallet.nonce()
    with pytest.raises(MultisigRefused):
        wallet.execute(backend.relayer, tx, signatures)
    receipt = wallet.execute_unchecked(backend.relayer.key, tx, signatures)
    assert receipt is not None and not receipt.success
    assert wallet.nonce() == nonce


@pytest.fixture(params=SIZES)
def setup(request: pytest.FixtureRequest, backend: Backend,
          multisig_artifact: Artifact) -> tuple[MultisigWallet, list[LocalAccount], int]:
    m, n = request.param
    owners = owners_of(n)
    wallet = MultisigWallet.deploy(backend.relayer, [o.address for o in owners], m, [key("dest").address],
                                   DELAY_S, multisig_artifact)
    backend.fund(wallet.address, WALLET_FUNDS_WEI)
    return wallet, owners, m


def test_deployed_with_owners_and_threshold(setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    assert sorted(wallet.owners()) == sorted(o.address for o in owners)
    assert wallet.threshold() == m
    assert wallet.nonce() == 0


def test_python_digest_is_the_contracts(setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, _, _ = setup
    tx = wallet.tx(key("dest").address, SENT_WEI, b"\x01\x02")
    assert wallet.transaction_hash(tx) == digest(tx.typed_data())


def test_m_approvals_execute_once(backend: Backend, setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    dest = key("dest").address
    tx = wallet.tx(dest, SENT_WEI, b"")
    signatures = approvals(tx, owners[-m:])
    receipt = wallet.execute(backend.relayer, tx, signatures)
    assert receipt.success
    assert backend.balance(dest) == SENT_WEI
    assert wallet.nonce() == 1
    # The same approvals again: the nonce is spent (a replay).
    refused_on_chain(wallet, backend, tx, signatures)
    assert backend.balance(dest) == SENT_WEI


def test_fewer_than_m_approvals_refused(backend: Backend,
                                        setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    tx = wallet.tx(key("dest").address, SENT_WEI, b"")
    refused_on_chain(wallet, backend, tx, approvals(tx, owners[: m - 1]))
    assert backend.balance(key("dest").address) == 0


def test_old_nonce_approval_refused(backend: Backend, setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    first = wallet.tx(key("dest").address, SENT_WEI, b"")
    stale = approvals(first, owners[:m])
    wallet.execute(backend.relayer, first, approvals(first, owners[1 : m + 1]))
    # Approvals for nonce 0 presented for the wallet's next transaction (nonce 1).
    refused_on_chain(wallet, backend, wallet.tx(key("dest").address, SENT_WEI, b""), stale)


def test_signature_over_another_transaction_refused(
        backend: Backend, setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    signed = wallet.tx(key("dest").address, SENT_WEI, b"")
    signatures = approvals(signed, owners[:m])
    for other in (wallet.tx(key("dest").address, SENT_WEI * 2, b""),
                  wallet.tx(key("thief").address, SENT_WEI, b""),
                  wallet.tx(key("dest").address, SENT_WEI, b"\x00")):
        refused_on_chain(wallet, backend, other, signatures)


def test_duplicate_unsorted_and_stranger_signatures_refused(
        backend: Backend, setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    tx = wallet.tx(key("dest").address, SENT_WEI, b"")
    typed = tx.typed_data()
    ordered = sorted(owners[:m], key=lambda o: int(o.address, 16))
    one = sign_typed(ordered[0].key, typed)
    refused_on_chain(wallet, backend, tx, one * m)  # one owner m times
    unsorted = b"".join(sign_typed(o.key, typed) for o in reversed(ordered))
    refused_on_chain(wallet, backend, tx, unsorted)
    stranger = key("stranger")
    refused_on_chain(wallet, backend, tx, approvals(tx, [*owners[: m - 1], stranger]))
    refused_on_chain(wallet, backend, tx, approvals(tx, owners[:m])[:-1])  # truncated


def test_removed_owner_approval_refused(backend: Backend,
                                        setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    removed = owners[0]
    removal = wallet.tx(wallet.address, 0, wallet.call_data("removeOwner", removed.address, m))
    wallet.execute(backend.relayer, removal, approvals(removal, owners[:m]))
    assert removed.address not in wallet.owners()
    assert wallet.threshold() == m
    tx = wallet.tx(key("dest").address, SENT_WEI, b"")
    refused_on_chain(wallet, backend, tx, approvals(tx, [removed, *owners[1:m]]))
    wallet.execute(backend.relayer, tx, approvals(tx, owners[1 : m + 1]))
    assert backend.balance(key("dest").address) == SENT_WEI


def test_owner_changes_only_through_the_wallet(backend: Backend,
                                               setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    for name, args in (("addOwner", (key("intruder").address, 1)), ("removeOwner", (owners[0].address, 1)),
                       ("changeThreshold", (1,))):
        with pytest.raises(TransactionReverted, match="only the wallet itself"):
            backend.relayer.prepare(wallet.address, wallet.call_data(name, *args))
    # An owner signing alone cannot lower the threshold either.
    lower = wallet.tx(wallet.address, 0, wallet.call_data("changeThreshold", 1))
    refused_on_chain(wallet, backend, lower, approvals(lower, owners[:1]))
    assert wallet.threshold() == m
    # With M approvals the wallet adds an owner and raises its threshold.
    newcomer = key("newcomer")
    add = wallet.tx(wallet.address, 0, wallet.call_data("addOwner", newcomer.address, m + 1))
    wallet.execute(backend.relayer, add, approvals(add, owners[:m]))
    assert newcomer.address in wallet.owners() and wallet.threshold() == m + 1
    # A threshold above the owner count is refused by the wallet's own rule.
    too_high = wallet.tx(wallet.address, 0, wallet.call_data("changeThreshold", len(owners) + 2))
    refused_on_chain(wallet, backend, too_high, approvals(too_high, owners[: m + 1]))


def test_eip1271_publication_signature(setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    digest = keccak(text="digisom reserve publication 2026-12-07")
    typed = message_typed_data(wallet.chain.chain_id(), wallet.address, digest)
    signed = [(o.address, sign_typed(o.key, typed)) for o in owners[:m]]
    assert wallet.is_valid_signature(digest, pack(signed))
    assert not wallet.is_valid_signature(digest, pack(signed[: m - 1]))
    assert not wallet.is_valid_signature(keccak(text="another root"), pack(signed))
    tx_signature = approvals(wallet.tx(key("dest").address, 0, digest), owners[:m])
    assert not wallet.is_valid_signature(digest, tx_signature)  # a transaction approval is not a message


def test_destination_not_allowed_refused(backend: Backend,
                                         setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    thief = key("thief").address
    tx = wallet.tx(thief, SENT_WEI, b"")
    refused_on_chain(wallet, backend, tx, approvals(tx, owners[:m]))
    # Nor as an ERC-20 transfer's recipient, nor through any other call.
    token_call = wallet.tx(key("token").address, 0, TRANSFER_SELECTOR + encode(["address", "uint256"], [thief, 5]))
    refused_on_chain(wallet, backend, token_call, approvals(token_call, owners[:m]))
    other_call = wallet.tx(key("dest").address, 0, b"\x12\x34\x56\x78")
    refused_on_chain(wallet, backend, other_call, approvals(other_call, owners[:m]))
    # Allowed by the wallet itself (M approvals), the same movement then executes.
    allow = wallet.tx(wallet.address, 0, wallet.call_data("setAllowed", thief, True))
    wallet.execute(backend.relayer, allow, approvals(allow, owners[:m]))
    moved = wallet.tx(thief, SENT_WEI, b"")
    wallet.execute(backend.relayer, moved, approvals(moved, owners[:m]))
    assert backend.balance(thief) == SENT_WEI


def test_large_movement_inside_the_time_lock_refused(
        backend: Backend, setup: tuple[MultisigWallet, list[LocalAccount], int]) -> None:
    wallet, owners, m = setup
    lock = wallet.tx(wallet.address, 0, wallet.call_data("setTimeLock", ZERO_ADDRESS, SENT_WEI, DELAY_S))
    wallet.execute(backend.relayer, lock, approvals(lock, owners[:m]))
    assert wallet.large_units(None) == SENT_WEI and wallet.delay_s() == DELAY_S
    small = wallet.tx(key("dest").address, SENT_WEI - 1, b"")
    wallet.execute(backend.relayer, small, approvals(small, owners[:m]))  # below the band: no lock
    large = wallet.tx(key("dest").address, SENT_WEI, b"")
    signatures = approvals(large, owners[:m])
    refused_on_chain(wallet, backend, large, signatures)  # not queued
    with pytest.raises(MultisigRefused):
        wallet.queue(backend.relayer, large, approvals(large, owners[: m - 1]))  # too few to start the lock
    wallet.queue(backend.relayer, large, signatures)
    assert wallet.queued_at(large) > 0
    refused_on_chain(wallet, backend, large, signatures)  # queued, inside the lock
    backend.advance(DELAY_S)
    wallet.execute(backend.relayer, large, signatures)
    assert backend.balance(key("dest").address) == 2 * SENT_WEI - 1
