"""USDKG on two chains at once (ids 1 and 56; in process and on two anvil nodes): deploy,
mint, redeem, and supply per chain and in total read from the chains; checked against
the supply an indexer rebuilds from the `Transfer` logs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from digisom.chain.contracts import Artifact, usdkg_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.errors import KeyMissing, TransactionReverted
from digisom.chain.follower import BLOCKS_PER_READ_MAX
from digisom.chain.model import Log
from digisom.chain.protocol import Chain
from digisom.chain.token import InvalidTokenAddress, InvalidTokenAmount, TokenMetadata
from digisom.chain.transactor import Transactor
from digisom.chain.usdkg import (
    USDKG_METADATA,
    ChainMismatch,
    DecimalsMismatch,
    UsdkgChainToken,
    UsdkgToken,
    read_holders,
    read_supplies,
)
from tests.chain.usdkg_world import USDKG, Deployed, deploy, role_key

# sha256 of KGST's init code as compiled from contracts/KGST.vy (vyper 0.4.3, cancun): the
# bytecode of KGST's deployments, which USDKG shares (ADR 0008). A change of the source
# changes this and needs a migration (ADR 0002), not an edit of this line alone.
KGST_BYTECODE_SHA256 = "9ab75e7f98b9ba07164aa206b92173fa2af83181e2fd49b7bd36ef9f28ad566c"


def test_usdkg_is_kgst_bytecode(artifact: Artifact) -> None:
    assert usdkg_artifact().bytecode == artifact.bytecode
    assert hashlib.sha256(artifact.bytecode).hexdigest() == KGST_BYTECODE_SHA256


def transfer(deployed: Deployed, role: str, to: str, amount: int) -> None:
    sender = deployed.as_role(role)
    data = deployed.token._abi.fn("transfer").encode(to, amount)
    sender.wait(sender.send(deployed.token.address, data).tx_hash, 1)


def test_mint_and_redeem_on_two_chains_and_read_the_supply(two_chains: dict[int, Chain], artifact: Artifact) -> None:
    on = {chain_id: deploy(chain, artifact) for chain_id, chain in two_chains.items()}
    holder = role_key("holder").address
    for chain_id, deployed in on.items():
        assert deployed.deployment.chain_id == chain_id
        assert deployed.token.decimals() == 6
        deployed.token.set_minter_allowance(5_000 * USDKG)

    on[1].token.mint(holder, 1_000 * USDKG)
    on[56].token.mint(holder, 250 * USDKG + 500_000)  # 250.5 USDKG
    # A redemption on chain 56: the holder sends 100 USDKG to the redemption address, the minter burns it.
    transfer(on[56], "holder", on[56].token.redemption_address, 100 * USDKG)
    on[56].token.burn(100 * USDKG)

    supplies = read_supplies({chain_id: deployed.token for chain_id, deployed in on.items()})
    assert dict(supplies.by_chain_token_units) == {1: 1_000 * USDKG, 56: 150 * USDKG + 500_000}
    assert supplies.total_token_units == 1_150 * USDKG + 500_000
    assert supplies.decimals == 6
    for deployed in on.values():  # an indexer agrees with the contract on every chain
        token = deployed.token
        assert token.supply_from_transfer_logs(deployed.deployment.block_number) == token.total_supply()
    assert on[56].token.balance_of(holder) == 150 * USDKG + 500_000
    assert on[56].token.minter_allowance() == 5_000 * USDKG - 250 * USDKG - 500_000


def test_supply_reader_refuses_a_misconfigured_chain(two_chains: dict[int, Chain], artifact: Artifact) -> None:
    on = {chain_id: deploy(chain, artifact) for chain_id, chain in two_chains.items()}
    with pytest.raises(ChainMismatch, match="configured as 56 reports chain id 1"):
        read_supplies({56: on[1].token})  # a wrong RPC URL: chain 1 counted as 56
    eighteen = deploy(two_chains[56], artifact, TokenMetadata("USDKG", "USDKG", 18))
    with pytest.raises(DecimalsMismatch, match=r"\[6, 18\]"):
        read_supplies({1: on[1].token, 56: eighteen.token})


def test_refusals_are_typed_and_name_the_rule(two_chains: dict[int, Chain], artifact: Artifact) -> None:
    deployed = deploy(two_chains[1], artifact)
    token = deployed.token
    holder = role_key("holder").address
    with pytest.raises(TransactionReverted, match="caller is not a minter"):
        token.mint(holder, USDKG)
    token.set_minter_allowance(10 * USDKG)
    with pytest.raises(TransactionReverted, match="mint amount exceeds minter allowance"):
        token.mint(holder, 11 * USDKG)
    for bad_amount in (0, -1, 1.5, True, 2**256):
        with pytest.raises(InvalidTokenAmount):
            token.mint(holder, bad_amount)  # type: ignore[arg-type]
    for bad_address in ("0x" + "00" * 20, "0x1234", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"):
        with pytest.raises(InvalidTokenAddress):
            token.mint(bad_address, USDKG)
    blacklister = deployed.as_role("blacklister")
    blacklister.wait(blacklister.send(token.address, token._abi.fn("blacklist").encode(holder)).tx_hash, 1)
    with pytest.raises(TransactionReverted, match="recipient blacklisted"):
        token.mint(holder, USDKG)
    no_master = UsdkgToken(deployed.chain, artifact.abi, token.address, Transactor(deployed.chain, role_key("minter")))
    with pytest.raises(KeyMissing, match="master-minter"):
        no_master.set_minter_allowance(USDKG)
    assert token.total_supply() == 0


def test_the_evm_adapter_implements_the_seam() -> None:
    """What a TRON adapter would implement; checked structurally so the seam stays what the EVM side offers."""
    seam = {name for name in dir(UsdkgChainToken) if not name.startswith("_")}
    assert seam == {"address", "balance_of", "burn", "chain_id", "decimals", "holder_balances_units", "mint",
                    "redemption_address", "total_supply"}
    missing = {name for name in seam if not hasattr(UsdkgToken, name)}
    assert missing == set()
    assert (USDKG_METADATA.name, USDKG_METADATA.symbol, USDKG_METADATA.decimals) == ("USDKG", "USDKG", 6)


def _record_ranges(chain: EmbeddedChain) -> list[tuple[int, int]]:
    """The block ranges of every `eth_getLogs` read from `chain` from now on."""
    ranges: list[tuple[int, int]] = []
    real_logs = chain.logs

    def logs(address: str, from_block: int, to_block: int, topic0s: Sequence[bytes]) -> list[Log]:
        ranges.append((from_block, to_block))
        return real_logs(address, from_block, to_block, topic0s)

    chain.logs = logs  # type: ignore[method-assign]
    return ranges


def test_the_indexer_figure_reads_logs_in_bounded_ranges(artifact: Artifact) -> None:
    """Public nodes refuse wide eth_getLogs ranges: the replay pages like the follower does."""
    chain = EmbeddedChain(1)
    for role in ("owner", "master_minter", "minter"):
        chain.fund(role_key(role).address, 10**21)
    deployed = deploy(chain, artifact)
    deployed.token.set_minter_allowance(10 * USDKG)
    deployed.token.mint(role_key("holder").address, 2 * USDKG)
    chain.mine(1_200)
    deployed.token.mint(role_key("holder").address, 3 * USDKG)
    ranges = _record_ranges(chain)
    assert deployed.token.supply_from_transfer_logs(deployed.deployment.block_number) == 5 * USDKG
    assert all(end - start < BLOCKS_PER_READ_MAX for start, end in ranges) and len(ranges) == 3
    assert ranges[0][0] == deployed.deployment.block_number and ranges[-1][1] == chain.block_number()


def test_the_holder_index_rebuilds_every_balance_from_transfer_logs(artifact: Artifact) -> None:
    """Mints, a transfer to the redemption address and a burn, read back in bounded ranges:
    each holder's balance is `balanceOf`, the zero address and emptied holders left out."""
    chain = EmbeddedChain(56)
    for role in ("owner", "master_minter", "minter", "holder"):
        chain.fund(role_key(role).address, 10**21)
    deployed = deploy(chain, artifact)
    token, holder, other = deployed.token, role_key("holder").address, role_key("blacklister").address
    token.set_minter_allowance(10 * USDKG)
    token.mint(holder, 4 * USDKG)
    chain.mine(600)
    token.mint(other, USDKG)
    sender = deployed.as_role("holder")
    transfer = token._abi.fn("transfer").encode(token.redemption_address, USDKG)
    sender.wait(sender.send(token.address, transfer).tx_hash, 1)
    token.burn(USDKG)  # the redemption address is empty again
    ranges = _record_ranges(chain)
    balances = token.holder_balances_from_transfer_logs(deployed.deployment.block_number)
    assert balances == {holder: 3 * USDKG, other: USDKG}
    assert balances == {address: token.balance_of(address) for address in (holder, other)}
    assert sum(balances.values()) == token.total_supply()
    assert len(ranges) == 2 and all(end - start < BLOCKS_PER_READ_MAX for start, end in ranges)
    assert token.holder_balances_units() == balances  # the seam: from the deployed block (0 here)
    assert read_holders({56: token, 1: token}) == {holder: 6 * USDKG, other: 2 * USDKG}  # summed over chains
