"""The signed price file: a price signed by the desk's key and fresh enough is used; a
stale one, a tampered one or one signed by another key is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.reserve.errors import PriceInvalid, PriceStale
from digisom.reserve.prices import SignedFilePrices, sign_prices

AS_OF = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LIMIT_S = 6 * 3600
BNB_TYIYN = 651_234_567  # 6,512,345.67 som per BNB


def prices(tmp_path: Path, document: dict[str, object], key: Ed25519PrivateKey, hours: float) -> SignedFilePrices:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    return SignedFilePrices(path, key.public_key(), LIMIT_S, lambda: AS_OF + timedelta(hours=hours))


def test_a_fresh_signed_price_values_a_holding_rounded_down(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    price = prices(tmp_path, sign_prices(key, AS_OF, {"BNB": BNB_TYIYN}), key, 1).price("BNB")
    assert price.tyiyn_per_coin == BNB_TYIYN
    assert price.value_tyiyn(10**18 // 2, 18) == BNB_TYIYN // 2
    assert price.value_tyiyn(1, 18) == 0


def test_stale_tampered_and_foreign_prices_are_refused(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    document = sign_prices(key, AS_OF, {"BNB": BNB_TYIYN})
    with pytest.raises(PriceStale):
        prices(tmp_path, document, key, 6.01).price("BNB")
    tampered = json.loads(json.dumps(document))
    tampered["payload"]["prices"]["BNB"] = str(BNB_TYIYN * 2)
    with pytest.raises(PriceInvalid, match="not signed"):
        prices(tmp_path, tampered, key, 1).price("BNB")
    with pytest.raises(PriceInvalid, match="not signed"):
        prices(tmp_path, document, Ed25519PrivateKey.generate(), 1).price("BNB")
    with pytest.raises(PriceInvalid):
        prices(tmp_path, document, key, 1).price("KGST")
