"""Price sources and the price book."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.usdkg import signing
from digisom.usdkg.errors import (
    BadSignature,
    FileTooLarge,
    InvalidPrice,
    MalformedFile,
    NoPrice,
    PriceSourceFailed,
    StalePrice,
)
from digisom.usdkg.prices import (
    HttpJsonPriceSource,
    LbmaPmPriceSource,
    SignedPriceFile,
    parse_lbma_pm,
    signed_price_file,
)
from tests.usdkg.world import World

AS_OF = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_a_signed_price_file_counts_only_under_a_registered_signers_key() -> None:
    desk, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    keys = {"treasury_desk": signing.public_bytes(desk)}
    data = signed_price_file(desk, "treasury_desk", 265_012, AS_OF)
    quote, evidence = SignedPriceFile(data, keys.get).read()
    assert (quote.price_cents_per_oz, quote.as_of, evidence) == (265_012, AS_OF, data)
    with pytest.raises(BadSignature):
        SignedPriceFile(signed_price_file(stranger, "treasury_desk", 265_012, AS_OF), keys.get).read()
    tampered = json.loads(data) | {"price_cents_per_oz": "999999"}
    with pytest.raises(BadSignature):
        SignedPriceFile(json.dumps(tampered).encode(), keys.get).read()
    with pytest.raises(InvalidPrice):
        SignedPriceFile(json.dumps(tampered | {"price_cents_per_oz": 2650.12}).encode(), keys.get).read()
    with pytest.raises(FileTooLarge):
        SignedPriceFile(b" " * 5000, keys.get).read()


def _client(handler: httpx.MockTransport) -> httpx.Client:
    return httpx.Client(transport=handler)


def test_the_http_source_reads_a_price_within_its_limits() -> None:
    body = json.dumps({"price_cents_per_oz": "265012", "as_of": "2026-12-07T15:00:00Z"}).encode()
    client = _client(httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    quote, evidence = HttpJsonPriceSource(client, "https://prices.example/gold").read()
    assert (quote.price_cents_per_oz, quote.as_of, evidence) == (265_012, AS_OF, body)
    big = _client(httpx.MockTransport(lambda request: httpx.Response(200, content=b"[" * 100_000)))
    with pytest.raises(PriceSourceFailed):
        HttpJsonPriceSource(big, "https://prices.example/gold").read()
    failing = _client(httpx.MockTransport(lambda request: httpx.Response(503)))
    with pytest.raises(PriceSourceFailed):
        HttpJsonPriceSource(failing, "https://prices.example/gold").read()

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(PriceSourceFailed):
        HttpJsonPriceSource(_client(httpx.MockTransport(timeout)), "https://prices.example/gold").read()
    floaty = _client(
        httpx.MockTransport(
            lambda r: httpx.Response(200, json={"price_cents_per_oz": 2650.5, "as_of": "2026-12-07T15:00:00Z"})
        )
    )
    with pytest.raises(InvalidPrice):
        HttpJsonPriceSource(floaty, "https://prices.example/gold").read()


LBMA = b'[{"d":"2026-12-04","v":[2633.35,2104.35,2526.5]},{"d":"2026-12-07","v":[2650.1,2110.0,2540.25]}]'


def test_the_lbma_pm_price_is_taken_exactly_in_cents() -> None:
    quote = parse_lbma_pm(LBMA)
    assert (quote.price_cents_per_oz, quote.as_of) == (265_010, AS_OF)
    client = _client(httpx.MockTransport(lambda request: httpx.Response(200, content=LBMA)))
    assert LbmaPmPriceSource(client, "https://prices.lbma.example/json/gold_pm.json").read()[0] == quote
    with pytest.raises(MalformedFile):
        parse_lbma_pm(b'[{"d":"2026-12-07","v":[2650.125]}]')  # a fraction of a cent
    with pytest.raises(MalformedFile):
        parse_lbma_pm(b"{}")


def test_the_book_keeps_history_and_refuses_a_stale_or_future_price(any_world: World) -> None:
    book = any_world.prices
    with pytest.raises(NoPrice):
        book.current(AS_OF)
    any_world.set_price(260_000, AS_OF - timedelta(days=1))
    any_world.set_price(265_000, AS_OF)
    assert book.current(AS_OF + timedelta(hours=23)).price_cents_per_oz == 265_000
    with pytest.raises(StalePrice):
        book.current(AS_OF + timedelta(hours=25))
    with pytest.raises(InvalidPrice):
        book.record(book.history()[0].__class__(1, AS_OF + timedelta(hours=1), "x"), b"", AS_OF)
    assert [q.price_cents_per_oz for q in book.history()] == [265_000, 260_000]
