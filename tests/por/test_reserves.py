"""Reserves: each address proves its key with an EIP-191 challenge; the check re-reads the
balances at the attested block on the in-process EVM (KGST's BEP-20 contract) and names a
shortfall, a bad signature or a balance that differs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from typer.testing import CliRunner

from digisom.api.por_chain import ChainHolderBalances
from digisom.chain.contracts import kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.token import TokenMetadata, TokenRoles, deploy_token
from digisom.chain.transactor import Transactor
from digisom.cli import por as por_cli
from digisom.cli.main import app
from digisom.por.reserves import ReservesInvalid, challenge, check_reserves, parse_reserves, sign_challenge
from tests.por.helpers import built

KEYS = [Account.from_key(bytes([k]) * 32) for k in (7, 8)]
DEPLOYER = Account.from_key(bytes([9]) * 32)


class Kgst:
    def __init__(self) -> None:
        self.artifact = kgst_artifact()
        self.chain = EmbeddedChain(56)
        self.chain.fund(DEPLOYER.address, 10**21)
        self.tx = Transactor(self.chain, DEPLOYER)
        self.token = deploy_token(self.tx, self.artifact, TokenMetadata("KGST", "KGST", 2),
                                  TokenRoles.all_to(DEPLOYER.address)).address
        self._call("configureMinter", DEPLOYER.address, 10**30)

    def _call(self, name: str, *args: Any) -> None:
        signed = self.tx.send(self.token, self.artifact.abi.fn(name).encode(*args))
        self.tx.wait(signed.tx_hash, 1)

    def mint(self, to: str, units: int) -> int:
        self._call("mint", to, units)
        return self.chain.block_number()

    def reader(self) -> ChainHolderBalances:
        return ChainHolderBalances(self.chain, self.artifact.abi)


@pytest.fixture(scope="module")
def kgst() -> Kgst:
    return Kgst()


@pytest.fixture
def tree() -> Iterator[dict[str, Any]]:
    with built({"alice": 600, "bob": 400}) as (_, root):
        yield root


def attestation(root: dict[str, Any], kgst: Kgst, block: int, balances: list[int],
                signers: list[Any] | None = None) -> dict[str, Any]:
    return {"custodian": "vasp-ala-too", "asset": "KGST", "date": "2026-12-07", "root": root["root"], "chain_id": 56,
            "token": kgst.token, "block": block,
            "addresses": [{"address": key.address, "balance": units, "signature": sign_challenge(
                signer.key, challenge("vasp-ala-too", "KGST", "2026-12-07", root["root"], key.address))}
                for key, signer, units in zip(KEYS, signers or KEYS, balances, strict=True)]}


def test_covered_reserves_hold_and_a_later_mint_does_not_count(kgst: Kgst, tree: dict[str, Any]) -> None:
    kgst.mint(KEYS[0].address, 700)
    block = kgst.mint(KEYS[1].address, 300)
    verdict = check_reserves(parse_reserves(attestation(tree, kgst, block, [700, 300])), tree, kgst.reader())
    assert verdict.holds, verdict.problems
    assert (verdict.reserves_units, verdict.liabilities_units) == (1000, 1000)
    kgst.mint(KEYS[1].address, 5)  # after the block: the check still reads the block's balances
    assert check_reserves(parse_reserves(attestation(tree, kgst, block, [700, 300])), tree, kgst.reader()).holds


def test_shortfall_and_bad_signature_and_wrong_balance_are_named(kgst: Kgst, tree: dict[str, Any]) -> None:
    block = kgst.chain.block_number()
    balances = kgst.reader().balances_at(kgst.token, [k.address for k in KEYS], block)
    held = [balances[k.address] for k in KEYS]
    # The second address's challenge signed by the first key: it proves nothing, so its coins do not count.
    forged = check_reserves(parse_reserves(attestation(tree, kgst, block, held, [KEYS[0], KEYS[0]])), tree,
                            kgst.reader())
    assert not forged.holds
    assert f"bad signature for {KEYS[1].address}" in forged.problems[0]
    assert forged.reserves_units == held[0]
    inflated = check_reserves(parse_reserves(attestation(tree, kgst, block, [held[0] + 1, held[1]])), tree,
                              kgst.reader())
    assert f"{KEYS[0].address} holds {held[0]} at block {block}" in inflated.problems[0]
    with built({"alice": 10**6}) as (_, big_root):
        short = check_reserves(parse_reserves(attestation(big_root, kgst, block, held)), big_root, kgst.reader())
    assert short.problems == [
        f"shortfall of {10**6 - sum(held)} KGST units: reserves {sum(held)} < liabilities {10**6}"]
    other = check_reserves(parse_reserves(attestation(tree, kgst, block, held)), {**tree, "root": "00" * 32},
                           kgst.reader())
    assert "reserves attest another root than the published one" in other.problems


def test_malformed_attestations_are_refused(kgst: Kgst, tree: dict[str, Any]) -> None:
    good = attestation(tree, kgst, 1, [0, 0])
    for change in ({"date": "07.12.2026"}, {"block": -1}, {"asset": "kgst"}, {"extra": 1},
                   {"addresses": [good["addresses"][0], good["addresses"][0]]},
                   {"addresses": [{**good["addresses"][0], "balance": 1.5}]}):
        with pytest.raises(ReservesInvalid):
            parse_reserves({**good, **change})
    with pytest.raises(ReservesInvalid, match="past the chain's head"):
        kgst.reader().balances_at(kgst.token, [KEYS[0].address], 10**6)


def test_check_command_exits_1_naming_the_shortfall(kgst: Kgst, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(por_cli, "_holder_balances", lambda rpc, from_block: kgst.reader())
    csv = tmp_path / "b.csv"
    csv.write_text("customer_id,balance\nalice,1\nbob,2\n")
    runner = CliRunner()
    assert runner.invoke(app, ["por", "build", "--csv", str(csv), "--asset", "KGST", "--out",
                               str(tmp_path / "t")]).exit_code == 0
    root = json.loads((tmp_path / "t" / "root.json").read_text())
    block = kgst.chain.block_number()
    held = kgst.reader().balances_at(kgst.token, [k.address for k in KEYS], block)
    (tmp_path / "reserves.json").write_text(json.dumps(attestation(root, kgst, block, [held[k.address] for k in KEYS])))
    ok = runner.invoke(app, ["por", "check", "--out", str(tmp_path / "t"), "--reserves",
                             str(tmp_path / "reserves.json"), "--rpc", "unused"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["holds"] is True
    with built({"whale": 10**9}) as (big, _):
        short = runner.invoke(app, ["por", "check", "--out", str(big), "--reserves", str(tmp_path / "reserves.json"),
                                    "--rpc", "unused"])
    assert short.exit_code == 1
    assert "reserves attest another root" in short.output
    assert "shortfall of" in short.output


def test_attest_command_signs_what_check_accepts(kgst: Kgst, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(por_cli, "_holder_balances", lambda rpc, from_block: kgst.reader())
    kgst.mint(KEYS[0].address, 50)
    csv = tmp_path / "b.csv"
    csv.write_text("customer_id,balance\nalice,1\n")
    runner = CliRunner()
    assert runner.invoke(app, ["por", "build", "--csv", str(csv), "--asset", "KGST", "--out",
                               str(tmp_path / "t")]).exit_code == 0
    key_files = []
    for n, key in enumerate(KEYS):
        key_files += ["--key-file", str(tmp_path / f"k{n}")]
        (tmp_path / f"k{n}").write_text(key.key.hex())
    attested = runner.invoke(app, ["por", "attest", "--out", str(tmp_path / "t"), "--custodian", "vasp-ala-too",
                                   "--date", "2026-12-07", "--rpc", "unused", "--token", kgst.token, "--block",
                                   str(kgst.chain.block_number()), *key_files])
    assert attested.exit_code == 0, attested.output
    document = json.loads(attested.stdout)
    assert [entry["address"] for entry in document["addresses"]] == [key.address for key in KEYS]
    (tmp_path / "reserves.json").write_text(attested.stdout)
    checked = runner.invoke(app, ["por", "check", "--out", str(tmp_path / "t"), "--reserves",
                                  str(tmp_path / "reserves.json"), "--rpc", "unused"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["reserves"] >= 50
