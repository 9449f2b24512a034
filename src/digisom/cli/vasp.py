"""`digisom vasp list | show VASP_ID`: licensed virtual-asset service providers, read from
the register on the same database as `digisom serve --data DIR` (or `--db URL`).

    digisom vasp list                       # the public list of licences (JSON), by number
    digisom vasp list --status suspended    # only those suspended (licensed, revoked)
    digisom vasp show vasp-ala-too-exchange # the application, a pending review and the licence

A VASP that is not in the register prints one line and exits 1.
"""

from __future__ import annotations

from typing import Annotated

import typer

from digisom.cli.register import DEFAULT_DATA, DataOption, DbOption, echo_json, services

vasp_app = typer.Typer(help="Licensed virtual-asset service providers (VASPs).", no_args_is_help=True)


@vasp_app.command("list")
def list_licences(data: DataOption = DEFAULT_DATA, db: DbOption = None,
                  status: Annotated[str | None, typer.Option(
                      "--status", help="licensed, suspended or revoked (default: every licence).")] = None) -> None:
    """Every licence granted, with its status, by number (what GET /v1/vasps answers)."""
    from digisom.registry.licensing import VaspStatus  # noqa: PLC0415

    if status not in (None, "licensed", "suspended", "revoked"):
        typer.echo("error: --status is licensed, suspended or revoked", err=True)
        raise typer.Exit(2)
    with services(data, db, None) as s:
        echo_json({"items": [x.as_json() for x in s.licensing.licences(VaspStatus(status) if status else None)]})


@vasp_app.command("show")
def show(vasp_id: str, data: DataOption = DEFAULT_DATA, db: DbOption = None) -> None:
    """One VASP: its application, a pending review and its licence."""
    with services(data, db, None) as s:
        echo_json(s.licensing.vasp(vasp_id).as_json())
