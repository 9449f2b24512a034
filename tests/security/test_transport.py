"""Issue 13, finding 1: one unauthenticated request killed the server.

The body limit read only `Content-Length`, so a chunked body (or one whose length lied)
was read whole; FastAPI parsed an anonymous client's JSON before `Authorize` ran; and the
EVM stack had raised the recursion limit to 100,000, so JSON nested 100,000 deep
overflowed the C stack. These tests hold the fix: the bytes received are counted, the
token is checked before any body is read, JSON depth is scanned before parsing, and the
recursion limit stays the interpreter's default.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.api.app import BODY_BYTES_MAX
from digisom.api.runtime import Runtime
from digisom.kernel.json_depth import JSON_DEPTH_MAX, JsonDepthScan
from tests.api.world import World

PROBLEMS = "https://digisom.kg/problems/"
DEEP_LEVELS = 100_000
CHUNK_BYTES = 64 * 1024
STREAM_BYTES = 100 * 1024 * 1024
SERVE_START_TIMEOUT_S = 60
SOCKET_TIMEOUT_S = 10
INTERPRETER_RECURSION_LIMIT = 1000
# The public route the server must still answer after the attacks.
ALIVE_PATH = "/v1/public/aggregate"
PATH_PARAM = re.compile(r"\{[^}]+\}")


def deep_json(levels: int) -> bytes:
    """`[[[...]]]`, `levels` deep."""
    return b"[" * levels + b"]" * levels


def chunks_of(data: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    return (data[i:i + size] for i in range(0, len(data), size))


def endless(total_bytes: int = STREAM_BYTES, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """`total_bytes` of `[`, made one chunk at a time (never held whole)."""
    chunk = b"[" * size
    for _ in range(total_bytes // size):
        yield chunk


def concrete(path: str) -> str:
    """An OpenAPI path with its parameters filled in (routing matches any segment)."""
    return PATH_PARAM.sub("1", path)


def every_route(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, concrete path) of every operation of the API."""
    return [(method.upper(), concrete(path)) for path, operations in openapi["paths"].items()
            for method in operations]


# --- the JSON depth scan ------------------------------------------------------------

def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\u00e9'),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                 max_size=3),
                     max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(value=_JSON, ascii_only=st.booleans(), chunk=st.integers(min_value=1, max_value=7))
def test_the_depth_scan_measures_what_the_parser_would_nest(value: object, ascii_only: bool, chunk: int) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    depth = _depth(value)

    def within(depth_max: int) -> bool:
        scan = JsonDepthScan(depth_max)
        return all(scan.feed(part) for part in chunks_of(body, chunk))

    assert within(depth)
    assert depth == 0 or not within(depth - 1)


# --- in-process: what the app reads before it refuses --------------------------------

