"""The Bitcoin balance port and its adapters: an Esplora-style HTTP JSON API
(Blockstream's and mempool.space's `GET /address/{address}` and `/blocks/tip/height`), and
a JSON file (demo, tests, an air-gapped export):
`{"height": 870000, "balances": {"bc1...": "<confirmed sats>"}}`.

Only confirmed coins count (Esplora's `chain_stats`: funded minus spent); the mempool is
not the reserve's yet. Any unreadable answer is `BitcoinUnavailable`, never a zero."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import httpx

from digisom.reserve.errors import BitcoinUnavailable

BODY_BYTES_MAX: Final = 64 * 1024
FILE_BYTES_MAX: Final = 1024 * 1024
HTTP_TIMEOUT_S: Final = 10.0
SATS_DECIMALS: Final = 8


@dataclass(frozen=True, slots=True)
class BitcoinBalance:
    address: str
    confirmed_sats: int
    height: int  # the chain height the balance was read at


class BitcoinBalances(Protocol):
    def balance(self, address: str) -> BitcoinBalance:
        """The address's confirmed balance; `BitcoinUnavailable` if it cannot be read."""
        ...


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise BitcoinUnavailable(f"{what} is not a non-negative integer")
    return int(value)


class EsploraBalances:
    """An Esplora HTTP API at `base_url` (e.g. https://blockstream.info/api)."""

    def __init__(self, base_url: str, client: httpx.Client | None = None,
                 timeout_s: float = HTTP_TIMEOUT_S) -> None:
        self._base = base_url.rstrip("/")
        self._client = client or httpx.Client()
        self._timeout_s = timeout_s

    def balance(self, address: str) -> BitcoinBalance:
        height = _count(self._get("/blocks/tip/height"), "the tip height")
        stats = self._get(f"/address/{address}")
        try:
            chain = stats["chain_stats"]
            funded, spent = chain["funded_txo_sum"], chain["spent_txo_sum"]
        except (KeyError, TypeError):
            raise BitcoinUnavailable(f"the Esplora answer for {address} has no chain_stats") from None
        confirmed = _count(funded, "funded_txo_sum") - _count(spent, "spent_txo_sum")
        if confirmed < 0:
            raise BitcoinUnavailable(f"the Esplora answer for {address} spends more than it funded")
        return BitcoinBalance(address, confirmed, height)

    def _get(self, path: str) -> Any:
        try:
            with self._client.stream("GET", self._base + path, timeout=self._timeout_s) as response:
                if response.status_code != 200:
                    raise BitcoinUnavailable(f"{path}: HTTP {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > BODY_BYTES_MAX:
                        raise BitcoinUnavailable(f"{path}: the answer is larger than {BODY_BYTES_MAX} bytes")
            return json.loads(body)
        except httpx.HTTPError as error:
            raise BitcoinUnavailable(f"{path}: {type(error).__name__}") from None
        except ValueError:
            raise BitcoinUnavailable(f"{path}: the answer is not JSON") from None


def open_source(source: str, folder: Path = Path()) -> EsploraBalances | FileBitcoinBalances:
    """An Esplora base URL (http/https), or a balances file (relative to `folder`)."""
    if source.startswith(("http://", "https://")):
        return EsploraBalances(source)
    return FileBitcoinBalances(folder / source)


class FileBitcoinBalances:
    """Balances from a JSON file, re-read on every call."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def balance(self, address: str) -> BitcoinBalance:
        try:
            with self._path.open("rb") as handle:
                document = json.loads(handle.read(FILE_BYTES_MAX + 1))
            height, balances = document["height"], document["balances"]
        except (OSError, ValueError, KeyError, TypeError):
            raise BitcoinUnavailable(f"{self._path} is not a Bitcoin balances file") from None
        if not isinstance(balances, dict) or address not in balances:
            raise BitcoinUnavailable(f"{self._path} has no balance for {address}")
        return BitcoinBalance(address, _count(balances[address], f"the balance of {address}"),
                              _count(height, "height"))
