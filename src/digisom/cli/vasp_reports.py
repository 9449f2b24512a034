"""`digisom vasp-reports`: an outsider's check of the published VASP volume reports.

    digisom vasp-reports recompute EXPORT.json

reads an export (`GET /v1/vasp-reports/{period}/export`: every version of every report
with its signature and the VASP's licence key, and the published aggregates), checks
every signature and that no version is missing, derives the aggregates again from the
latest versions and prints one JSON object: `{"ok", "reports", "problems", "aggregates"}`.
Exit 0 when everything verifies and equals the published aggregates, 1 when not, 2 for a
file that is not an export.

    digisom vasp-reports canonical REPORT.json

prints the canonical bytes of a report (RFC 8785), what its VASP signs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from digisom.vasp_reports.errors import VaspReportError
from digisom.vasp_reports.export import recompute
from digisom.vasp_reports.report import canonical_bytes, parse_report

vasp_reports_app = typer.Typer(help="Check the published VASP volume reports and their aggregates.",
                               no_args_is_help=True)

EXIT_DIFFERS: Final = 1
EXIT_REFUSED: Final = 2
# An export of a month of 100+ VASPs with amendments is a few MiB; far above that is not one.
EXPORT_BYTES_MAX: Final = 256 * 1024 * 1024


def _read_json(path: Path) -> Any:
    try:
        if path.stat().st_size > EXPORT_BYTES_MAX:
            raise _fail(f"{path.name} is over {EXPORT_BYTES_MAX} bytes")
        return json.loads(path.read_bytes())
    except OSError as error:
        raise _fail(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise _fail(f"{path.name} is not JSON: {error}") from None


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_REFUSED)


@vasp_reports_app.command("recompute")
def recompute_command(export: Annotated[Path, typer.Argument(help="The published export (JSON).")]) -> None:
    """Verify every report's signature and recompute the aggregates; exit 0 if they equal the published ones."""
    try:
        found = recompute(_read_json(export))
    except VaspReportError as error:
        raise _fail(error.detail) from None
    sys.stdout.write(json.dumps({"ok": found.ok, "reports": found.reports, "problems": found.problems,
                                 "aggregates": found.aggregates}, indent=2) + "\n")
    if not found.ok:
        raise typer.Exit(EXIT_DIFFERS)


@vasp_reports_app.command("canonical")
def canonical_command(report: Annotated[Path, typer.Argument(help="A report (JSON).")]) -> None:
    """Print the canonical bytes of a report: what its VASP signs."""
    try:
        parsed = parse_report(_read_json(report))
    except VaspReportError as error:
        raise _fail(error.detail) from None
    sys.stdout.buffer.write(canonical_bytes(parsed))
