"""secp256k1 runs on libsecp256k1 (coincurve), not eth-keys' pure-Python fallback.

eth-keys picks coincurve only when it imports; without it every signature, every
transaction's sender and the EVM's `ecrecover` silently fall back to pure Python, about
ten times slower (docs/merchants.md, Benchmark). This keeps the dependency effective."""

from __future__ import annotations

from eth_account import Account
from eth_keys.backends import get_backend


def test_eth_keys_uses_the_coincurve_backend() -> None:
    assert type(get_backend()).__name__ == "CoinCurveECCBackend"


def test_a_transaction_signed_and_recovered_on_it_names_its_sender() -> None:
    key = Account.create()
    signed = key.sign_transaction({"type": 2, "chainId": 56, "nonce": 0, "to": "0x" + "11" * 20, "value": 0,
                                   "data": b"", "gas": 21_000, "maxFeePerGas": 2, "maxPriorityFeePerGas": 1})
    assert Account.recover_transaction(signed.raw_transaction) == key.address
