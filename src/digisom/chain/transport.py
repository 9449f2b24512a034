"""JSON-RPC transports: web3.py's HTTP provider, and a retrying wrapper with bounded backoff.

An RPC that is down or slow is retried a bounded number of times with exponential
backoff; then `ChainUnavailable` says which method failed, how often and why. A JSON-RPC
error answer is not retried: the node did answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from web3 import HTTPProvider
from web3.exceptions import ProviderConnectionError, RequestTimedOut, Web3RPCError

from digisom.chain.errors import ChainUnavailable, RpcError

RPC_TIMEOUT_S: Final = 10.0
RETRY_ATTEMPTS: Final = 5
RETRY_DELAY_FIRST_S: Final = 0.2
RETRY_DELAY_MAX_S: Final = 5.0
# What a node that is down or slow looks like from here (requests' errors are OSErrors).
TRANSIENT_ERRORS: Final = (OSError, TimeoutError, ProviderConnectionError, RequestTimedOut)


class Transport(Protocol):
    """Sends one JSON-RPC request and returns its `result`, or raises."""

    def request(self, method: str, params: list[Any]) -> Any:
        """The result of `method(params)`; `RpcError` for an error answer."""
        ...


class Web3Transport:
    """HTTP JSON-RPC through web3.py's provider, with a per-request timeout."""

    def __init__(self, url: str, timeout_s: float = RPC_TIMEOUT_S) -> None:
        # web3's own retries are off: `RetryingTransport` is the one place that retries.
        self._provider = HTTPProvider(url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None)
        self.url = url

    def request(self, method: str, params: list[Any]) -> Any:
        """One request, no retry."""
        try:
            response = self._provider.make_request(method, params)
        except Web3RPCError as error:
            raise RpcError(str(error.message or error), code=_code(error.rpc_response)) from None
        if "error" in response:
            raise _rpc_error(response["error"])
        return response.get("result")


def _code(response: Any) -> int | None:
    error = response.get("error") if isinstance(response, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return int(code) if isinstance(code, int) else None


def _rpc_error(error: Any) -> RpcError:
    if isinstance(error, dict):
        code = error.get("code")
        return RpcError(str(error.get("message", error)), code if isinstance(code, int) else None, error.get("data"))
    return RpcError(str(error))


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded exponential backoff: `attempts` tries, delays doubling up to `delay_max_s`."""

    attempts: int = RETRY_ATTEMPTS
    delay_first_s: float = RETRY_DELAY_FIRST_S
    delay_max_s: float = RETRY_DELAY_MAX_S

    def delays_s(self) -> list[float]:
        """The waits between attempts."""
        return [min(self.delay_first_s * 2**i, self.delay_max_s) for i in range(self.attempts - 1)]


class RetryingTransport:
    """Retries transient failures of `inner` with bounded backoff; then `ChainUnavailable`."""

    def __init__(self, inner: Transport, backoff: Backoff = Backoff(),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._inner = inner
        self._backoff = backoff
        self._sleep = sleep

    def request(self, method: str, params: list[Any]) -> Any:
        """The result, after at most `backoff.attempts` tries."""
        delays = self._backoff.delays_s()
        attempt = 0
        while True:
            try:
                return self._inner.request(method, params)
            except TRANSIENT_ERRORS as error:
                if attempt >= len(delays):
                    raise ChainUnavailable(
                        f"{method}: no answer from the node after {attempt + 1} attempts "
                        f"over {sum(delays):.1f} s ({type(error).__name__}: {error})"
                    ) from None
                self._sleep(delays[attempt])
                attempt += 1
