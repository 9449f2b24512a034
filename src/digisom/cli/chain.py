"""`digisom chain`: deploy KGST or USDKG (one contract source, ADR 0008) to a JSON-RPC node.

    digisom chain deploy kgst --rpc URL --key-file FILE
    digisom chain deploy usdkg --rpc URL --key-file FILE

prints one JSON line `{"address": ..., "chain_id": ...}`. The key comes from `--key-file`
or `$DIGISOM_CHAIN_KEY`, never from the command line or the repository; without one the
command refuses to start. Roles default to the deploying key's address.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from digisom.chain.errors import ChainError, KeyMissing
from digisom.chain.keys import KEY_ENV_VAR, load_key

chain_app = typer.Typer(help="KGST and USDKG on EVM chains (BNB Chain, Ethereum, anvil) over JSON-RPC.",
                        no_args_is_help=True)
deploy_app = typer.Typer(help="Deploy a contract.", no_args_is_help=True)
chain_app.add_typer(deploy_app, name="deploy")

RpcOption = Annotated[str, typer.Option(help="JSON-RPC URL of the node.")]
KeyFileOption = Annotated[Path | None, typer.Option(help=f"File with the deployer's hex key (else ${KEY_ENV_VAR}).")]
NameOption = Annotated[str, typer.Option(help="Token name (also the EIP-712 domain name).")]
SymbolOption = Annotated[str, typer.Option(help="Token symbol.")]
DecimalsOption = Annotated[int, typer.Option(min=0, max=36, help="Decimals of one token unit.")]
RoleOption = Annotated[str | None, typer.Option(help="Role holder's address (default: the deploying key).")]
ConfirmationsOption = Annotated[int, typer.Option(min=1, help="Blocks to wait for.")]


def _deploy(rpc: str, key_file: Path | None, name: str, symbol: str, decimals: int,
            roles: tuple[str | None, str | None, str | None, str | None, str | None], confirmations: int) -> None:
    """Deploy the shared token contract and print {"address": ..., "chain_id": ...}."""
    # The EVM stack loads only when a command uses it, not for every `digisom` command.
    from digisom.chain.contracts import kgst_artifact  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.chain.token import TokenMetadata, TokenRoles, deploy_token  # noqa: PLC0415
    from digisom.chain.transactor import Transactor  # noqa: PLC0415

    try:
        key = load_key(key_file)
    except KeyMissing as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    me = str(key.address)
    holders = TokenRoles(*(holder or me for holder in roles))
    try:
        deployment = deploy_token(Transactor(RpcChain.connect(rpc), key), kgst_artifact(),
                                  TokenMetadata(name, symbol, decimals), holders, confirmations)
    except ChainError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"address": deployment.address, "chain_id": deployment.chain_id}))


def _deploy_command(default_name: str, default_symbol: str, default_decimals: int, doc: str) -> Callable[..., None]:
    """A `deploy <token>` command: the one contract source with this token's defaults."""

    def command(
        rpc: RpcOption,
        key_file: KeyFileOption = None,
        name: NameOption = default_name,
        symbol: SymbolOption = default_symbol,
        decimals: DecimalsOption = default_decimals,
        owner: RoleOption = None,
        master_minter: RoleOption = None,
        pauser: RoleOption = None,
        blacklister: RoleOption = None,
        rescuer: RoleOption = None,
        confirmations: ConfirmationsOption = 1,
    ) -> None:
        _deploy(rpc, key_file, name, symbol, decimals, (owner, master_minter, pauser, blacklister, rescuer),
                confirmations)

    command.__doc__ = doc
    return command


deploy_app.command("kgst")(_deploy_command("KGST Kyrgyz Som", "KGST", 2,
                                           """Deploy KGST and print {"address": ..., "chain_id": ...}."""))
deploy_app.command("usdkg")(_deploy_command(
    "USDKG", "USDKG", 6,
    """Deploy USDKG (KGST's contract source, 6 decimals) and print {"address": ..., "chain_id": ...}."""))
