"""USDKG's chains as an operator names them (`digisom serve --usdkg-chain`, `digisom usdkg
mint --chain`): `ID,RPC_URL,TOKEN_ADDRESS[,DEPLOYED_BLOCK]`, each connected with the
minter's key (`--key-file` or `$DIGISOM_CHAIN_KEY`, as `digisom chain deploy` takes it).

`DEPLOYED_BLOCK` (default 0) is where the holder index starts reading `Transfer` logs;
on a public chain give the deployment's block, or the index reads from genesis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from digisom.chain.usdkg import UsdkgToken

SPEC_FORM: Final = "ID,RPC_URL,TOKEN_ADDRESS[,DEPLOYED_BLOCK]"
_PARTS_MIN: Final = 3
_PARTS_MAX: Final = 4


class InvalidChainSpec(ValueError):
    """A chain named not as `ID,RPC_URL,TOKEN_ADDRESS[,DEPLOYED_BLOCK]`, or one id twice."""


@dataclass(frozen=True, slots=True)
class ChainSpec:
    """One chain USDKG is on."""

    chain_id: int
    rpc_url: str
    token_address: str
    deployed_block: int = 0


def parse_chain_spec(spec: str) -> ChainSpec:
    """`ID,RPC_URL,TOKEN_ADDRESS[,DEPLOYED_BLOCK]`; `InvalidChainSpec` naming the form otherwise."""
    parts = [part.strip() for part in spec.split(",")]
    numbers = [parts[0], *parts[3:]]
    if not _PARTS_MIN <= len(parts) <= _PARTS_MAX or not all(n.isdigit() and n.isascii() for n in numbers) \
            or not parts[1] or not parts[2] or int(parts[0]) < 1:
        raise InvalidChainSpec(f"{spec!r} is not {SPEC_FORM}")
    return ChainSpec(int(parts[0]), parts[1], parts[2], int(parts[3]) if len(parts) == _PARTS_MAX else 0)


def parse_chain_specs(specs: Sequence[str]) -> list[ChainSpec]:
    """Every spec parsed; a chain id named twice is refused (its supply would count twice)."""
    parsed = [parse_chain_spec(spec) for spec in specs]
    ids = [chain.chain_id for chain in parsed]
    if len(set(ids)) != len(ids):
        raise InvalidChainSpec(f"a chain id is named twice: {sorted(ids)}")
    return parsed


def connect_tokens(specs: Sequence[str], key_file: Path | None) -> dict[int, UsdkgToken]:
    """The USDKG token on each named chain, minted and burned with the minter's key
    (`KeyMissing` without one; `InvalidChainSpec` for a spec out of form)."""
    chains = parse_chain_specs(specs)
    # The EVM stack loads only when a chain is configured.
    from digisom.chain.contracts import usdkg_artifact  # noqa: PLC0415
    from digisom.chain.keys import load_key  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.chain.token import normalize_address  # noqa: PLC0415
    from digisom.chain.transactor import Transactor  # noqa: PLC0415
    from digisom.chain.usdkg import UsdkgToken  # noqa: PLC0415

    key = load_key(key_file)
    abi = usdkg_artifact().abi
    tokens: dict[int, UsdkgToken] = {}
    for chain in chains:
        node = RpcChain.connect(chain.rpc_url)
        tokens[chain.chain_id] = UsdkgToken(node, abi, normalize_address(chain.token_address), Transactor(node, key),
                                            deployed_block=chain.deployed_block)
    return tokens
