"""`digisom log`: the public transparency log's operator commands (docs/transparency.md).

    digisom log checkpoint [--data DIR | --db URL] [--key PEM] [--rpc-url URL --chain-key-file FILE]

`checkpoint` logs what the domains have published since the last one and the ledger
journal's head, signs a tree head and, with `--rpc-url`, anchors it on that chain from the
chain key (`--chain-key-file`, else the DIGISOM_CHAIN_KEY environment variable). Run it
from a timer (cron, a systemd timer): it prints the signed head as JSON. The API serves
the result; anyone checks it with `digisom verify-public`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Final

import typer

from digisom.api.runtime import build
from digisom.api.transparency_wiring import CHECKPOINT, chain_anchorer
from digisom.cli.serve import DEFAULT_DATA_DIR, DataOption, KeyOption
from digisom.http.services import filled

log_app = typer.Typer(help="The public transparency log: checkpoints (sign and anchor).", no_args_is_help=True)

CONFIRMATIONS: Final = 1


@log_app.command("checkpoint")
def checkpoint(
    data: DataOption = DEFAULT_DATA_DIR,
    db: Annotated[str | None, typer.Option("--db", help="postgresql://... instead of the data dir's SQLite.")] = None,
    key: KeyOption = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL of the chain to anchor on.")] = None,
    chain_key_file: Annotated[Path | None, typer.Option(help="The anchoring account's hex key file.")] = None,
    confirmations: Annotated[int, typer.Option(min=1, help="Blocks to wait for the anchor.")] = CONFIRMATIONS,
) -> None:
    """Log what was published, sign a tree head and anchor it; print the head."""
    anchorer = None if rpc_url is None else chain_anchorer(rpc_url, chain_key_file, confirmations)
    runtime = build(data_dir=data, db_url=db, key_path=key, log_anchorer=anchorer)
    try:
        head = filled(runtime.app, CHECKPOINT)()
    finally:
        runtime.close()
    typer.echo(json.dumps(head.as_json()))
