"""Bitcoin holdings, watch-only: output descriptors (BIP-380) naming each address.

The reserve's policy lists each Bitcoin address as `addr(ADDRESS)#CHECKSUM`. Nothing here
holds a Bitcoin key: the platform only watches. The checksum (BIP-380's polymod over the
descriptor's characters) catches a mistyped descriptor, and the address itself is checked:
bech32 (segwit v0) or bech32m (v1+, taproot) with its own checksum (BIP-173/350), or
base58check (P2PKH, P2SH). Control of a Bitcoin address is NOT proven by this platform: a
BIP-322 signed message would need the keys, which stay with the custodians offline
(docs/reserve.md says so).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from digisom.reserve.errors import DescriptorInvalid

_INPUT_CHARSET: Final = ("0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyz"
                         'ABCDEFGH`#"\\ ')
_CHECKSUM_CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_DESCRIPTOR_GENERATOR: Final = (0xF5DEE51989, 0xA9FDCA3312, 0x1BAB10E32D, 0x3706B1677A, 0x644D626FFD)
_BECH32_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST: Final = 1
_BECH32M_CONST: Final = 0x2BC830A3
_BASE58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Version bytes of base58 addresses: mainnet P2PKH, P2SH; testnet/regtest P2PKH, P2SH.
_BASE58_VERSIONS: Final = {0x00: "main", 0x05: "main", 0x6F: "test", 0xC4: "test"}
_HRPS: Final = {"bc": "main", "tb": "test", "bcrt": "test"}
_DESCRIPTOR: Final = re.compile(r"addr\(([^()#]{14,90})\)#([a-z0-9]{8})")
DESCRIPTOR_CHARS_MAX: Final = 120


@dataclass(frozen=True, slots=True)
class WatchOnly:
    """One watched Bitcoin address and the descriptor it came from."""

    descriptor: str
    address: str
    network: str  # "main" or "test"


def _bch_polymod(values: list[int], generators: Sequence[int], width_bits: int) -> int:
    """The BCH checksum residue both checksums use (BIP-173 for addresses, BIP-380 for
    descriptors): `width_bits` wide before each 5-bit shift, reduced by `generators`."""
    mask = (1 << width_bits) - 1
    check = 1
    for value in values:
        top = check >> width_bits
        check = (check & mask) << 5 ^ value
        for i, generator in enumerate(generators):
            if (top >> i) & 1:
                check ^= generator
    return check


def _descriptor_expand(text: str) -> list[int]:
    symbols: list[int] = []
    groups: list[int] = []
    for char in text:
        position = _INPUT_CHARSET.find(char)
        if position < 0:
            raise DescriptorInvalid(f"descriptor character {char!r} is not allowed")
        symbols.append(position & 31)
        groups.append(position >> 5)
        if len(groups) == 3:
            symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
            groups = []
    if len(groups) == 1:
        symbols.append(groups[0])
    elif len(groups) == 2:
        symbols.append(groups[0] * 3 + groups[1])
    return symbols


def descriptor_checksum(body: str) -> str:
    """BIP-380's 8-character checksum of a descriptor without its `#...`."""
    check = _bch_polymod([*_descriptor_expand(body), 0, 0, 0, 0, 0, 0, 0, 0], _DESCRIPTOR_GENERATOR, 35) ^ 1
    return "".join(_CHECKSUM_CHARSET[(check >> (5 * (7 - i))) & 31] for i in range(8))


def watch_only(descriptor: object) -> WatchOnly:
    """The address an `addr(...)#checksum` descriptor watches; `DescriptorInvalid` naming why not."""
    if not isinstance(descriptor, str) or len(descriptor) > DESCRIPTOR_CHARS_MAX:
        raise DescriptorInvalid(f"a descriptor is text of at most {DESCRIPTOR_CHARS_MAX} characters")
    found = _DESCRIPTOR.fullmatch(descriptor)
    if found is None:
        raise DescriptorInvalid("a watch-only descriptor is addr(ADDRESS)#CHECKSUM (8 characters)")
    body = descriptor.split("#", 1)[0]
    if descriptor_checksum(body) != found.group(2):
        raise DescriptorInvalid(f"descriptor checksum {found.group(2)} is wrong for {body}")
    address = found.group(1)
    return WatchOnly(descriptor, address, address_network(address))


def address_network(address: str) -> str:
    """"main" or "test" for a valid Bitcoin address; `DescriptorInvalid` otherwise."""
    hrp = address.lower().rsplit("1", 1)[0] if "1" in address else ""
    if hrp in _HRPS:
        _check_segwit(address, hrp)
        return _HRPS[hrp]
    return _check_base58(address)


def canonical_address(address: str) -> str:
    """One spelling per address: bech32 is case-blind (lower case), base58 is not (as is)."""
    hrp = address.lower().rsplit("1", 1)[0] if "1" in address else ""
    return address.lower() if hrp in _HRPS else address


def _check_segwit(address: str, hrp: str) -> None:
    if address not in (address.lower(), address.upper()):
        raise DescriptorInvalid(f"{address} mixes upper and lower case")
    data_part = address.lower()[len(hrp) + 1:]
    if not 6 < len(data_part) <= 90 or any(c not in _CHECKSUM_CHARSET for c in data_part):
        raise DescriptorInvalid(f"{address} is not bech32")
    data = [_CHECKSUM_CHARSET.find(c) for c in data_part]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    constant = _bch_polymod(expanded + data, _BECH32_GENERATOR, 25)
    version = data[0]
    if constant != (_BECH32_CONST if version == 0 else _BECH32M_CONST):
        raise DescriptorInvalid(f"{address}'s bech32 checksum is wrong")
    program = _regroup(data[1:-6])
    if version > 16 or program is None or not 2 <= len(program) <= 40 \
            or (version == 0 and len(program) not in (20, 32)):
        raise DescriptorInvalid(f"{address} is not a segwit program")


def _regroup(five_bit: list[int]) -> list[int] | None:
    """5-bit groups to bytes (BIP-173); None if the padding is not zero bits."""
    accumulator, bits, out = 0, 0, []
    for value in five_bit:
        accumulator = (accumulator << 5) | value
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or (accumulator << (8 - bits)) & 0xFF:
        return None
    return out


def _check_base58(address: str) -> str:
    number = 0
    for char in address:
        digit = _BASE58.find(char)
        if digit < 0:
            raise DescriptorInvalid(f"{address} is neither bech32 nor base58")
        number = number * 58 + digit
    raw = b"\x00" * (len(address) - len(address.lstrip("1"))) + number.to_bytes((number.bit_length() + 7) // 8, "big")
    payload, check = raw[:-4], raw[-4:]
    if len(raw) != 25 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        raise DescriptorInvalid(f"{address}'s base58check checksum is wrong")
    network = _BASE58_VERSIONS.get(payload[0])
    if network is None:
        raise DescriptorInvalid(f"{address} is not a P2PKH or P2SH address")
    return network