class Client:
    """Sends one request straight to the ASGI app and records what the app read."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self.body = iter(body)
        self.receive_calls = 0
        self.received_bytes = 0
        self.status = 0
        self.response = b""

    async def receive(self) -> dict[str, Any]:
        self.receive_calls += 1
        chunk = next(self.body, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        self.received_bytes += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.response += message.get("body", b"")

    def problem(self) -> dict[str, Any]:
        problem: dict[str, Any] = json.loads(self.response)
        return problem


def call(runtime: Runtime, method: str, path: str, headers: dict[str, str], body: Iterable[bytes]) -> Client:
    client = Client(body)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    asyncio.run(runtime.app(scope, client.receive, client.send))
    return client


# Chunked with no length, and chunked beside a length that lies (the review's request).
FRAMINGS = {"chunked": {"Transfer-Encoding": "chunked"},
            "chunked-with-lying-length": {"Transfer-Encoding": "chunked", "Content-Length": "2"}}


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_chunked_body_over_the_limit_is_refused_after_one_chunk_too_many(world: World, framing: str) -> None:
    chunk_bytes = 4096
    headers = {**FRAMINGS[framing], "Content-Type": "application/json", "Idempotency-Key": "k-1",
               "Authorization": f"Bearer {world.tokens['commercial_bank']}"}
    # Within the depth limit: it is the size that is refused.
    client = call(world.runtime, "POST", "/v1/wallets", headers, (b" " * chunk_bytes for _ in range(1000)))
    assert client.status == 413, client.response
    assert client.problem()["type"] == PROBLEMS + "payload-too-large"
    assert client.received_bytes <= BODY_BYTES_MAX + chunk_bytes


def test_a_declared_length_over_the_limit_is_refused_unread(world: World) -> None:
    headers = {"Content-Length": str(BODY_BYTES_MAX + 1), "Content-Type": "application/json",
               "Authorization": f"Bearer {world.tokens['commercial_bank']}", "Idempotency-Key": "k-1"}
    client = call(world.runtime, "POST", "/v1/wallets", headers, endless())
    assert (client.status, client.receive_calls) == (413, 0)


@pytest.mark.parametrize("framing", FRAMINGS)
def test_an_anonymous_body_is_refused_before_a_byte_is_read_on_every_route_that_needs_a_token(
        runtime: Runtime, framing: str) -> None:
    refused = []
    for method, path in every_route(runtime.app.openapi()):
        headers = {**FRAMINGS[framing], "Content-Type": "application/json"}
        client = call(runtime, method, path, headers, endless())
        if client.status == 401:
            assert client.receive_calls == 0, (method, path)
            assert client.problem()["type"] == PROBLEMS + "unauthorized"
            refused.append((method, path))
        else:  # a route anyone may call: the body is still bounded
            assert client.received_bytes <= BODY_BYTES_MAX + CHUNK_BYTES, (method, path, client.status)
            assert client.status < 500, (method, path)
    assert ("POST", "/v1/wallets") in refused and len(refused) > 40


def test_a_forged_token_is_refused_before_the_body_is_read(world: World) -> None:
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json", "Authorization": "Bearer x.y.z"}
    client = call(world.runtime, "POST", "/v1/offline/sync", headers, endless())
    assert (client.status, client.receive_calls) == (401, 0)


def test_a_role_the_route_does_not_allow_is_refused_before_the_body_is_read(world: World) -> None:
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json",
               "Authorization": f"Bearer {world.tokens['pensioner']}"}
    client = call(world.runtime, "POST", "/v1/participants", headers, endless())
    assert (client.status, client.receive_calls) == (403, 0)
    assert client.problem()["type"] == PROBLEMS + "forbidden"


@pytest.mark.parametrize("levels", [JSON_DEPTH_MAX + 1, 5_000])
def test_an_authenticated_body_nested_too_deep_gets_a_typed_problem(world: World, levels: int) -> None:
    response = world.client.post("/v1/wallets", content=deep_json(levels),
                                 headers={**world.headers("commercial_bank", "k-deep"),
                                          "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEMS + "json-too-deep"
    assert response.json()["depth_max"] == JSON_DEPTH_MAX


def test_brackets_inside_strings_do_not_count_as_nesting(world: World) -> None:
    body = json.dumps({"holder_id": "[" * 200 + '\\"{' * 50}).encode()
    response = world.client.post("/v1/wallets", content=body,
                                 headers={**world.headers("commercial_bank", "k-str"),
                                          "Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["type"] == PROBLEMS + "invalid-request"


# --- the recursion limit -------------------------------------------------------------

def test_the_recursion_limit_stays_the_interpreters_default_with_the_whole_app_and_the_chain_loaded(
        tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        from pathlib import Path
        assert sys.getrecursionlimit() == {INTERPRETER_RECURSION_LIMIT}
        import digisom.cli.main
        from digisom.api.runtime import build
        runtime = build(data_dir=Path({str(tmp_path / "data")!r}))
        paths = runtime.app.openapi()["paths"]
        assert any(p.startswith("/v1/stablecoin/") for p in paths)
        runtime.close()
        evm_before_chain = sorted(m for m in ("eth_account", "web3", "boa") if m in sys.modules)
        import digisom.chain
        for module in pkgutil.iter_modules(digisom.chain.__path__):
            importlib.import_module("digisom.chain." + module.name)
        importlib.import_module("digisom.demos.kgst")
        print(sys.getrecursionlimit(), ",".join(evm_before_chain))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    limit, evm_loaded = result.stdout.split()[0], result.stdout.strip().partition(" ")[2]
    assert int(limit) == INTERPRETER_RECURSION_LIMIT
    assert evm_loaded == ""  # the API and the CLI do not load the EVM stack at all


# --- the real server, attacked on every route -----------------------------------------

def _answered(sock: socket.socket) -> bool:
    """Whether the server has answered or closed (the socket is readable)."""
    return bool(select.select([sock], [], [], 0)[0])


def _status(sock: socket.socket) -> int | None:
    """The status of the server's answer; None if it reset the connection first."""
    try:
        line = sock.makefile("rb").readline(200)
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", line)
    return int(match.group(1)) if match else None


