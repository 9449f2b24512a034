"""`digisom register verify`: exit 0 on the exported log, 1 naming a tampered event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from digisom.cli.register import register_app
from digisom.registry import chain
from digisom.registry.assets import AssetRegister, AssetStatus
from digisom.registry.known_assets import kgst_application


def test_verify_passes_then_names_the_tampered_event(assets: AssetRegister, key: Ed25519PrivateKey,
                                                      tmp_path: Path) -> None:
    assets.ensure_registered(kgst_application(56, "0x" + "12" * 20, 2, "ab" * 32, "L-1"), "registrar:-:a", "ok")
    assets.transition("KGST", AssetStatus.SUSPENDED, "audit late", "registrar:-:a")
    export = {"public_key": chain.public_key_hex(key), "events": [e.as_json() for e in assets.log.everything()]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    runner = CliRunner()
    assert runner.invoke(register_app, ["verify", str(path), "--key", chain.public_key_hex(key)]).exit_code == 0
    export["events"][-1]["body"]["reason"] = "nothing"  # type: ignore[index]
    path.write_text(json.dumps(export))
    result = runner.invoke(register_app, ["verify", str(path), "--key", chain.public_key_hex(key)])
    assert result.exit_code == 1
    assert f"event seq {len(export['events'])} " in result.output


@pytest.mark.parametrize("content", [b"not json", b"\xff\xfe", b"[1, 2]", b"[" * 5000])
def test_verify_names_a_file_that_is_not_an_export(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(content)
    result = CliRunner().invoke(register_app, ["verify", str(path), "--key", "00" * 32])
    assert result.exit_code == 2, result.output  # a crash would exit 1 with a traceback
    assert "export" in result.output
