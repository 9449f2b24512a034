"""Ledger ids derived from names: the same parts always give the same 128-bit id, so a
retried operation names the same accounts and transfers and the ledger answers `exists`.

Two byte framings exist, and both stay: an id is stored in the ledger and in the
domains' tables, so changing how one is derived would orphan every existing account
and transfer named that way.

- `joined_id`: the parts joined by U+001F (the ASCII unit separator). The digital som
  and the RTGS derive their ids this way. It is unambiguous only while no part holds
  U+001F, which their parts (codes, bank codes, hex ids, keys of a restricted
  alphabet) never do.
- `framed_id`: each part behind its length (4 bytes, big-endian), so ("ab", "c") and
  ("a", "bc") always differ, and parts may be raw bytes. Offline and the KGST bridge
  use it. New derivations should use this one.

For the same parts the two hash different bytes (the framed input is always longer:
4 bytes per part against 1 per separator), so neither can stand in for the other.
Disbursements and taxes hash with a BLAKE2b key instead of a personalisation, a third
derivation that stays for the same reason; they share `ledger_id`. Each domain passes
its own `person` (BLAKE2b personalisation, at most 16 bytes), so two domains never
derive one id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from digisom.ledger.model import U128_MAX

ID_BYTES: Final = 16  # a ledger id is a u128
_SEPARATOR: Final = "\x1f"
_LENGTH_BYTES: Final = 4


def ledger_id(digest: bytes) -> int:
    """A ledger id from a 16-byte digest. The ledger reserves 0 and 2^128-1; a digest
    that is one of them (a chance of 2^-127) becomes 1."""
    value = int.from_bytes(digest, "big")
    return value if 0 < value < U128_MAX else 1


def joined_id(person: bytes, parts: Iterable[str]) -> int:
    """The id of `parts` joined by U+001F, personalised with `person` (the first framing)."""
    return ledger_id(hashlib.blake2b(_SEPARATOR.join(parts).encode(), digest_size=ID_BYTES, person=person).digest())


def framed_id(person: bytes, parts: Iterable[bytes | str | int]) -> int:
    """The id of `parts`, each behind its length, personalised with `person` (the second
    framing). A str or int part is taken as its UTF-8 text."""
    hasher = hashlib.blake2b(digest_size=ID_BYTES, person=person)
    for part in parts:
        raw = part if isinstance(part, bytes) else str(part).encode()
        hasher.update(len(raw).to_bytes(_LENGTH_BYTES, "big") + raw)
    return ledger_id(hasher.digest())
