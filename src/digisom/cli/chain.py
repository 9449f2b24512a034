"""`digisom chain`: deploy KGST to a JSON-RPC node.

    digisom chain deploy kgst --rpc URL --key-file FILE

prints one JSON line `{"address": ..., "chain_id": ...}`. The key comes from `--key-file`
or `$DIGISOM_CHAIN_KEY`, never from the command line or the repository; without one the
command refuses to start. Roles default to the deploying key's address.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from digisom.chain.errors import ChainError, KeyMissing
from digisom.chain.keys import KEY_ENV_VAR, load_key

chain_app = typer.Typer(help="KGST on an EVM chain (BNB Chain, anvil) over JSON-RPC.", no_args_is_help=True)
deploy_app = typer.Typer(help="Deploy a contract.", no_args_is_help=True)
chain_app.add_typer(deploy_app, name="deploy")

RoleOption = Annotated[str | None, typer.Option(help="Role holder's address (default: the deploying key).")]


@deploy_app.command("kgst")
def deploy_kgst_command(
    rpc: Annotated[str, typer.Option(help="JSON-RPC URL of the node.")],
    key_file: Annotated[Path | None, typer.Option(help=f"File with the deployer's hex key (else ${KEY_ENV_VAR}).")
                        ] = None,
    name: Annotated[str, typer.Option(help="Token name (also the EIP-712 domain name).")] = "KGST Kyrgyz Som",
    symbol: Annotated[str, typer.Option(help="Token symbol.")] = "KGST",
    decimals: Annotated[int, typer.Option(min=0, max=36, help="Decimals of one token unit.")] = 2,
    owner: RoleOption = None,
    master_minter: RoleOption = None,
    pauser: RoleOption = None,
    blacklister: RoleOption = None,
    rescuer: RoleOption = None,
    confirmations: Annotated[int, typer.Option(min=1, help="Blocks to wait for.")] = 1,
) -> None:
    """Deploy KGST and print {"address": ..., "chain_id": ...}."""
    # The EVM stack loads only when a command uses it, not for every `digisom` command.
    from digisom.chain.contracts import kgst_artifact  # noqa: PLC0415
    from digisom.chain.kgst import KgstRoles, deploy_kgst  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.chain.transactor import Transactor  # noqa: PLC0415

    try:
        key = load_key(key_file)
    except KeyMissing as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    me = str(key.address)
    roles = KgstRoles(owner or me, master_minter or me, pauser or me, blacklister or me, rescuer or me)
    try:
        deployment = deploy_kgst(Transactor(RpcChain.connect(rpc), key), kgst_artifact(), name, symbol, decimals,
                                 roles, confirmations)
    except ChainError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"address": deployment.address, "chain_id": deployment.chain_id}))
