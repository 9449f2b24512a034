"""TRON addresses: base58check of the 21 bytes `0x41 || the 20-byte EVM address`.

A TRON account and an EVM account with the same key have the same 20 bytes (the last 20
of keccak256 of the public key); TRON prefixes them with 0x41, appends the first 4
bytes of SHA-256(SHA-256(payload)) and writes the 25 bytes in base58 (Bitcoin's
alphabet), which always gives 34 characters starting with `T`. The TVM sees the 20
bytes, so the contract is the same; only the adapter's edge converts.

Every refusal is a `TronAddressError` subclass naming what is wrong.
"""

from __future__ import annotations

import hashlib
from typing import Final

from eth_utils.address import to_checksum_address

from digisom.chain.errors import ChainError

TRON_PREFIX: Final = 0x41
EVM_ADDRESS_BYTES: Final = 20
PAYLOAD_BYTES: Final = 1 + EVM_ADDRESS_BYTES
CHECKSUM_BYTES: Final = 4
BASE58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX: Final = {char: value for value, char in enumerate(BASE58_ALPHABET)}
# A TRON address is 25 bytes in base58: always 34 characters, the first one `T`.
TRON_ADDRESS_CHARS: Final = 34

# `eth_chainId` of TRON's JSON-RPC: the last 4 bytes of the genesis block id.
TRON_MAINNET_CHAIN_ID: Final = 0x2B6653DC
TRON_SHASTA_CHAIN_ID: Final = 0x94A9059E
TRON_NILE_CHAIN_ID: Final = 0xCD8690DC


class TronAddressError(ChainError, ValueError):
    """Not a TRON address."""


class NotBase58(TronAddressError):
    """A character outside the base58 alphabet (0, O, I and l are not in it)."""


class WrongLength(TronAddressError):
    """Not 25 bytes once decoded (or not 20 bytes for an EVM address)."""


class WrongPrefix(TronAddressError):
    """The first byte is not 0x41: another chain's base58check (Bitcoin's 0x00, ...)."""


class BadChecksum(TronAddressError):
    """The last 4 bytes are not the double SHA-256 of the rest: a typo."""


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:CHECKSUM_BYTES]


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet); each leading zero byte becomes a leading `1`."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, digit = divmod(number, 58)
        out.append(BASE58_ALPHABET[digit])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """The bytes of a base58 string; `NotBase58` names the first bad character."""
    number = 0
    for position, char in enumerate(text):
        digit = _BASE58_INDEX.get(char)
        if digit is None:
            raise NotBase58(f"character {char!r} at position {position} is not base58")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def _evm_bytes(evm_address: str | bytes) -> bytes:
    if isinstance(evm_address, bytes):
        raw = evm_address
    elif isinstance(evm_address, str):
        text = evm_address.removeprefix("0x").removeprefix("0X")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise TronAddressError(f"not a hex EVM address: {evm_address!r}") from None
    else:
        raise TronAddressError(f"not an EVM address: {evm_address!r}")
    if len(raw) != EVM_ADDRESS_BYTES:
        raise WrongLength(f"an EVM address has {EVM_ADDRESS_BYTES} bytes, not {len(raw)}")
    return raw


def tron_payload(tron_address: str) -> bytes:
    """The 21 bytes (0x41 and the EVM address) of a base58check TRON address, checked."""
    if not isinstance(tron_address, str):
        raise TronAddressError(f"not a TRON address: {tron_address!r}")
    data = b58decode(tron_address)
    if len(data) != PAYLOAD_BYTES + CHECKSUM_BYTES:
        raise WrongLength(f"a TRON address decodes to {PAYLOAD_BYTES + CHECKSUM_BYTES} bytes, not {len(data)}")
    payload, checksum = data[:PAYLOAD_BYTES], data[PAYLOAD_BYTES:]
    if payload[0] != TRON_PREFIX:
        raise WrongPrefix(f"a TRON address starts with byte 0x41, not 0x{payload[0]:02x}")
    if _checksum(payload) != checksum:
        raise BadChecksum(f"checksum of {tron_address!r} does not match: mistyped?")
    return payload


def from_evm(evm_address: str | bytes) -> str:
    """The TRON base58check address of a 20-byte EVM address (hex string or bytes)."""
    payload = bytes([TRON_PREFIX]) + _evm_bytes(evm_address)
    return b58encode(payload + _checksum(payload))


def to_evm(tron_address: str) -> str:
    """The checksummed 0x EVM address of a TRON base58check address."""
    return str(to_checksum_address(tron_payload(tron_address)[1:]))


def to_tron_hex(tron_address: str) -> str:
    """TRON's hex form: `41` and the 20 bytes, lower case (TronWeb's `toHex`)."""
    return tron_payload(tron_address).hex()


def from_tron_hex(tron_hex: str) -> str:
    """The base58check form of TRON's hex form (`41` + 40 hex digits)."""
    text = tron_hex.removeprefix("0x")
    if len(text) != 2 * PAYLOAD_BYTES:
        raise WrongLength(f"TRON hex has {2 * PAYLOAD_BYTES} digits, not {len(text)}")
    if text[:2] != f"{TRON_PREFIX:02x}":
        raise WrongPrefix(f"TRON hex starts with 41, not {text[:2]!r}")
    return from_evm(text[2:])


def is_tron_address(text: object) -> bool:
    """Whether `text` is a valid base58check TRON address."""
    try:
        tron_payload(text)  # type: ignore[arg-type]  # any object: a non-string is refused inside
    except TronAddressError:
        return False
    return True


# Opcodes newer than TRON's first TVM that a TRON network turns on by governance: a
# bytecode using one the network has not enabled fails there (names: the TIP, the release).
TVM_GOVERNED_OPCODES: Final = {
    0x5C: "TLOAD (TIP-650, GreatVoyage-v4.8.0, network parameter #83)",
    0x5D: "TSTORE (TIP-650, GreatVoyage-v4.8.0, network parameter #83)",
    0x5E: "MCOPY (TIP-651, GreatVoyage-v4.8.0)",
    0x5F: "PUSH0 (TIP-543, GreatVoyage-v4.7.2)",
}
_PUSH1, _PUSH32 = 0x60, 0x7F


def governed_opcodes(code: bytes) -> list[str]:
    """The governed TVM opcodes `code` may execute: a preflight before deploying EVM
    bytecode on TRON. Push data is skipped; trailing data (metadata, immutables) can add
    a false alarm, never hide a real use."""
    found: set[int] = set()
    position = 0
    while position < len(code):
        op = code[position]
        if op in TVM_GOVERNED_OPCODES:
            found.add(op)
        position += 1 + (op - _PUSH1 + 1 if _PUSH1 <= op <= _PUSH32 else 0)
    return [TVM_GOVERNED_OPCODES[op] for op in sorted(found)]
