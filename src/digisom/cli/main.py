"""The `digisom` command line: the ledger's machine interface and the demo.

The other commands (the API, tokens, the chain, offline, interbank, disbursement, USDKG) live
in their own modules and are loaded only when one of them runs: `digisom ledger verify`
never imports FastAPI, a domain or the EVM stack."""

from __future__ import annotations

import importlib
import json
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Annotated, Final, TypeVar

import typer
import typer.main
from typer._click.core import Command, Context  # typer ships its own click; the group API takes its types
from typer.core import TyperGroup

from digisom.kernel.chart_audit import audit_chart
from digisom.ledger.audit import verify
from digisom.ledger.jsonio import (
    JSON_LINE_MAX_BYTES,
    ParsedAccount,
    ParsedTransfer,
    account_json,
    parse_account_line,
    parse_transfer_line,
)
from digisom.ledger.model import BATCH_EVENTS_MAX, U128_MAX, Account, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.url import StoreUrlError, open_store

# Command name -> (module, attribute): a Typer app (a group) or a function (one command).
LAZY_COMMANDS: Final = {
    "serve": ("digisom.cli.serve", "serve"),
    "token": ("digisom.cli.tokens", "token_app"),
    "chain": ("digisom.cli.chain", "chain_app"),
    "offline": ("digisom.cli.offline", "offline_app"),
    "interbank": ("digisom.cli.interbank", "interbank_app"),
    "disburse": ("digisom.cli.disburse", "disburse_app"),
    "usdkg": ("digisom.cli.usdkg", "usdkg_app"),
    "compliance": ("digisom.cli.compliance", "compliance_app"),
    "register": ("digisom.cli.register", "register_app"),
    "vasp": ("digisom.cli.vasp", "vasp_app"),
    "vasp-reports": ("digisom.cli.vasp_reports", "vasp_reports_app"),
    "por": ("digisom.cli.por", "por_app"),
    "invoice": ("digisom.cli.invoice", "invoice_app"),
    "reserve": ("digisom.cli.reserve", "reserve_app"),
    "verify-public": ("digisom.cli.verify_public", "verify_public"),
    "log": ("digisom.cli.log", "log_app"),
    "console": ("digisom.cli.console", "console_app"),
}


class LazyGroup(TyperGroup):
    """The top-level group: `LAZY_COMMANDS` are imported when asked for, not at start."""

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = LAZY_COMMANDS[cmd_name]
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            command: Command = typer.main.get_group(target)
        else:
            single = typer.Typer()
            single.command(cmd_name)(target)
            command = typer.main.get_command(single)
        command.name = cmd_name
        return command


app = typer.Typer(help="digisom: national digital money on a double-entry ledger.", no_args_is_help=True,
                  cls=LazyGroup)
ledger_app = typer.Typer(help="The ledger's machine interface: JSON lines in, JSON lines out.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")

DbOption = Annotated[str, typer.Option("--db", help="sqlite:///path/file.db or postgresql://...")]
BatchOption = Annotated[
    int, typer.Option("--batch-size", min=1, max=BATCH_EVENTS_MAX, help="Events per committed batch.")
]
DEFAULT_BATCH_SIZE: Final = BATCH_EVENTS_MAX
PROJECTION_LISTED_MAX: Final = 20  # `ledger verify` lists at most this many projection discrepancies

_Event = TypeVar("_Event", Account, Transfer)
_Result = TypeVar("_Result", CreateAccountResult, CreateTransferResult)


def _open_ledger(db: str, *, project_behind: bool = False) -> Ledger:
    try:
        return Ledger(open_store(db, project_behind=project_behind))
    except StoreUrlError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _input_lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """Lines without their newline; None for a line over the size limit (read and dropped)."""
    while True:
        line = stream.readline(JSON_LINE_MAX_BYTES + 1)
        if not line:
            return
        if len(line) > JSON_LINE_MAX_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(JSON_LINE_MAX_BYTES)
            yield None
            continue
        yield line.rstrip(b"\r\n")


def _run_batches(
    parse: Callable[[bytes], _Event | tuple[_Result, str]],
    create_many: Callable[[Iterable[Sequence[_Event | _Result]]], Iterator[list[_Result]]],
    oversize: _Result,
    batch_size: int,
) -> None:
    """Read JSON lines from stdin, commit them in batches (the engine runs on one batch
    while the one before commits), write one result line each as its batch is durable."""
    out = sys.stdout
    # Per batch read and not yet answered: its parse errors by position.
    unanswered: deque[dict[int, str]] = deque()

    def batches() -> Iterator[list[_Event | _Result]]:
        batch: list[_Event | _Result] = []
        errors: dict[int, str] = {}
        for raw in _input_lines(sys.stdin.buffer):
            parsed = (oversize, f"line longer than {JSON_LINE_MAX_BYTES} bytes") if raw is None else parse(raw)
            if isinstance(parsed, Account | Transfer):
                batch.append(parsed)
            else:
                errors[len(batch)] = parsed[1]
                batch.append(parsed[0])
            if len(batch) == batch_size:
                unanswered.append(errors)
                yield batch
                batch, errors = [], {}
        if batch:
            unanswered.append(errors)
            yield batch

    index = 0
    for results in create_many(batches()):
        errors = unanswered.popleft()
        for offset, result in enumerate(results):
            line: dict[str, object] = {"index": index + offset, "result": result.name}
            if offset in errors:
                line["error"] = errors[offset]
            out.write(json.dumps(line) + "\n")
        out.flush()
        index += len(results)


