"""`digisom token issue` and `digisom serve`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from digisom.api.signing_key import load_or_create_key
from digisom.cli.main import app
from digisom.http.auth import TokenVerifier
from digisom.kernel.access import Role

SERVE_START_TIMEOUT_S = 60


def test_token_issue_prints_a_token_the_server_accepts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["token", "issue", "--role", "bank_operator", "--subject", "ayil-teller", "--bank", "AYIL",
              "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    actor = TokenVerifier(load_or_create_key(tmp_path).public_key()).actor(result.output.strip())
    assert (actor.role, actor.subject, actor.bank_code) == (Role.BANK_OPERATOR, "ayil-teller", "AYIL")
    assert (tmp_path / "api-signing-key.pem").stat().st_mode & 0o077 == 0


def test_token_issue_refuses_a_bank_role_without_a_bank(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["token", "issue", "--role", "wallet_holder", "--subject", "x",
                                      "--data", str(tmp_path)])
    assert result.exit_code == 2


def test_serve_prints_its_url_and_serves_the_api(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "digisom"), "serve", "--port", "0", "--data", str(tmp_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        deadline = time.monotonic() + SERVE_START_TIMEOUT_S
        while True:
            try:
                response = httpx.get(match.group(1) + "/openapi.json", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("the server did not answer")
                time.sleep(0.2)
        assert response.status_code == 200 and "/v1/wallets" in response.json()["paths"]
        assert httpx.get(match.group(1) + "/v1/public/aggregate", timeout=5).json()["circulation_tyiyn"] == "0"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
