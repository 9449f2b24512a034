"""`digisom chain deploy kgst`: one JSON line on a real node; without a key it refuses to start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digisom.chain.rpc import RpcChain
from digisom.cli.chain import chain_app
from tests.stablecoin.world import role_key


@pytest.mark.anvil
def test_deploy_prints_address_and_chain_id(anvil_node: str, anvil_chain: RpcChain, tmp_path: Path) -> None:
    key_file = tmp_path / "issuer.key"
    key_file.write_text(role_key("owner").key.hex() + "\n")
    result = CliRunner().invoke(chain_app, ["deploy", "kgst", "--rpc", anvil_node, "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip())
    assert line["chain_id"] == 56
    assert anvil_chain.request("eth_getCode", [line["address"], "latest"]) not in ("0x", None)


def test_deploy_refuses_to_start_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGISOM_CHAIN_KEY", raising=False)
    result = CliRunner().invoke(chain_app, ["deploy", "kgst", "--rpc", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "no signing key" in result.stderr
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    result = CliRunner().invoke(chain_app, ["deploy", "kgst", "--rpc", "http://127.0.0.1:9", "--key-file", str(bad)])
    assert result.exit_code == 2
    assert "does not hold a hex private key" in result.stderr
