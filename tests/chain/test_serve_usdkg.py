"""`digisom serve --usdkg-chain ID,RPC,TOKEN[,BLOCK] --usdkg-key-file F`: a served API
reads USDKG's supply from every named chain, mints on one with the minter's key, and
answers the lookup from the chains' `Transfer` logs. On chains 1 and 56, in process (the
node's URL mapped to an in-process EVM) and on two anvil nodes the suite starts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from digisom.api.runtime import database_url, domain_engine
from digisom.api.signing_key import load_or_create_key
from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.protocol import Chain
from digisom.chain.rpc import RpcChain
from digisom.cli.main import app
from digisom.http.auth import TokenIssuer
from digisom.kernel.access import Role
from digisom.usdkg import units
from tests.chain.usdkg_world import USDKG, Deployed, deploy, role_key
from tests.usdkg.world import PRICE_CENTS_PER_OZ, World, bar_row, csv_bytes

BAR_UNITS = units.value_units(units.fine_weight_moz(400_125, 9999), PRICE_CENTS_PER_OZ)
HOLDER = role_key("holder").address


def _serve(args: list[str], exercise: Callable[[TestClient], None], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `digisom serve ARGS` with uvicorn replaced by `exercise` on the app it would serve."""

    def run(server: uvicorn.Server, sockets: Any = None) -> None:
        exercise(TestClient(server.config.app))

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return CliRunner().invoke(app, ["serve", "--port", "0", *args])


def _urls(chains: dict[int, Chain], request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    """Each chain's JSON-RPC URL: anvil's own, or one mapped to the in-process EVM."""
    if not isinstance(chains[1], EmbeddedChain):
        urls: dict[int, str] = request.getfixturevalue("anvil_pair")
        return urls
    fakes = {f"http://chain-{chain_id}.invalid": chain for chain_id, chain in chains.items()}
    real = RpcChain.connect
    monkeypatch.setattr(RpcChain, "connect", classmethod(lambda _cls, url: fakes.get(url) or real(url)))
    return {chain.chain_id(): url for url, chain in fakes.items()}


def _ready(data: Path) -> None:
    """A bar in the vault and a fresh price, put in the served database beforehand."""
    engine = domain_engine(database_url(data, None))
    world = World(engine)
    now = datetime.now(UTC)
    world.import_bars(csv_bytes([bar_row("KG0001")]), at=now - timedelta(days=1))
    world.set_price(PRICE_CENTS_PER_OZ, now - timedelta(minutes=5))
    engine.dispose()


def test_serve_reads_supply_mints_and_looks_up_on_the_named_chains(
    two_chains: dict[int, Chain], artifact: Artifact, tmp_path: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployed: dict[int, Deployed] = {chain_id: deploy(chain, artifact) for chain_id, chain in two_chains.items()}
    for chain in deployed.values():
        chain.token.set_minter_allowance(10**9 * USDKG)
    deployed[1].token.mint(HOLDER, 10)  # before serving: the supply is the chain's, not our books'
    urls = _urls(two_chains, request, monkeypatch)
    key_file = tmp_path / "minter.key"
    key_file.write_text(role_key("minter").key.hex())
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    _ready(data)
    token = TokenIssuer(load_or_create_key(data)).issue(Role.ISSUER_OPERATOR, "usdkg-desk")
    auth = {"Authorization": f"Bearer {token}"}
    seen: dict[str, Any] = {}

    def exercise(client: TestClient) -> None:
        seen["before"] = client.get("/v1/usdkg/coverage/mint-check", params={"amount_units": "1"},
                                    headers=auth).json()["figure"]
        mint = {"chain_id": 56, "to": HOLDER, "amount_units": str(BAR_UNITS - 10)}
        minted = client.post("/v1/usdkg/mints", json=mint, headers={**auth, "Idempotency-Key": "serve-1"})
        seen["minted"] = (minted.status_code, minted.json())
        seen["refused"] = client.post("/v1/usdkg/mints", json={"chain_id": 1, "to": HOLDER, "amount_units": "1"},
                                      headers={**auth, "Idempotency-Key": "serve-2"}).json()
        seen["lookup"] = client.get(f"/v1/usdkg/lookup/{HOLDER}").json()

    specs = [arg for chain_id, d in deployed.items()
             for arg in ("--usdkg-chain", f"{chain_id},{urls[chain_id]},{d.token.address},{d.deployment.block_number}")]
    result = _serve(["--data", str(data), *specs, "--usdkg-key-file", str(key_file)], exercise, monkeypatch)
    assert result.exit_code == 0, (result.output, result.exception)
    assert seen["before"]["chains"] == ["1", "56"]
    assert seen["before"]["supply_units_by_chain"] == {"1": "10", "56": "0"}
    status, body = seen["minted"]
    assert status == 201 and body["state"] == "done", body
    assert deployed[56].token.total_supply() == BAR_UNITS - 10  # minted on the chain with the minter's key
    assert seen["refused"]["rule"] == "coverage_floor"  # the room is gone: both chains' supply was read
    assert seen["lookup"]["balance_units"] == str(BAR_UNITS)  # the holder on both chains, from their logs
    assert seen["lookup"]["bars"] == [{"serial": "KG0001", "units": str(BAR_UNITS)}]


@pytest.mark.parametrize(("args", "said"), [
    (["--usdkg-chain", "1,http://x.invalid"], "ID,RPC_URL,TOKEN_ADDRESS"),
    (["--usdkg-chain", "one,http://x.invalid,0xT"], "ID,RPC_URL,TOKEN_ADDRESS"),
    (["--usdkg-chain", "1,http://a.invalid,0xT", "--usdkg-chain", "1,http://b.invalid,0xT"], "named twice"),
    (["--usdkg-chain", "1,http://x.invalid,0xT"], "DIGISOM_CHAIN_KEY"),  # no minter key anywhere
])
def test_serve_refuses_to_start_on_a_bad_chain_or_without_the_minter_key(
    args: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DIGISOM_CHAIN_KEY", raising=False)
    result = _serve(["--data", str(tmp_path), *args], lambda _client: pytest.fail("served"), monkeypatch)
    assert result.exit_code == 2 and said in result.output, result.output
