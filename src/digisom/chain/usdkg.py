"""USDKG on EVM chains: deploy, mint, burn (redeem) and the supply of every chain, read
from the chains themselves.

USDKG runs the contract source KGST runs (`contracts/KGST.vy`, ADR 0008) with its own
metadata (6 decimals). Unlike the real USDKG contract it refuses blacklisted
recipients and spenders and logs every supply change as a `Transfer` from or to the
zero address, so `supply_from_transfer_logs` agrees with `totalSupply`.

The seam: `UsdkgChainToken` is what the issuer needs from USDKG on one chain, its holder
index (every holder's balance, rebuilt from `Transfer` logs) included.
`UsdkgToken` implements it on any EVM `Chain` (anvil, BNB Chain, Ethereum, the
in-process EVM); a TRON adapter would implement it over a TRON node, with TRON's
base58check addresses (`digisom.chain.tron`) at its edge (docs/usdkg-token.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from digisom.chain.abi import ContractAbi
from digisom.chain.contracts import Artifact
from digisom.chain.errors import ChainError, KeyMissing
from digisom.chain.protocol import Chain
from digisom.chain.token import (
    TokenContract,
    TokenDeployment,
    TokenMetadata,
    TokenRoles,
    deploy_token,
    normalize_address,
    token_units,
)
from digisom.chain.transactor import Transactor

USDKG_METADATA: Final = TokenMetadata("USDKG", "USDKG", 6)


class ChainMismatch(ChainError):
    """A configured chain id is not the id the node (or contract) reports."""


class DecimalsMismatch(ChainError):
    """Deployments disagree on decimals: their supplies are not in one unit and cannot be summed."""


class SupplySource(Protocol):
    """One chain's token supply, read from the chain."""

    @property
    def chain_id(self) -> int:
        """The chain id the node reports."""
        ...

    def decimals(self) -> int:
        """The token's decimals."""
        ...

    def total_supply(self) -> int:
        """Total supply in token units."""
        ...


class UsdkgChainToken(SupplySource, Protocol):
    """The adapter seam: USDKG on one chain, whatever runs the chain (EVM here; TRON's
    adapter would implement the same, translating its base58 addresses at the edge)."""

    @property
    def address(self) -> str:
        """The token contract, in the chain's own address format."""
        ...

    @property
    def redemption_address(self) -> str:
        """Where holders send USDKG to redeem it (the minter's address)."""
        ...

    def balance_of(self, holder: str) -> int:
        """A holder's balance in token units."""
        ...

    def mint(self, to: str, amount_token_units: int) -> str:
        """Issue `amount_token_units` to `to`; returns the transaction id once confirmed."""
        ...

    def burn(self, amount_token_units: int) -> str:
        """Burn what holders sent to the redemption address; returns the transaction id once confirmed."""
        ...

    def holder_balances_units(self) -> Mapping[str, int]:
        """Every holder with a positive balance (address -> token units), rebuilt from the
        chain's own record of transfers since the deployment: the holder index."""
        ...


def deploy_usdkg(transactor: Transactor, artifact: Artifact, roles: TokenRoles, confirmations: int = 1,
                 metadata: TokenMetadata = USDKG_METADATA) -> TokenDeployment:
    """Deploy USDKG from `transactor`'s key and wait until it is `confirmations` deep."""
    return deploy_token(transactor, artifact, metadata, roles, confirmations)


class UsdkgToken(TokenContract):
    """`UsdkgChainToken` on an EVM chain: the minter key mints and burns, the master-minter
    key (if given) sets the minter's allowance. Each call waits for `confirmations`."""

    def __init__(self, chain: Chain, abi: ContractAbi, address: str, minter: Transactor,
                 master_minter: Transactor | None = None, confirmations: int = 1, deployed_block: int = 0) -> None:
        super().__init__(chain, abi, address)
        self._minter = minter
        self._master_minter = master_minter
        self._confirmations = confirmations
        self._deployed_block = deployed_block  # where the holder index starts reading logs

    @property
    def redemption_address(self) -> str:
        """The minter's address."""
        return self._minter.address

    def minter_allowance(self) -> int:
        """What the minter may still mint, in token units."""
        return int(self.read("minterAllowance", self._minter.address))

    def set_minter_allowance(self, amount_token_units: int) -> str:
        """`configureMinter(minter, amount)` from the master-minter key."""
        if self._master_minter is None:
            raise KeyMissing("no master-minter key is configured to set the minter's allowance")
        amount = token_units(amount_token_units, minimum=0)  # zero: the minter may mint no more
        data = self._abi.fn("configureMinter").encode(self._minter.address, amount)
        return self._send(self._master_minter, data)

    def mint(self, to: str, amount_token_units: int) -> str:
        """Issue; `TransactionReverted` with the contract's reason if it refuses (paused,
        recipient blacklisted, beyond the minter's allowance)."""
        data = self._abi.fn("mint").encode(normalize_address(to), token_units(amount_token_units))
        return self._send(self._minter, data)

    def burn(self, amount_token_units: int) -> str:
        """Burn from the redemption address (the minter's own balance): a redemption."""
        data = self._abi.fn("burn").encode(token_units(amount_token_units))
        return self._send(self._minter, data)

    def holder_balances_units(self) -> Mapping[str, int]:
        """Every holder's balance from the `Transfer` logs since `deployed_block`, read
        afresh (in the follower's bounded ranges): the contract logs every supply change,
        so the sum equals `totalSupply()`."""
        return self.holder_balances_from_transfer_logs(self._deployed_block)

    def _send(self, sender: Transactor, data: bytes) -> str:
        signed = sender.send(self._address, data)
        sender.wait(signed.tx_hash, self._confirmations)
        return signed.tx_hash


@dataclass(frozen=True, slots=True)
class ChainSupplies:
    """USDKG's supply on each chain and in total, in token units of `decimals`."""

    by_chain_token_units: Mapping[int, int]
    decimals: int

    @property
    def total_token_units(self) -> int:
        """The sum over every chain."""
        return sum(self.by_chain_token_units.values())


def read_holders(configured: Mapping[int, UsdkgChainToken]) -> dict[str, int]:
    """Every holder's balance over every configured chain, from each chain's logs: address
    -> token units (checksummed EVM addresses; an address on several chains holds the sum)."""
    holders: dict[str, int] = {}
    for token in configured.values():
        for holder, units in token.holder_balances_units().items():
            holders[holder] = holders.get(holder, 0) + units
    return holders


def read_supplies(configured: Mapping[int, SupplySource]) -> ChainSupplies:
    """Chain id -> total supply, read from each configured chain (never from our books).

    Each chain must report the id it is configured under (`ChainMismatch`: a wrong RPC
    URL would count one chain twice or another not at all), and every deployment must
    have the same decimals (`DecimalsMismatch`)."""
    supplies: dict[int, int] = {}
    decimals: set[int] = set()
    for chain_id, source in configured.items():
        reported = source.chain_id
        if reported != chain_id:
            raise ChainMismatch(f"chain configured as {chain_id} reports chain id {reported}")
        decimals.add(source.decimals())
        supplies[chain_id] = source.total_supply()
    if len(decimals) > 1:
        raise DecimalsMismatch(f"USDKG deployments disagree on decimals: {sorted(decimals)}")
    return ChainSupplies(supplies, decimals.pop() if decimals else USDKG_METADATA.decimals)