def send_raw(port: int, method: str, path: str, headers: dict[str, str], body: Iterable[bytes],
             chunked: bool) -> int | None:
    """Send a request over a socket, a chunk at a time, stopping as soon as the server
    answers or closes; the answer's status, if the server's close left one to read."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S) as sock:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        try:
            sock.sendall(head.encode())
            for chunk in body:
                if _answered(sock):
                    break
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection: it refused the rest of the body
        return _status(sock)


def _start_server(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    command = [str(Path(sys.executable).parent / "digisom"), "serve", "--port", "0", "--data", str(data_dir)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    match = re.search(r"(http://127\.0\.0\.1:\d+)", process.stdout.readline())
    assert match, "the server printed no URL"
    deadline = time.monotonic() + SERVE_START_TIMEOUT_S
    while True:
        try:
            httpx.get(match.group(1) + "/openapi.json", timeout=5)
            return process, match.group(1)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                pytest.fail("the server did not answer")
            time.sleep(0.2)


def test_the_server_survives_the_crash_request_on_every_route(tmp_path: Path) -> None:
    process, url = _start_server(tmp_path / "data")
    port = int(url.rsplit(":", 1)[1])
    deep = deep_json(DEEP_LEVELS)
    try:
        routes = every_route(httpx.get(url + "/openapi.json", timeout=10).json())
        statuses: dict[tuple[str, str, str], int | None] = {}
        for method, path in routes:
            for framing, headers in (*FRAMINGS.items(), ("honest-length", {"Content-Length": str(len(deep))})):
                status = send_raw(port, method, path, {**headers, "Content-Type": "application/json"},
                                  chunks_of(deep), chunked=framing != "honest-length")
                assert process.poll() is None, f"the server died on {method} {path} ({framing})"
                statuses[(method, path, framing)] = status
        # 100 MB, streamed: to a route anyone may call, a JSON route, a file route and an XML route.
        streamed = (("POST", "/v1/offline/sync", "application/json"), ("POST", "/v1/wallets", "application/json"),
                    ("POST", "/v1/disbursement/programmes/1/runs", "text/csv"),
                    ("POST", "/v1/interbank/messages", "application/xml"), ("GET", ALIVE_PATH, "application/json"))
        for method, path, media_type in streamed:
            status = send_raw(port, method, path, {**FRAMINGS["chunked-with-lying-length"], "Content-Type": media_type},
                              endless(), chunked=True)
            assert process.poll() is None, f"the server died on 100 MB to {method} {path}"
            statuses[(method, path, "100MB")] = status
        assert httpx.get(url + ALIVE_PATH, timeout=10).status_code == 200
        assert process.poll() is None
        assert all(status is None or status < 500 for status in statuses.values()), statuses
        assert statuses[("POST", "/v1/wallets", "chunked-with-lying-length")] in {401, None}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
