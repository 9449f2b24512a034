"""A throwaway anvil node for tests and benchmarks, from the npm package pinned in
package.json (`npm ci` runs when `node_modules` has no anvil yet).

`start_anvil()` picks a free loopback port, starts anvil with the given chain id and
flags, waits until it answers `eth_chainId`, and stops it when the block ends. Its
output goes to a temporary file, not a pipe: nobody reads it while it runs, and a full
pipe would stall the node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from digisom.devtools.ports import free_port
from digisom.errors import DigisomError

START_TIMEOUT_S: Final = 30.0
NPM_CI_TIMEOUT_S: Final = 300
STOP_TIMEOUT_S: Final = 10
POLL_S: Final = 0.1
LOG_TAIL_CHARS: Final = 2000
REPO_ROOT: Final = Path(__file__).resolve().parents[3]


class AnvilUnavailable(DigisomError):
    """No anvil binary could be found or installed, or it did not start."""


def anvil_binary(root: Path = REPO_ROOT) -> Path:
    """The native binary the npm package ships, or its node wrapper; runs `npm ci` if neither is there."""
    node_modules = root / "node_modules"
    if not (node_modules / ".bin" / "anvil").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise AnvilUnavailable("no anvil binary and no npm to install it")
        try:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True, capture_output=True,
                           timeout=NPM_CI_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError) as error:
            raise AnvilUnavailable(f"npm ci failed: {error}") from None
    native = sorted(node_modules.glob("@foundry-rs/anvil-*/bin/anvil"))
    if native:
        return native[0]
    wrapper = node_modules / ".bin" / "anvil"
    if not wrapper.exists():
        raise AnvilUnavailable("npm ci installed no anvil binary")
    return wrapper


def _answers(url: str) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})  # noqa: S310 - loopback http
    try:
        with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310 - loopback http
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def start_anvil(chain_id: int, flags: Sequence[str] = (), root: Path = REPO_ROOT) -> Iterator[str]:
    """Run anvil for the block; yields its URL. `AnvilUnavailable` if it cannot start."""
    binary = anvil_binary(root)
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id), *flags],
            stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _answers(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-LOG_TAIL_CHARS:]
                    raise AnvilUnavailable(f"anvil did not start: {output or 'timeout'}")
                time.sleep(POLL_S)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
