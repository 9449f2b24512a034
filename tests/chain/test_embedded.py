"""The in-process chain behaves like a node where it matters: nonces, replacements, chain ids,
confirmation depth, and a deadline for a transaction that never confirms."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from digisom.chain.embedded import EmbeddedChain
from digisom.chain.errors import KeyMissing, NonceConflict, RpcError
from digisom.chain.keys import load_key
from digisom.chain.model import Fees, TxRequest
from digisom.chain.transactor import TransactionTimeout, Transactor, TxState, sign, status
from tests.stablecoin.world import role_key

PAYEE = "0x" + "22" * 20


def transfer(nonce: int, fees: Fees, chain_id: int = 56) -> bytes:
    return sign(role_key("pensioner"), chain_id, TxRequest(PAYEE, b"", 21_000, 1), nonce, fees).raw


def test_nonces_replacements_and_chain_ids() -> None:
    chain = EmbeddedChain(56, automine=False)
    fees = chain.fees()
    with pytest.raises(RpcError, match="insufficient funds"):
        chain.broadcast(transfer(0, fees))
    chain.fund(role_key("pensioner").address, 10**18)
    first = chain.broadcast(transfer(0, fees))
    assert chain.broadcast(transfer(0, fees)) == first  # the same transaction again is fine
    with pytest.raises(RpcError, match="underpriced"):
        chain.broadcast(transfer(0, fees.bumped(5)))
    replacement = chain.broadcast(transfer(0, fees.bumped(10)))
    with pytest.raises(RpcError, match="chain 97"):
        chain.broadcast(transfer(1, fees, chain_id=97))
    chain.mine()
    assert chain.receipt(replacement) is not None and chain.receipt(first) is None
    with pytest.raises(NonceConflict):
        chain.broadcast(transfer(0, fees.bumped(50)))


def test_confirmation_depth_and_a_deadline() -> None:
    chain = EmbeddedChain(56)
    sender = Transactor(chain, role_key("pensioner"))
    sent = sender.send(PAYEE, b"")
    assert status(chain, sent.tx_hash, 3).state is TxState.MINED
    chain.mine(2)
    assert status(chain, sent.tx_hash, 3).state is TxState.CONFIRMED
    chain.automine = False
    ticks = iter(range(1000))
    waiting = Transactor(chain, role_key("pensioner"), sleep=lambda _s: None, clock=lambda: float(next(ticks)))
    stuck = waiting.send(PAYEE, b"")
    with pytest.raises(TransactionTimeout, match="replace it with a fee bump"):
        waiting.wait(stuck.tx_hash, 1, timeout_s=5)


def test_keys_come_from_a_file_or_the_environment(tmp_path: Path) -> None:
    key = Account.create()
    assert load_key(env={"DIGISOM_CHAIN_KEY": key.key.hex()}).address == key.address
    with pytest.raises(KeyMissing, match="no signing key"):
        load_key(env={})
    with pytest.raises(KeyMissing, match="cannot read"):
        load_key(tmp_path / "missing.key")
    (tmp_path / "issuer.key").write_text(key.key.hex() + "\n")
    assert load_key(tmp_path / "issuer.key").address == key.address
