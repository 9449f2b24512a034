"""An RPC that is down or slow: retried with bounded backoff, then a clear error."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests

from digisom.chain.errors import ChainUnavailable, RpcError, TransactionReverted
from digisom.chain.rpc import RpcChain
from digisom.chain.transport import Backoff, RetryingTransport, Web3Transport


class FlakyTransport:
    """Fails `failures` times with `error`, then answers."""

    def __init__(self, failures: int, error: Exception, answer: Any = "0x38") -> None:
        self.failures = failures
        self.error = error
        self.answer = answer
        self.calls = 0

    def request(self, method: str, params: list[Any]) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.answer


class RevertingTransport:
    def request(self, method: str, params: list[Any]) -> Any:
        message = b"KGST: paused".hex().ljust(64, "0")
        data = "0x08c379a0" + "20".rjust(64, "0") + "0c".rjust(64, "0") + message
        raise RpcError("execution reverted: KGST: paused", code=3, data=data)


def test_a_node_that_comes_back_is_retried() -> None:
    delays: list[float] = []
    flaky = FlakyTransport(2, requests.exceptions.ConnectionError("connection refused"))
    chain = RpcChain(RetryingTransport(flaky, Backoff(attempts=4), sleep=delays.append))
    assert chain.chain_id() == 56
    assert flaky.calls == 3
    assert delays == [0.2, 0.4]


DOWN_OR_SLOW = [requests.exceptions.ConnectionError("refused"), requests.exceptions.ReadTimeout("slow"),
                TimeoutError("slow")]


@pytest.mark.parametrize("error", DOWN_OR_SLOW)
def test_a_node_that_stays_down_is_reported_after_bounded_retries(error: Exception) -> None:
    delays: list[float] = []
    flaky = FlakyTransport(100, error)
    chain = RpcChain(RetryingTransport(flaky, Backoff(attempts=5, delay_first_s=1.0, delay_max_s=3.0),
                                       sleep=delays.append))
    with pytest.raises(ChainUnavailable, match=r"eth_blockNumber: no answer from the node after 5 attempts"):
        chain.block_number()
    assert flaky.calls == 5
    assert delays == [1.0, 2.0, 3.0, 3.0]


def test_an_error_answer_is_not_retried_and_a_revert_is_typed() -> None:
    chain = RpcChain(RetryingTransport(RevertingTransport(), sleep=lambda _s: None))
    with pytest.raises(TransactionReverted, match="KGST: paused"):
        chain.call("0x" + "11" * 20, b"")


def test_a_real_http_transport_to_a_closed_port_is_reported() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chain = RpcChain(RetryingTransport(Web3Transport(f"http://127.0.0.1:{port}", timeout_s=1),
                                       Backoff(attempts=2, delay_first_s=0.0), sleep=lambda _s: None))
    with pytest.raises(ChainUnavailable, match="eth_chainId: no answer from the node after 2 attempts"):
        chain.chain_id()
