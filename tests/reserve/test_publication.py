"""Publications with proof of control, re-checked at the published block on anvil: the
balances, the wallet's owners and threshold, an EOA's EIP-191 signature and the wallet's
EIP-1271 signature; each failure is named."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from typer.testing import CliRunner

from digisom.chain.contracts import Artifact
from digisom.chain.model import TxRequest
from digisom.chain.reserve_multisig import MultisigWallet, RpcReserveReader
from digisom.chain.rpc import RpcChain
from digisom.chain.transactor import Transactor, sign
from digisom.cli.main import app
from digisom.reserve import publication
from digisom.reserve.bitcoin import descriptor_checksum
from digisom.reserve.errors import PublicationInvalid
from digisom.reserve.publication import BitcoinLine, HoldingLine
from digisom.reserve.typed import message_typed_data, pack, sign_typed
from tests.reserve.conftest import FUNDING_WEI, key

DAY = date(2026, 12, 7).isoformat()
OWNERS = [key(f"owner {i}") for i in range(3)]
WALLET_WEI = 7 * 10**18
EOA_WEI = 3 * 10**18


@pytest.fixture
def rpc(anvil_node: str) -> RpcChain:
    chain = RpcChain.connect(anvil_node)
    snapshot = chain.request("evm_snapshot", [])
    yield chain
    chain.request("evm_revert", [snapshot])


def published(rpc: RpcChain, artifact: Artifact, signers: list[int] | None = None,
              bitcoin: tuple[BitcoinLine, ...] = ()) -> dict[str, object]:
    relayer = key("relayer")
    rpc.request("anvil_setBalance", [relayer.address, hex(FUNDING_WEI)])
    wallet = MultisigWallet.deploy(Transactor(rpc, relayer), [o.address for o in OWNERS], 2, [], 0, artifact)
    hot = key("hot wallet")
    rpc.request("anvil_setBalance", [wallet.address, hex(WALLET_WEI)])
    rpc.request("anvil_setBalance", [hot.address, hex(EOA_WEI)])
    rpc.request("evm_mine", [])
    block = rpc.block_number()
    lines: list[publication.Line] = [HoldingLine("BNB", None, wallet.address, WALLET_WEI),
                                     HoldingLine("BNB", None, hot.address, EOA_WEI), *bitcoin]
    root = publication.holdings_root(lines)
    typed = message_typed_data(rpc.chain_id(), wallet.address, publication.challenge_hash(DAY, root, wallet.address))
    chosen = [OWNERS[i] for i in (signers if signers is not None else [0, 2])]
    multisig_proof = pack((o.address, sign_typed(o.key, typed)) for o in chosen)
    eoa_proof = bytes(Account.sign_message(encode_defunct(text=publication.challenge(DAY, root, hot.address)),
                                           private_key=hot.key).signature)
    reader = RpcReserveReader(rpc, artifact)
    return publication.build(DAY, reader, block, lines, [wallet.address],
                             {wallet.address: ("eip1271", multisig_proof), hot.address: ("eip191", eoa_proof)})


@pytest.mark.anvil
def test_a_publication_verifies_at_its_block_even_after_the_chain_moves_on(
        rpc: RpcChain, multisig_artifact: Artifact) -> None:
    document = published(rpc, multisig_artifact)
    holdings = document["holdings"]
    assert isinstance(holdings, list)
    relayer = key("relayer")  # after the block, the hot wallet receives more: the head differs, the block not
    paid = sign(relayer, rpc.chain_id(), TxRequest(holdings[1]["address"], b"", 21_000, 10**18),
                rpc.nonce(relayer.address), rpc.fees())
    rpc.broadcast(paid.raw)
    rpc.request("evm_mine", [])
    assert int(rpc.request("eth_getBalance", [holdings[1]["address"], "latest"]), 16) == EOA_WEI + 10**18
    assert publication.verify(document, RpcReserveReader(rpc, multisig_artifact)) == []
    wallets = document["wallets"]
    assert isinstance(wallets, list) and wallets[0]["threshold"] == 2 and len(wallets[0]["owners"]) == 3


@pytest.mark.anvil
def test_every_failure_is_named(rpc: RpcChain, multisig_artifact: Artifact) -> None:
    reader = RpcReserveReader(rpc, multisig_artifact)
    document = published(rpc, multisig_artifact)
    inflated = copy.deepcopy(document)
    inflated["holdings"][0]["balance_units"] = str(WALLET_WEI + 1)  # type: ignore[index]
    failures = publication.verify(inflated, reader)
    assert any(f.startswith("root:") for f in failures) and any(f.startswith("balance:") for f in failures)
    other_day = copy.deepcopy(document)
    other_day["date"] = "2026-12-08"
    assert len([f for f in publication.verify(other_day, reader) if f.startswith("proof:")]) == 2
    fewer = copy.deepcopy(document)
    fewer["wallets"][0]["threshold"] = 1  # type: ignore[index]
    assert any(f.startswith("threshold:") for f in publication.verify(fewer, reader))
    with pytest.raises(PublicationInvalid):
        publication.verify({"title": "x"}, reader)


@pytest.mark.anvil
def test_one_owner_cannot_prove_control_of_the_wallet(rpc: RpcChain, multisig_artifact: Artifact) -> None:
    document = published(rpc, multisig_artifact, signers=[1])
    failures = publication.verify(document, RpcReserveReader(rpc, multisig_artifact))
    assert len(failures) == 1 and "EIP-1271" in failures[0]


@pytest.mark.anvil
def test_the_cli_verifies_and_names_failures(rpc: RpcChain, multisig_artifact: Artifact, tmp_path: Path,
                                             anvil_node: str) -> None:
    btc, sats, height = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 150_000_000, 870_000
    descriptor = f"addr({btc})#{descriptor_checksum(f'addr({btc})')}"
    (tmp_path / "btc.json").write_text(json.dumps({"height": height, "balances": {btc: str(sats)}}))
    document = published(rpc, multisig_artifact, bitcoin=(BitcoinLine(descriptor, btc, sats, height),))
    good = tmp_path / "publication.json"
    good.write_text(json.dumps(document))
    verify = ["reserve", "verify", str(good), "--rpc", anvil_node, "--bitcoin", str(tmp_path / "btc.json")]
    result = CliRunner().invoke(app, verify)
    assert result.exit_code == 0, result.output
    document["date"] = "2026-12-08"
    document["holdings"][-1]["balance_units"] = str(sats + 1)  # type: ignore[index]
    good.write_text(json.dumps(document))
    result = CliRunner().invoke(app, verify)
    assert result.exit_code == 1 and "proof:" in result.output
    assert f"balance: BTC at {btc} is {sats} at height {height}, published {sats + 1}" in result.output


@pytest.mark.anvil
@pytest.mark.slow  # each CLI run compiles the wallet for its ABI (~5 s); the API tests cover the same checks fast
def test_publish_then_verify_with_one_command_each(rpc: RpcChain, multisig_artifact: Artifact, tmp_path: Path,
                                                   anvil_node: str) -> None:
    from tests.reserve.reserve_world import policy_text  # noqa: PLC0415

    relayer = key("relayer")
    rpc.request("anvil_setBalance", [relayer.address, hex(FUNDING_WEI)])
    wallet = MultisigWallet.deploy(Transactor(rpc, relayer), [o.address for o in OWNERS], 2, [], 0, multisig_artifact)
    rpc.request("anvil_setBalance", [wallet.address, hex(WALLET_WEI)])
    rpc.request("evm_mine", [])
    (tmp_path / "policy.toml").write_text(policy_text(rpc.chain_id(), wallet.address))
    keys = []
    for i in (0, 2):
        keys += ["--owner-key-file", str(tmp_path / f"owner{i}.key")]
        (tmp_path / f"owner{i}.key").write_text(OWNERS[i].key.hex())
    (tmp_path / "hot.key").write_text(key("hot wallet").key.hex())
    out = tmp_path / "publication.json"
    made = CliRunner().invoke(app, ["reserve", "publish", str(tmp_path / "policy.toml"), "--rpc", anvil_node, *keys,
                                    "--eoa-key-file", str(tmp_path / "hot.key"), "--date", DAY, "--out", str(out)])
    assert made.exit_code == 0, made.output
    document = json.loads(out.read_text())
    assert document["holdings"][0]["balance_units"] == str(WALLET_WEI) and document["wallets"][0]["threshold"] == 2
    assert CliRunner().invoke(app, ["reserve", "verify", str(out), "--rpc", anvil_node]).exit_code == 0
    document["wallets"][0]["owners"][1] = key("stranger").address  # a wrong owner list
    out.write_text(json.dumps(document))
    checked = CliRunner().invoke(app, ["reserve", "verify", str(out), "--rpc", anvil_node])
    assert checked.exit_code == 1 and "owners:" in checked.output
    one_key = CliRunner().invoke(app, ["reserve", "publish", str(tmp_path / "policy.toml"), "--rpc", anvil_node,
                                       *keys[:2], "--date", DAY])
    assert one_key.exit_code == 1 and "EIP-1271" in one_key.output  # below the threshold: nothing written
