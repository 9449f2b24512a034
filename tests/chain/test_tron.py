"""TRON base58check addresses against published vectors, and every kind of bad input refused
with its own error."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisom.chain.contracts import Artifact
from digisom.chain.tron import (
    BadChecksum,
    NotBase58,
    TronAddressError,
    WrongLength,
    WrongPrefix,
    b58decode,
    b58encode,
    from_evm,
    from_tron_hex,
    governed_opcodes,
    is_tron_address,
    to_evm,
    to_tron_hex,
)

# (base58check, TRON hex) as published:
VECTORS = [
    # USDT (TRC-20) contract on TRON mainnet, as shown by Tronscan and Tether.
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
    # TRON's wallet-cli documentation, `encoding convert` example.
    ("TBhCfAytTEh52WFL6HYr64i2nmc3u3TCUp", "4112e94f5a3c88b17d2f6e0b9a45cd310f8e7a6d29"),
    # CryptoTron::AddrTools (CPAN) synopsis.
    ("TQHgMpVzWkhSsRB4BzZgmV8uW4cFL8eaBr", "419d1015e669c2df831003c5c54ceb48da613d9979"),
    # Dune's to_tron_address / from_tron_address documentation.
    ("THHRK1bA7YRPZBcLnTP1SZy9ipUpsRwpo6", "41503aa4ad108bd3a89ba0310e23b49fb654cd6986"),
]


@pytest.mark.parametrize(("base58", "tron_hex"), VECTORS)
def test_published_vectors(base58: str, tron_hex: str) -> None:
    assert from_tron_hex(tron_hex) == base58
    assert to_tron_hex(base58) == tron_hex
    assert to_evm(base58).lower() == "0x" + tron_hex[2:]
    assert from_evm(to_evm(base58)) == base58
    assert is_tron_address(base58)


def test_the_checksum_is_double_sha256_computed_independently() -> None:
    base58, tron_hex = VECTORS[0]
    payload = bytes.fromhex(tron_hex)
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    assert b58decode(base58) == payload + checksum
    assert to_evm(base58) == "0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C"  # EIP-55 case from the 20 bytes


def test_the_wallet_cli_evm_form() -> None:
    assert to_evm("TBhCfAytTEh52WFL6HYr64i2nmc3u3TCUp") == "0x12E94f5a3c88b17d2F6E0b9a45Cd310f8E7a6D29"


def test_zero_address_and_leading_zero_bytes() -> None:
    assert from_evm(b"\0" * 20) == "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"
    assert b58encode(b"\0\0\x01") == "112"
    assert b58decode("112") == b"\0\0\x01"


def test_bad_input_gets_a_typed_error() -> None:
    good = VECTORS[0][0]
    with pytest.raises(NotBase58, match="'0' at position 5"):
        to_evm(good[:5] + "0" + good[6:])
    with pytest.raises(BadChecksum):
        to_evm(good[:-1] + ("u" if good[-1] != "u" else "v"))
    with pytest.raises(WrongLength):
        to_evm(good[:-2])
    with pytest.raises(WrongPrefix, match="0x00"):
        to_evm("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")  # a Bitcoin address: base58check, prefix 0x00
    with pytest.raises(WrongLength):
        from_evm("0x1234")
    with pytest.raises(TronAddressError, match="not a hex"):
        from_evm("0x" + "zz" * 20)
    with pytest.raises(WrongPrefix):
        from_tron_hex("42" + "00" * 20)
    with pytest.raises(TronAddressError):
        to_evm(12345)  # type: ignore[arg-type]
    assert not is_tron_address("0x" + "00" * 20)
    assert issubclass(TronAddressError, ValueError)


@given(st.binary(min_size=20, max_size=20))
def test_round_trip(raw: bytes) -> None:
    address = from_evm(raw)
    assert len(address) == 34 and address[0] == "T"
    assert bytes.fromhex(to_evm(address)[2:]) == raw


def test_the_tvm_preflight_names_the_governed_opcodes_the_contract_uses(artifact: Artifact) -> None:
    """KGST/USDKG compiled for Cancun needs PUSH0 and MCOPY enabled on a TRON network; no transient storage."""
    assert governed_opcodes(artifact.bytecode) == [
        "MCOPY (TIP-651, GreatVoyage-v4.8.0)",
        "PUSH0 (TIP-543, GreatVoyage-v4.7.2)",
    ]
    assert governed_opcodes(bytes([0x60, 0x5F, 0x00])) == []  # 0x5f as PUSH1 data is not PUSH0
    assert governed_opcodes(bytes([0x5C])) == ["TLOAD (TIP-650, GreatVoyage-v4.8.0, network parameter #83)"]
