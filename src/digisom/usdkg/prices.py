"""Gold prices: the `PriceSource` port and its adapters.

- `SignedPriceFile`: a JSON file an operator uploads, signed (Ed25519) by a registered
  price signer;
- `HttpJsonPriceSource`: an HTTP endpoint answering `{"price_cents_per_oz", "as_of"}`,
  read with a timeout and a size limit;
- `LbmaPmPriceSource`: the LBMA Gold Price PM as LBMA publishes it (a JSON list of
  `{"d": "YYYY-MM-DD", "v": [USD, GBP, EUR]}`), the newest day taken.

Every adapter returns a `PriceQuote` in integer US cents per troy ounce; a price with a
fraction of a cent is refused, never rounded. Each quote carries the bytes it came from
(`evidence`), so the price book can keep their digest."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol

import httpx

from digisom.usdkg import signing, units
from digisom.usdkg.errors import BadSignature, FileTooLarge, InvalidPrice, MalformedFile, PriceSourceFailed
from digisom.usdkg.model import PriceQuote

PRICE_FILE_BYTES_MAX: Final = 4 * 1024  # one price and a signature
HTTP_BODY_BYTES_MAX: Final = 64 * 1024
LBMA_BODY_BYTES_MAX: Final = 4 * 1024 * 1024  # LBMA's full history since 1968 is about 1.5 MB
HTTP_TIMEOUT_S: Final = 10.0
# The LBMA PM price is set at 15:00 London; taken as 15:00 UTC (an hour early in summer
# time, which only makes it look older, never fresher).
LBMA_PM_FIXING: Final = time(15, 0, tzinfo=UTC)
CENTS_PLACES: Final = 2


class PriceSource(Protocol):
    """Where a gold price comes from."""

    def read(self) -> tuple[PriceQuote, bytes]:
        """The newest price and the bytes it was read from."""
        ...


def _cents(value: object) -> int:
    """A price in cents from an integer or a decimal string of cents; refused otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPrice("the price must be an integer number of cents per ounce")
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        raise InvalidPrice(f"the price must be a positive integer number of cents per ounce: {text!r}")
    return int(text)


def _moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidPrice("as_of must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidPrice(f"as_of is not an ISO 8601 time: {value!r}") from error
    if moment.tzinfo is None:
        raise InvalidPrice("as_of must name its time zone (e.g. a Z)")
    return moment.astimezone(UTC)


def _json(data: bytes, limit: int) -> Any:
    if len(data) > limit:
        raise FileTooLarge(f"the price document is {len(data)} bytes; the limit is {limit}")
    try:
        return json.loads(data, parse_float=Decimal)  # never a float
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedFile("the price document is not JSON") from error


def price_body(price_cents_per_oz: int, as_of: datetime) -> dict[str, str]:
    """What a price signer signs."""
    return {"price_cents_per_oz": str(price_cents_per_oz), "as_of": as_of.astimezone(UTC).isoformat()}


def signed_price_file(private_key: Any, signer: str, price_cents_per_oz: int, as_of: datetime) -> bytes:
    """A signed price file (what the operator's signing tool writes; tests and demos use it)."""
    body = price_body(price_cents_per_oz, as_of)
    signature = signing.sign(private_key, signing.PRICE_TAG, body)
    return json.dumps(body | {"signer": signer, "signature": signature.hex()}).encode()


@dataclass(frozen=True, slots=True)
class SignedPriceFile:
    """A price file an operator uploads; `key_of(name)` gives a registered price signer's
    key (None for a name that is not one)."""

    data: bytes
    key_of: Callable[[str], bytes | None]

    def read(self) -> tuple[PriceQuote, bytes]:
        """The price, once its signature verifies under the named signer's registered key."""
        document = _json(self.data, PRICE_FILE_BYTES_MAX)
        if not isinstance(document, dict) or set(document) != {"price_cents_per_oz", "as_of", "signer", "signature"}:
            raise MalformedFile("a price file has price_cents_per_oz, as_of, signer and signature")
        price, as_of = _cents(document["price_cents_per_oz"]), _moment(document["as_of"])
        signer, signature_hex = document["signer"], document["signature"]
        key = self.key_of(signer) if isinstance(signer, str) else None
        try:
            signature = bytes.fromhex(signature_hex) if isinstance(signature_hex, str) else b""
        except ValueError:
            signature = b""
        if key is None or not signing.verifies(key, signature, signing.PRICE_TAG, price_body(price, as_of)):
            raise BadSignature("the price file is not signed by a registered price signer")
        return PriceQuote(price, as_of, f"file:{signer}"), self.data


def _get_limited(client: httpx.Client, url: str, limit: int, timeout_s: float) -> bytes:
    """The body at `url`, refused past `limit` bytes (read in pieces, never all at once)."""
    try:
        with client.stream("GET", url, timeout=timeout_s) as response:
            if response.status_code != httpx.codes.OK:
                raise PriceSourceFailed(f"the price source answered HTTP {response.status_code}")
            body = bytearray()
            for piece in response.iter_bytes():
                body.extend(piece)
                if len(body) > limit:
                    raise PriceSourceFailed(f"the price source sent more than {limit} bytes")
            return bytes(body)
    except httpx.HTTPError as error:
        raise PriceSourceFailed(f"the price source could not be read: {type(error).__name__}") from error


@dataclass(frozen=True, slots=True)
class HttpJsonPriceSource:
    """An HTTP endpoint answering `{"price_cents_per_oz": 265012, "as_of": "2026-12-07T15:00:00Z"}`."""

    client: httpx.Client
    url: str
    timeout_s: float = HTTP_TIMEOUT_S
    body_bytes_max: int = HTTP_BODY_BYTES_MAX

    def read(self) -> tuple[PriceQuote, bytes]:
        """The endpoint's price."""
        body = _get_limited(self.client, self.url, self.body_bytes_max, self.timeout_s)
        document = _json(body, self.body_bytes_max)
        if not isinstance(document, dict) or not {"price_cents_per_oz", "as_of"} <= set(document):
            raise MalformedFile("the price endpoint must answer price_cents_per_oz and as_of")
        return PriceQuote(_cents(document["price_cents_per_oz"]), _moment(document["as_of"]), "http"), body


def parse_lbma_pm(data: bytes) -> PriceQuote:
    """The newest USD price of an LBMA Gold Price PM document."""
    document = _json(data, LBMA_BODY_BYTES_MAX)
    if not isinstance(document, list) or not document:
        raise MalformedFile("an LBMA price document is a non-empty list of days")
    try:
        newest = max(document, key=lambda day: str(day["d"]))
        day = date.fromisoformat(str(newest["d"]))
        usd = Decimal(str(newest["v"][0]))
        cents = units.parse_decimal(format(usd, "f"), CENTS_PLACES)
    except (KeyError, IndexError, TypeError, ValueError, InvalidOperation) as error:
        raise MalformedFile(f"not an LBMA price document: {error}") from error
    if cents <= 0:
        raise InvalidPrice("the LBMA USD price must be positive")
    return PriceQuote(cents, datetime.combine(day, LBMA_PM_FIXING), "lbma-pm")


@dataclass(frozen=True, slots=True)
class LbmaPmPriceSource:
    """The LBMA PM price, from the LBMA's JSON at `url`."""

    client: httpx.Client
    url: str
    timeout_s: float = HTTP_TIMEOUT_S

    def read(self) -> tuple[PriceQuote, bytes]:
        """The newest day's USD price."""
        body = _get_limited(self.client, self.url, LBMA_BODY_BYTES_MAX, self.timeout_s)
        return parse_lbma_pm(body), body
