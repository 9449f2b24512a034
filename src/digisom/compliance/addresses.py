"""Crypto addresses matched exactly, and one-hop exposure to a listed address.

An address is compared by a key: EVM addresses (`0x` + 40 hex) and bech32 ones
(`bc1`, `ltc1`, `tb1`: BIP 173 allows one case only) in lower case, since their case
carries no identity (EIP-55 case is a checksum); every other form (TRON and Bitcoin
base58, XRP...) is case-sensitive and kept as written, whitespace aside. No checksum is
verified here: a list may hold an address we cannot validate, and it must still match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from digisom.compliance.model import Decision

ADDRESS_CHARS_MAX: Final = 128  # longer than any chain's address form
_EVM_RE: Final = re.compile(r"0[xX][0-9a-fA-F]{40}")
_BECH32_PREFIXES: Final = ("bc1", "tb1", "ltc1", "bcrt1")


def normalize_address(address: str) -> str:
    """The key `address` is compared by (see the module docstring)."""
    stripped = address.strip()
    if _EVM_RE.fullmatch(stripped) or stripped.lower().startswith(_BECH32_PREFIXES):
        return stripped.lower()
    return stripped


@dataclass(frozen=True, slots=True)
class Exposure:
    """The one-hop finding for a sender: the listed addresses it received from in the window."""

    decision: Decision
    listed_sources: tuple[str, ...]


def one_hop_exposure(sender: str, window: Iterable[tuple[str, str]], listed: Mapping[str, object]) -> Exposure:
    """Whether an inbound transfer's `sender` is listed (`hit`) or received from a listed
    address in the follower's `window` of (from, to) transfers (`review`); `listed` is
    keyed by `normalize_address` keys. Pure: the caller brings the window."""
    sender_key = normalize_address(sender)
    if sender_key in listed:
        return Exposure(Decision.HIT, (sender_key,))
    sources = sorted({
        source_key
        for source, to in window
        if normalize_address(to) == sender_key and (source_key := normalize_address(source)) in listed
    })
    return Exposure(Decision.REVIEW if sources else Decision.CLEAR, tuple(sources))