@ledger_app.command("create-accounts")
def create_accounts(db: DbOption, batch_size: BatchOption = DEFAULT_BATCH_SIZE) -> None:
    """Create accounts from JSON lines on stdin: {"id", "ledger", "code", "flags"}."""
    ledger = _open_ledger(db)
    try:
        parse: Callable[[bytes], ParsedAccount] = parse_account_line
        _run_batches(parse, ledger.create_accounts_many, CreateAccountResult.malformed, batch_size)
    finally:
        ledger.store.close()


@ledger_app.command("create-transfers")
def create_transfers(
    db: DbOption,
    batch_size: BatchOption = DEFAULT_BATCH_SIZE,
    project_behind: Annotated[bool, typer.Option(
        "--project-behind", help="PostgreSQL: commit without the transfer rows; a projector writes them behind "
        "(docs/adr/0012-transfer-projection.md). All are projected before the command ends.")] = False,
) -> None:
    """Create transfers from JSON lines on stdin (ids and amounts as decimal strings)."""
    ledger = _open_ledger(db, project_behind=project_behind)
    try:
        parse: Callable[[bytes], ParsedTransfer] = parse_transfer_line
        _run_batches(parse, ledger.create_transfers_many, CreateTransferResult.malformed, batch_size)
    finally:
        ledger.store.close()


@ledger_app.command("lookup-accounts")
def lookup_accounts(db: DbOption, account_ids: Annotated[list[str], typer.Argument(help="Decimal ids.")]) -> None:
    """Print one JSON line per id: the account's balances, or not_found."""
    ledger = _open_ledger(db)
    try:
        for text in account_ids:
            if not (text.isascii() and text.isdigit() and len(text) <= 39 and int(text) <= U128_MAX):
                typer.echo(json.dumps({"id": text, "result": "invalid_integer"}))
                continue
            found = ledger.lookup_accounts([int(text)])
            if not found:
                typer.echo(json.dumps({"id": text, "result": "not_found"}))
                continue
            full = account_json(found[0])
            keys = ("id", "debits_pending", "debits_posted", "credits_pending", "credits_posted")
            typer.echo(json.dumps({key: full[key] for key in keys}))
    finally:
        ledger.store.close()


@ledger_app.command("verify")
def verify_command(
    db: DbOption,
    chart: Annotated[bool, typer.Option("--chart", help="Also check every account and transfer against digisom's "
                                        "chart of accounts (which domain may post what).")] = False,
) -> None:
    """Recompute every balance from the journal and compare; exit 1 at the first discrepancy.
    On PostgreSQL, also check the transfer table against the journal's records."""
    ledger = _open_ledger(db)
    try:
        report = verify(ledger.store)
        chart_report = audit_chart(ledger.store) if chart else None
        # Only PostgreSQL's transfer table is a projection (docs/adr/0012-transfer-projection.md).
        check_projection = getattr(ledger.store, "projection_discrepancies", None)
        projection = check_projection() if check_projection is not None else []
    finally:
        ledger.store.close()
    summary: dict[str, object] = {
        "ok": report.ok and (chart_report is None or chart_report.ok) and not projection,
        "batches": report.batches,
        "accounts": report.accounts,
        "transfers": report.transfers,
        "discrepancy": report.discrepancy,
    }
    if check_projection is not None:
        summary["projection_discrepancies"] = projection[:PROJECTION_LISTED_MAX]
    if chart_report is not None:
        summary["chart_violations"] = chart_report.violation_count
        summary["chart_violations_listed"] = chart_report.violations
    typer.echo(json.dumps(summary))
    if not summary["ok"]:
        raise typer.Exit(1)


@app.command("demo")
def demo_command(
    data: Annotated[Path | None, typer.Option(help="Keep the database in this folder.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write what the demo produced into this folder.")] = None,
) -> None:
    """Tell the digisom story on the embedded default (SQLite)."""
    from digisom.demos.run import run_demo  # noqa: PLC0415 -- every domain and the EVM: only when the demo runs

    if not run_demo(data, out):
        raise typer.Exit(1)


def main() -> None:
    """Console entry point."""
    app()
