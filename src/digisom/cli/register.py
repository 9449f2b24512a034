"""`digisom register verify EXPORT.json --key HEX`: an outsider checks the register's
exported log (order, hash chain, Ed25519 signatures) with the register's public key; exit
0, or 1 naming each event that fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from digisom.registry.chain import verify_chain

register_app = typer.Typer(help="The State Register of Digital Assets.", no_args_is_help=True)


@register_app.callback()
def _group() -> None:
    """The register's commands (a group, even with one command)."""


@register_app.command("verify")
def verify(export: Path, key: Annotated[str, typer.Option(help="The register's public key, 64 hex digits.")]) -> None:
    """Check an export of `/v1/register/export`."""
    document = json.loads(export.read_text(encoding="utf-8"))
    try:
        public = bytes.fromhex(key)
    except ValueError:
        typer.echo("the key is not hex", err=True)
        raise typer.Exit(2) from None
    problems = verify_chain(document.get("events", []), public)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"ok: {len(document.get('events', []))} events, chained and signed by {key}")
