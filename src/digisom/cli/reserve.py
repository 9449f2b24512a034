"""`digisom reserve`: the national crypto reserve (docs/reserve.md).

    digisom reserve publish POLICY.toml --rpc URL --owner-key-file K1 --owner-key-file K2 \
        [--eoa-key-file K] [--block N] [--date YYYY-MM-DD] [--out FILE] [--api URL --token T --key K] \
        [--bitcoin ESPLORA_URL_OR_FILE]
    digisom reserve verify PUBLICATION.json --rpc URL [--bitcoin ESPLORA_URL_OR_FILE]
                                                         # exit 0, or 1 naming every failure
    digisom reserve policy-check POLICY.toml --rpc URL   # exit 0, or 1 naming every mismatch

`publish` reads every policy asset's balance at the wallet (and at each EOA) at one block,
has the owners sign the wallet's EIP-1271 proof and each EOA its EIP-191 proof, checks the
result with the same code as `verify`, writes it, and (with `--api`) posts it to
/v1/reserve/publications under an idempotency key. `verify` re-reads every published
balance, the contract wallets' owners and threshold at the published block, and checks every
EIP-191 and EIP-1271 proof of control; with `--bitcoin`, `publish` lists the policy's
watched Bitcoin addresses (unproven) and `verify` re-reads them at their published height
(without it a publication's Bitcoin lines fail as not re-checkable). `policy-check` compares the policy file with the
deployed wallet it names. Bad input exits 2."""

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
BitcoinOption = Annotated[str | None, typer.Option(
    "--bitcoin", help="Bitcoin balances: an Esplora base URL, or a balances JSON file.")]


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
def verify(publication_file: Annotated[Path, typer.Argument(help="The publication JSON.")], rpc: RpcOption,
           bitcoin: BitcoinOption = None) -> None:
    """Re-check a publication at its block: balances, owners, threshold, every signature; the
    Bitcoin lines' balances at their height."""
    from digisom.chain.errors import ChainError  # noqa: PLC0415 - `digisom --help` must not load the EVM stack
    from digisom.chain.reserve_multisig import RpcReserveReader  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.reserve import publication  # noqa: PLC0415
    from digisom.reserve.bitcoin_balances import open_source  # noqa: PLC0415

    document = _json_file(publication_file)
    try:
        failures = publication.verify(document, RpcReserveReader(RpcChain.connect(rpc)),
                                      None if bitcoin is None else open_source(bitcoin))
    except ReserveError as error:
        raise _fail(str(error)) from None
    except ChainError as error:
        raise _fail(f"chain: {error}") from None
    typer.echo(json.dumps({"ok": not failures, "failures": failures}, indent=2))
    if failures:
        raise typer.Exit(EXIT_FAILED)


@reserve_app.command()
def publish(
        policy_file: Annotated[Path, typer.Argument(help="The reserve policy TOML (wallet, assets).")],
        rpc: RpcOption,
        owner_key_file: Annotated[list[Path], typer.Option(help="An owner's hex key file; repeat, threshold times.")],
        eoa_key_file: Annotated[list[Path] | None, typer.Option(help="A reserve EOA's hex key file; repeat.")] = None,
        block: Annotated[int | None, typer.Option(min=0, help="The block (default: the head).")] = None,
        day: Annotated[str | None, typer.Option("--date", help="Publication date (default: today, UTC).")] = None,
        out: Annotated[Path | None, typer.Option(help="Write the publication here (default: stdout).")] = None,
        api: Annotated[str | None, typer.Option(help="Post it to this digisom API base URL.")] = None,
        token: Annotated[str | None, typer.Option(envvar="DIGISOM_TOKEN", help="A reserve officer's token.")] = None,
        key: Annotated[str | None, typer.Option("--key", help="Idempotency key (default: the root).")] = None,
        bitcoin: BitcoinOption = None,
) -> None:
    """Build, sign, self-check and (optionally) post a publication of the reserve's holdings."""
    from datetime import UTC, date, datetime  # noqa: PLC0415

    from digisom.chain.errors import ChainError, KeyMissing  # noqa: PLC0415 - the EVM stack loads on use
    from digisom.chain.keys import load_key  # noqa: PLC0415
    from digisom.chain.reserve_multisig import RpcReserveReader  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.reserve import publication  # noqa: PLC0415
    from digisom.reserve.bitcoin_balances import open_source  # noqa: PLC0415
    from digisom.reserve.policy import load_policy  # noqa: PLC0415
    from digisom.reserve.publisher import bitcoin_lines, signed_publication  # noqa: PLC0415

    try:
        policy = load_policy(policy_file)
        published_on = date.fromisoformat(day).isoformat() if day else datetime.now(UTC).date().isoformat()
        owners = [bytes(load_key(path).key) for path in owner_key_file]
        eoas = [bytes(load_key(path).key) for path in eoa_key_file or ()]
        rpc_chain = RpcChain.connect(rpc)
        reader = RpcReserveReader(rpc_chain)
        at_block = rpc_chain.block_number() if block is None else block
        source = None if bitcoin is None else open_source(bitcoin)
        watched = bitcoin_lines(source, policy.bitcoin) if source is not None else []
        document = signed_publication(published_on, reader, at_block, list(policy.assets.values()), policy.wallet,
                                      owners, eoas, watched)
        failures = publication.verify(document, reader, source)
    except (ReserveError, KeyMissing) as error:
        raise _fail(str(error)) from None
    except ValueError:
        raise _fail("--date must be YYYY-MM-DD") from None
    except ChainError as error:
        raise _fail(f"chain: {error}") from None
    if failures:  # e.g. fewer owner keys than the threshold: nothing is written or posted
        typer.echo(json.dumps({"ok": False, "failures": failures}, indent=2))
        raise typer.Exit(EXIT_FAILED)
    text = json.dumps(document, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
    if api is not None:
        _post(api, token, key or document["root"], document)


def _post(api: str, token: str | None, key: str, document: dict[str, Any]) -> None:
    import httpx  # noqa: PLC0415

    if not token:
        raise _fail("--api needs --token (or $DIGISOM_TOKEN): a reserve officer's")
    try:
        answer = httpx.post(api.rstrip("/") + "/v1/reserve/publications", json=document, timeout=60.0,
                            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
    except httpx.HTTPError as error:
        raise _fail(f"cannot post to {api}: {type(error).__name__}") from None
    if answer.status_code != 201:
        raise _fail(f"the API refused the publication: {answer.status_code} {answer.text[:500]}", EXIT_FAILED)
    typer.echo(f"published: {api.rstrip('/')}/v1/reserve/publications/{document['root']}", err=True)


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
