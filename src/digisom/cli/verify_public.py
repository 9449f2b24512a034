"""`digisom verify-public --base-url URL`: download the public transparency log and check it
(docs/transparency.md, "How to verify").

    digisom verify-public --base-url https://api.example.kg [--key HEX] [--rpc-url URL] [--state FILE]

Checks every signed tree head's signature (with `--key`, the published key must be that
one), consistency between successive heads (and from the head a `--state` file remembers
to the newest), every entry against its leaf hash and the newest signed root, every
record's inclusion proof, every anchor's digest and, with `--rpc-url`, the anchoring
transaction on the chain; then recomputes the public figures from the records. Exit 0 with
a summary, or 1 naming the first discrepancy; 2 when the log cannot be read. The checks
themselves are `digisom.api.public_verifier`'s (the demo runs the same)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Final

import httpx
import typer

from digisom.api.public_verifier import verify_public_log
from digisom.transparency import verify as v

EXIT_DISCREPANCY: Final = 1
EXIT_UNREADABLE: Final = 2
HTTP_TIMEOUT_S: Final = 30.0


def verify_public(
    base_url: Annotated[str, typer.Option("--base-url", help="The API's base URL, e.g. https://api.example.kg")],
    key: Annotated[str | None, typer.Option(help="The log's Ed25519 public key (hex) to expect.")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL of the anchoring chain's node.")] = None,
    state: Annotated[Path | None, typer.Option(help="A file remembering the last head seen (read, then updated).")]
    = None,
) -> None:
    """Download the public transparency log and check every signature, proof and anchor."""
    chain = None
    if rpc_url is not None:
        from digisom.chain.rpc import RpcChain  # noqa: PLC0415 - the EVM stack, only with a chain

        chain = RpcChain.connect(rpc_url)
    try:
        public_key = bytes.fromhex(key) if key else None
    except ValueError:
        typer.echo("error: --key is not hex", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    try:
        with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client:
            findings = verify_public_log(client, public_key=public_key, chain=chain, state_path=state)
    except httpx.HTTPError as error:
        typer.echo(f"error: {base_url} cannot be read ({error})", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    except v.Discrepancy as error:
        typer.echo(f"DISCREPANCY: {error}", err=True)
        raise typer.Exit(EXIT_DISCREPANCY) from None
    typer.echo(json.dumps({"ok": True, "signed_tree_heads": findings.heads, "entries": findings.entries,
                           "inclusion_proofs": findings.inclusion_proofs,
                           "consistency_proofs": findings.consistency_proofs, "anchors": findings.anchors,
                           "figures_recomputed": findings.figures}))
