"""`digisom por`: proof of reserves (docs/por.md).

    digisom por build --csv balances.csv --asset KGST --out DIR     # prints root.json
    digisom por prove --out DIR --customer ID [--binary FILE]       # one JSON proof
    digisom por verify PROOF.json --root ROOT.json                  # exit 0, or 1 naming the failure
    digisom por attest --out DIR --custodian ID --date YYYY-MM-DD --rpc URL --token ADDR --block N \\
        --key-file K1 [--key-file K2 ...]                           # prints reserves.json
    digisom por check --out DIR --reserves reserves.json --rpc URL [--from-block N]

`verify` takes a proof as JSON or in its binary form. `check` re-reads every reserve balance
at the attested block through the chain and recovers every signature; it prints the verdict
as JSON and exits 1 naming the shortfall, bad signature or mismatch. Bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from digisom.por.errors import PorError

por_app = typer.Typer(help="Proof of reserves: Merkle-sum liabilities, customer proofs, reserves check.",
                      no_args_is_help=True)

EXIT_FAILED: Final = 1
EXIT_REFUSED: Final = 2
OutOption = Annotated[Path, typer.Option("--out", help="Directory of the built tree.")]
RpcOption = Annotated[str, typer.Option(help="JSON-RPC URL of the chain's node.")]
FromBlockOption = Annotated[int, typer.Option(min=0, help="The token's deployment block (logs are read from it).")]


def _fail(message: str, code: int = EXIT_REFUSED) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as error:
        raise _fail(f"cannot read {path}: {error.strerror}") from None
    except ValueError:
        raise _fail(f"{path} is not JSON") from None


@por_app.command()
def build(csv: Annotated[Path, typer.Option(help="CSV customer_id,balance (smallest units).")],
          asset: Annotated[str, typer.Option(help="Asset symbol, e.g. KGST.")], out: OutOption,
          workers: Annotated[int, typer.Option(min=1, max=64, help="Build processes.")] = 2) -> None:
    """Build the tree into --out and print root.json."""
    from digisom.por.csvin import read_balances  # noqa: PLC0415 - `digisom --help` must not load the builder
    from digisom.por.tree import build_tree  # noqa: PLC0415

    try:
        root = build_tree(read_balances(csv), asset, out, workers=workers)
    except PorError as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"cannot read {error.filename}: {error.strerror}") from None
    typer.echo(json.dumps(root))


@por_app.command()
def prove(out: OutOption, customer: Annotated[str, typer.Option(help="The customer's id.")],
          binary: Annotated[Path | None, typer.Option(help="Also write the proof's binary form here.")] = None) -> None:
    """Print one customer's proof as JSON."""
    from digisom.por.proof import prove as make_proof  # noqa: PLC0415
    from digisom.por.proof import to_binary  # noqa: PLC0415

    try:
        proof = make_proof(out, customer)
    except PorError as error:
        raise _fail(str(error)) from None
    if binary is not None:
        binary.write_bytes(to_binary(proof))
    typer.echo(json.dumps(proof))


@por_app.command()
def verify(proof_file: Annotated[Path, typer.Argument(metavar="PROOF.json")],
           root_file: Annotated[Path, typer.Option("--root", metavar="ROOT.json")]) -> None:
    """Exit 0 if the proof is in the root; else name what fails and exit 1."""
    from digisom.por.proof import from_binary  # noqa: PLC0415
    from digisom.por.verify import ProofInvalid  # noqa: PLC0415
    from digisom.por.verify import verify as check_proof  # noqa: PLC0415

    root = _json_file(root_file)
    if not isinstance(root, dict):
        raise _fail(f"{root_file} is not a root object")
    try:
        raw = proof_file.read_bytes()
    except OSError as error:
        raise _fail(f"cannot read {proof_file}: {error.strerror}") from None
    try:
        proof = json.loads(raw) if raw[:1] == b"{" else from_binary(raw, root)
        if not isinstance(proof, dict):
            raise ProofInvalid("a proof is a JSON object")
        check_proof(proof, root)
    except (ProofInvalid, PorError, ValueError) as error:
        raise _fail(f"proof does not verify: {error}", EXIT_FAILED) from None
    typer.echo(json.dumps({"valid": True, "customer_id": proof["customer_id"], "balance": proof["balance"],
                           "root": root["root"]}))


def _holder_balances(rpc: str, from_block: int) -> Any:
    from digisom.api.por_chain import ChainHolderBalances  # noqa: PLC0415 - the EVM stack loads only here
    from digisom.chain.contracts import kgst_artifact  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415

    return ChainHolderBalances(RpcChain.connect(rpc), kgst_artifact().abi, from_block)


@por_app.command()
def attest(out: OutOption, custodian: Annotated[str, typer.Option(help="The custodian's id.")],
           date: Annotated[str, typer.Option(help="YYYY-MM-DD")], rpc: RpcOption,
           token: Annotated[str, typer.Option(help="The asset's token contract.")],
           block: Annotated[int, typer.Option(min=0, help="The block the balances are read at.")],
           key_file: Annotated[list[Path], typer.Option(help="One reserve address's hex key; repeat.")],
           from_block: FromBlockOption = 0) -> None:
    """Sign the challenge with each reserve key and print reserves.json."""
    from digisom.chain.errors import KeyMissing  # noqa: PLC0415
    from digisom.chain.keys import load_key  # noqa: PLC0415
    from digisom.por.layout import read_root  # noqa: PLC0415
    from digisom.por.reserves import challenge, parse_reserves, sign_challenge  # noqa: PLC0415

    try:
        root = read_root(out)
        keys = [load_key(path) for path in key_file]
        chain = _holder_balances(rpc, from_block)
        held = chain.balances_at(token, [key.address for key in keys], block)
        document = {"custodian": custodian, "asset": root["asset"], "date": date, "root": root["root"],
                    "chain_id": chain.chain_id(), "token": token, "block": block,
                    "addresses": [{"address": key.address, "balance": held[key.address], "signature": sign_challenge(
                        key.key, challenge(custodian, root["asset"], date, root["root"], key.address))}
                        for key in keys]}
        typer.echo(json.dumps(parse_reserves(document).as_json(), indent=1))
    except (PorError, KeyMissing) as error:
        raise _fail(str(error)) from None


@por_app.command()
def check(out: OutOption, reserves: Annotated[Path, typer.Option(help="reserves.json")], rpc: RpcOption,
          from_block: FromBlockOption = 0) -> None:
    """Recompute reserves at the block, verify every signature, require reserves >= liabilities."""
    from digisom.por.layout import read_root  # noqa: PLC0415
    from digisom.por.reserves import check_reserves, parse_reserves  # noqa: PLC0415

    try:
        verdict = check_reserves(parse_reserves(_json_file(reserves)), read_root(out),
                                 _holder_balances(rpc, from_block))
    except PorError as error:
        raise _fail(str(error)) from None
    typer.echo(json.dumps(verdict.as_json()))
    if not verdict.holds:
        raise _fail("; ".join(verdict.problems), EXIT_FAILED)
