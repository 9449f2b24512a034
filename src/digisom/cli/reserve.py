"""`digisom reserve`: the national crypto reserve (docs/reserve.md).

    digisom reserve verify PUBLICATION.json --rpc URL    # exit 0, or 1 naming every failure
    digisom reserve policy-check POLICY.toml --rpc URL   # exit 0, or 1 naming every mismatch

`verify` re-reads every published balance, the contract wallets' owners and threshold at the
published block, and checks every EIP-191 and EIP-1271 proof of control. `policy-check`
compares the policy file with the deployed wallet it names. Bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from digisom.reserve.errors import ReserveError

reserve_app = typer.Typer(help="The national crypto reserve: publications and policy checks.", no_args_is_help=True)

EXIT_FAILED: Final = 1
EXIT_REFUSED: Final = 2
PUBLICATION_BYTES_MAX: Final = 16 * 1024 * 1024
RpcOption = Annotated[str, typer.Option(help="JSON-RPC URL of the chain's node (archive, for old blocks).")]


def _fail(message: str, code: int = EXIT_REFUSED) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _json_file(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            raw = handle.read(PUBLICATION_BYTES_MAX + 1)
    except OSError as error:
        raise _fail(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > PUBLICATION_BYTES_MAX:
        raise _fail(f"{path} is larger than {PUBLICATION_BYTES_MAX} bytes")
    try:
        return json.loads(raw)
    except ValueError:
        raise _fail(f"{path} is not JSON") from None


@reserve_app.command()
def verify(publication_file: Annotated[Path, typer.Argument(help="The publication JSON.")], rpc: RpcOption) -> None:
    """Re-check a publication at its block: balances, owners, threshold, every signature."""
    from digisom.chain.errors import ChainError  # noqa: PLC0415 - `digisom --help` must not load the EVM stack
    from digisom.chain.reserve_multisig import RpcReserveReader  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.reserve import publication  # noqa: PLC0415

    document = _json_file(publication_file)
    try:
        failures = publication.verify(document, RpcReserveReader(RpcChain.connect(rpc)))
    except ReserveError as error:
        raise _fail(str(error)) from None
    except ChainError as error:
        raise _fail(f"chain: {error}") from None
    typer.echo(json.dumps({"ok": not failures, "failures": failures}, indent=2))
    if failures:
        raise typer.Exit(EXIT_FAILED)


@reserve_app.command("policy-check")
def policy_check(policy_file: Annotated[Path, typer.Argument(help="The reserve policy TOML.")],
                 rpc: RpcOption) -> None:
    """Compare the policy with the deployed wallet it names (owners, threshold, allow-list, time lock)."""
    from digisom.chain.reserve_multisig import MultisigWallet  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.reserve.policy import load_policy, mismatches  # noqa: PLC0415

    try:
        policy = load_policy(policy_file)
    except ReserveError as error:
        raise _fail(str(error)) from None
    found = mismatches(policy, MultisigWallet(RpcChain.connect(rpc), policy.wallet))
    typer.echo(json.dumps({"ok": not found, "mismatches": found}, indent=2))
    if found:
        raise typer.Exit(EXIT_FAILED)
