"""`digisom invoice`: the link, the QR code, the derived address and the authorization check."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from eth_account import Account
from typer.testing import CliRunner

from digisom.cli.main import app
from digisom.merchants.addresses import InvoiceKeys
from digisom.merchants.authorization import TokenDomain, sign

TOKEN = "0x" + "11" * 20
TO = Account.from_key(b"\x01" * 32).address
runner = CliRunner()


def test_link_qr_and_address(tmp_path: Path) -> None:
    link = runner.invoke(app, ["invoice", "link", "--token", TOKEN, "--chain-id", "56", "--to", TO,
                               "--amount-units", "35000"])
    assert link.exit_code == 0 and link.stdout.strip() == f"ethereum:{TOKEN}@56/transfer?address={TO}&uint256=35000"
    out = tmp_path / "i.png"
    assert runner.invoke(app, ["invoice", "qr", link.stdout.strip(), "--out", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert runner.invoke(app, ["invoice", "qr", "bitcoin:abc", "--out", str(out)]).exit_code == 2
    secret = secrets.token_bytes(32)
    (tmp_path / "s.key").write_text(secret.hex())
    shown = runner.invoke(app, ["invoice", "address", "inv-1", "--secret-file", str(tmp_path / "s.key")])
    assert shown.exit_code == 0 and shown.stdout.strip() == InvoiceKeys(secret).address("inv-1")


def test_check_authorization_accepts_the_exact_one_and_refuses_another(tmp_path: Path) -> None:
    payer = Account.create()
    domain = TokenDomain("KGST Kyrgyz Som", 56, TOKEN)
    auth = sign(payer, domain, TO, 35000, 0, 2**40, "0x" + secrets.token_hex(32))
    path = tmp_path / "auth.json"
    path.write_text(json.dumps({"from": auth.source, "to": auth.to, "value": auth.value, "validAfter": 0,
                                "validBefore": auth.valid_before, "nonce": auth.nonce, "signature": auth.signature}))
    base = ["invoice", "check-authorization", str(path), "--token-name", "KGST Kyrgyz Som", "--chain-id", "56",
            "--token", TOKEN, "--to", TO]
    assert runner.invoke(app, [*base, "--amount-units", "35000"]).exit_code == 0
    other = runner.invoke(app, [*base[:-4], "--chain-id", "97", "--token", TOKEN, "--to", TO, "--amount-units",
                                "35000"])
    assert other.exit_code == 1 and json.loads(other.stdout)["valid"] is False
    assert runner.invoke(app, [*base, "--amount-units", "35001"]).exit_code == 1
