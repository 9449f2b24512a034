"""The price port and its signed-file adapter: the som value of reserve assets.

A price file is JSON `{"payload": {"as_of": ISO-8601 UTC, "prices": {"BNB": "<tyiyn per
whole coin>", ...}}, "signature": "<hex Ed25519 over the payload's canonical JSON>"}`.
`SignedFilePrices` refuses a file not signed by the configured key (`PriceInvalid`) and a
price older than the staleness limit (`PriceStale`). Values are integers: a holding's value
is rounded down to the tyiyn (the reserve never shows more than it has)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from digisom.kernel.canonical_json import canonical_json
from digisom.reserve.errors import PriceInvalid, PriceStale

PRICE_FILE_BYTES_MAX: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Price:
    asset: str
    tyiyn_per_coin: int
    as_of: datetime

    def value_tyiyn(self, units: int, decimals: int) -> int:
        """The som value (tyiyn) of `units` smallest units, rounded down."""
        return units * self.tyiyn_per_coin // int(10**decimals)


class Prices(Protocol):
    def price(self, asset: str) -> Price:
        """The asset's current price; `PriceStale` or `PriceInvalid` if there is none to trust."""
        ...


def canonical(payload: Mapping[str, Any]) -> bytes:
    return canonical_json(payload, ascii_only=True).encode()


def sign_prices(key: Ed25519PrivateKey, as_of: datetime, prices: Mapping[str, int]) -> dict[str, Any]:
    """A signed price document (the price desk's side)."""
    payload = {"as_of": as_of.astimezone(UTC).isoformat().replace("+00:00", "Z"),
               "prices": {asset: str(tyiyn) for asset, tyiyn in prices.items()}}
    return {"payload": payload, "signature": key.sign(canonical(payload)).hex()}


class SignedFilePrices:
    """`Prices` from a signed file, re-read on every call (the desk replaces it atomically)."""

    def __init__(self, path: Path, public_key: Ed25519PublicKey, staleness_limit_s: int,
                 now: Callable[[], datetime]) -> None:
        self._path = path
        self._key = public_key
        self._limit_s = staleness_limit_s
        self._now = now

    def price(self, asset: str) -> Price:
        payload = self._verified()
        try:
            as_of = datetime.fromisoformat(str(payload["as_of"]).replace("Z", "+00:00"))
            text = payload["prices"][asset]
        except (KeyError, TypeError, ValueError):
            raise PriceInvalid(f"the price file has no valid price or date for {asset}") from None
        if as_of.tzinfo is None or not (isinstance(text, str) and text.isascii() and text.isdigit()):
            raise PriceInvalid(f"the price of {asset} must be a string of tyiyn with a UTC date")
        age_s = (self._now() - as_of).total_seconds()
        if age_s > self._limit_s:
            raise PriceStale(f"the price of {asset} is {int(age_s)} s old; the limit is {self._limit_s} s")
        return Price(asset, int(text), as_of)

    def _verified(self) -> dict[str, Any]:
        try:
            with self._path.open("rb") as handle:
                document = json.loads(handle.read(PRICE_FILE_BYTES_MAX + 1))
            payload, signature = document["payload"], bytes.fromhex(document["signature"])
            self._key.verify(signature, canonical(payload))
        except (OSError, ValueError, KeyError, TypeError):
            raise PriceInvalid(f"{self._path} is not a signed price file") from None
        except InvalidSignature:
            raise PriceInvalid(f"{self._path} is not signed by the price key") from None
        if not isinstance(payload, dict):
            raise PriceInvalid(f"{self._path}'s payload is not an object")
        return payload
