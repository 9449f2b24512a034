"""`digisom disburse programme|upload|approve|run|report`: government payments from the
command line, on the same database as `digisom serve --data DIR` (or `--db URL`).

    digisom disburse programme pensions --name Pensions --source-wallet w... --budget-tyiyn 50000000000
    digisom disburse upload pensions-2026-11.csv --programme pensions --period 2026-11 \\
        --operator treasury-clerk --key pensions-2026-11
    digisom disburse approve run_... --operator treasury-supervisor
    digisom disburse run run_...                      # a progress bar, batch by batch
    digisom disburse report run_... --format csv --out pensions-2026-11-report.csv

A refused file prints every bad row (line, reason, detail) and exits 2; any other refusal
prints one line and exits 1. An interrupted `run` is safe: run it again to resume.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from digisom.api.runtime import build
from digisom.disbursement import model, reconciliation
from digisom.disbursement.http.executions import DisbursementRuntime
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.disbursement.model import FileFormat
from digisom.disbursement.parsing import FILE_BYTES_MAX, FileRefused
from digisom.errors import DigisomError
from digisom.http.services import filled
from digisom.ledger.model import BATCH_EVENTS_MAX

disburse_app = typer.Typer(help="Government payments: programmes, upload, approve, run, report, return, repay.",
                           no_args_is_help=True)

EXIT_REFUSED: Final = 2
EXIT_ERROR: Final = 1
EXIT_INTERRUPTED: Final = 130

DataOption = Annotated[Path, typer.Option("--data", help="The data folder (its digisom.db).")]
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL instead of DIR/digisom.db.")]
OperatorOption = Annotated[str, typer.Option("--operator", help="Who acts (an operator id; audited).")]
DEFAULT_DATA: Final = Path(".data")


class ReportFormat(StrEnum):
    """How `report` renders."""

    CSV = "csv"
    JSON = "json"


@contextmanager
def _disbursement(data: Path, db: str | None) -> Iterator[DisbursementRuntime]:
    """The disbursement services on the data folder's database; typed errors become exit codes."""
    try:
        runtime = build(data_dir=data, db_url=db)
    except (DigisomError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    try:
        found: DisbursementRuntime = filled(runtime.app, DISBURSEMENT)
        yield found
    except FileRefused as refused:
        _print_refusal(refused)
        raise typer.Exit(EXIT_REFUSED) from None
    except DigisomError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        runtime.close()


def _print_refusal(refused: FileRefused) -> None:
    report = refused.report
    typer.echo(f"refused: {len(report.errors) + report.left_off} errors; nothing was recorded", err=True)
    for e in report.errors:
        where = "file" if e.line == 0 else f"line {e.line}"
        pin = f" pin {e.pin}" if e.pin else ""
        typer.echo(f"{where}: {e.reason.value}{pin}: {e.detail}", err=True)
    if report.left_off:
        typer.echo(f"... and {report.left_off} more", err=True)


def _run_line(run: model.Run) -> str:
    return (f"{run.id} {run.status.value}: programme {run.programme_id}, period {run.period}, {run.rows} payees, "
            f"{run.total_tyiyn} tyiyn")


@disburse_app.command("programme")
def programme(
    programme_id: Annotated[str, typer.Argument(help="The programme's id, e.g. pensions.")],
    name: Annotated[str, typer.Option("--name", help="Its name.")],
    source_wallet: Annotated[str, typer.Option("--source-wallet",
                                               help="The wallet of the treasury or a ministry it pays from.")],
    budget_tyiyn: Annotated[int, typer.Option("--budget-tyiyn", help="Its budget line, integer tyiyn.")],
    benefit_scheme: Annotated[str, typer.Option("--benefit-scheme",
                                                help="Pay a purpose-bound benefit scheme (default: cash).")] = "",
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Create a programme and its budget line."""
    with _disbursement(data, db) as runtime:
        created = runtime.service.create_programme(programme_id, name, source_wallet, budget_tyiyn,
                                                   benefit_scheme=benefit_scheme)
    typer.echo(f"{created.id}: {created.name}, budget {created.budget_tyiyn} tyiyn "
               f"from wallet {created.source_wallet_id}")


@disburse_app.command("upload")
def upload(
    file: Annotated[Path, typer.Argument(help="The payment file (CSV or pain.001).", exists=True, dir_okay=False)],
    programme_id: Annotated[str, typer.Option("--programme", help="The programme paying.")],
    period: Annotated[str, typer.Option("--period", help="The month paid, YYYY-MM.")],
    operator: OperatorOption,
    key: Annotated[str, typer.Option("--key", help="Idempotency key: the same key and file again is a no-op.")],
    file_format: Annotated[FileFormat, typer.Option("--format", help="csv or pain.001.")] = FileFormat.CSV,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Check a file row by row and record it as a run awaiting approval (or print why not)."""
    if file.stat().st_size > FILE_BYTES_MAX:
        typer.echo(f"error: {file} is over {FILE_BYTES_MAX} bytes; split it", err=True)
        raise typer.Exit(EXIT_REFUSED)
    content = file.read_bytes()
    with _disbursement(data, db) as runtime:
        run = runtime.service.upload(operator, key, programme_id, period, content, file_format)
    typer.echo(_run_line(run))


@disburse_app.command("approve")
def approve(
    run_id: Annotated[str, typer.Argument(help="The run.")],
    operator: OperatorOption,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Approve a run: a different operator from the one who uploaded it."""
    with _disbursement(data, db) as runtime:
        run = runtime.service.approve(operator, run_id)
    typer.echo(_run_line(run))


@disburse_app.command("run")
def run(
    run_id: Annotated[str, typer.Argument(help="The approved run.")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=BATCH_EVENTS_MAX,
                                            help="Payments per ledger batch.")] = BATCH_EVENTS_MAX,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Pay an approved run (or resume an interrupted one), with a progress bar per batch."""
    with _disbursement(data, db) as runtime:
        service = runtime.service
        start = service.progress(run_id)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[tally]}"), TimeElapsedColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task("payees", total=start.rows, completed=start.rows - start.pending, tally=_tally(start))

            def on_batch(progress: model.Progress) -> None:
                bar.update(task, completed=progress.rows - progress.pending, tally=_tally(progress))

            try:
                final = service.execute(run_id, batch_size, on_batch=on_batch)
            except KeyboardInterrupt:
                typer.echo("interrupted: every recorded batch stands; run again to resume", err=True)
                raise typer.Exit(EXIT_INTERRUPTED) from None
    typer.echo(f"{run_id} {final.status.value}: {_tally(final)}")


@disburse_app.command("return")
def record_return(
    run_id: Annotated[str, typer.Argument(help="The run.")],
    pin: Annotated[str, typer.Option("--pin", help="The recipient whose payment came back.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, as the receiving bank said (account_closed, ...).")],
    operator: OperatorOption,
    key: Annotated[str, typer.Option("--key", help="Idempotency key: the same key again is a no-op.")],
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Record a payment the receiving bank sent back: the money returns to the treasury and
    the budget line; the recipient can be paid again with `repay`."""
    with _disbursement(data, db) as runtime:
        returned = runtime.service.record_return(operator, run_id, pin, reason, key)
    typer.echo(f"{returned.id}: {returned.amount_tyiyn} tyiyn to {returned.pin} returned ({returned.reason}), "
               f"transfer {returned.transfer_id}")


@disburse_app.command("repay")
def repay(
    run_id: Annotated[str, typer.Argument(help="The completed run.")],
    operator: OperatorOption,
    key: Annotated[str, typer.Option("--key", help="Idempotency key: the same key again is a no-op.")],
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Pay again the run's unclaimed, refused and returned recipients who now have a destination."""
    with _disbursement(data, db) as runtime:
        repaid = runtime.service.repay(operator, run_id, key)
    typer.echo(f"{repaid.id}: {repaid.recipients} recipients, {repaid.total_tyiyn} tyiyn; "
               f"{run_id} {repaid.progress.status.value}: {_tally(repaid.progress)}")


def _tally(progress: model.Progress) -> str:
    return (f"paid {progress.paid} ({progress.paid_tyiyn} tyiyn), unclaimed {progress.unclaimed}, "
            f"rejected {progress.rejected}, batches {progress.batches_done}")


@disburse_app.command("report")
def report(
    run_id: Annotated[str, typer.Argument(help="The run.")],
    report_format: Annotated[ReportFormat, typer.Option("--format", help="csv or json.")] = ReportFormat.CSV,
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """The reconciliation report: every payee's outcome and ledger transfer id."""
    with _disbursement(data, db) as runtime:
        found = runtime.service.reconciliation(run_id)
    text = reconciliation.to_csv(found) if report_format is ReportFormat.CSV else reconciliation.to_json(found) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{out}: {len(found.lines)} payees")
