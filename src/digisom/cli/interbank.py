"""`digisom interbank …`: the RTGS from the command line, on the same database as the API.

    digisom interbank submit payment.xml [--db URL]   # prints the pacs.002; exit 1 if RJCT
    digisom interbank eod [--date YYYY-MM-DD] [--db URL]
    digisom interbank register-bank CODE --name NAME [--bic BIC] [--db URL]

One RTGS writer per database at a time (docs/interbank.md): run these against a database
no API server is settling on, or use the API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Final

import typer

from digisom.api.interbank_wiring import build_rtgs
from digisom.api.runtime import database_url, domain_engine
from digisom.interbank.errors import RtgsError
from digisom.interbank.iso20022 import MAX_INBOUND_MESSAGE_BYTES, TransactionStatus
from digisom.interbank.ports import NO_PARTY_SCREENING
from digisom.interbank.rtgs import Rtgs

DEFAULT_DATA_DIR: Final = Path(".data")

interbank_app = typer.Typer(help="Interbank settlement (RTGS): ISO 20022 messages, end of day.",
                            no_args_is_help=True)
DbOption = Annotated[str | None, typer.Option("--db", help="sqlite:///path/file.db or postgresql://...")]
DataOption = Annotated[Path, typer.Option("--data", help="Data directory of the default SQLite database.")]


@contextmanager
def _rtgs(data: Path, db: str | None) -> Iterator[Rtgs]:
    url = database_url(data, db)
    engine = domain_engine(url)
    rtgs, close = build_rtgs(engine, url, screening=NO_PARTY_SCREENING)  # no sanctions lists in this command
    try:
        yield rtgs
    except RtgsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        close()
        engine.dispose()


@interbank_app.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(help="A pacs.008, pacs.009 or pacs.004 (XML).", exists=True,
                                         dir_okay=False)],
    db: DbOption = None,
    data: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Settle one message; print the pacs.002 that answers it (status on stderr)."""
    with file.open("rb") as stream:
        xml = stream.read(MAX_INBOUND_MESSAGE_BYTES + 1)  # one byte over: the parser refuses it
    with _rtgs(data, db) as rtgs:
        answer = rtgs.submit(xml)
    sys.stdout.buffer.write(answer.xml)
    typer.echo(json.dumps({"status": answer.status.value, "reason_code": answer.reason_code,
                           "duplicate": answer.duplicate}), err=True)
    if answer.status is TransactionStatus.REJECTED:
        raise typer.Exit(1)


@interbank_app.command("eod")
def end_of_day(
    day: Annotated[str | None, typer.Option("--date", help="Business day (default: today in Bishkek).")] = None,
    db: DbOption = None,
    data: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Close the business day and print its report (JSON)."""
    try:
        business_date = date.fromisoformat(day) if day else None
    except ValueError:
        typer.echo("error: --date is YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    with _rtgs(data, db) as rtgs:
        report = rtgs.end_of_day(business_date)
    typer.echo(json.dumps({
        "business_date": report.business_date.isoformat(), "settled_by_final_lsm": report.settled_by_final_lsm,
        "rejected": report.rejected,
        "banks": [{"bank_code": b.bank_code, "closing_balance_tyiyn": str(b.closing_balance_tyiyn),
                   "credit_unpaid_tyiyn": str(b.credit_unpaid_tyiyn), "credit_flagged": b.flagged,
                   "rejected_payments": b.rejected_payments, "statement_message_id": b.statement_message_id}
                  for b in report.banks],
    }))


@interbank_app.command("register-bank")
def register_bank(
    bank_code: Annotated[str, typer.Argument(help="The bank's code, e.g. AYIL.")],
    name: Annotated[str, typer.Option("--name", help="The bank's name.")],
    bic: Annotated[str | None, typer.Option("--bic", help="Its BIC, if it has one.")] = None,
    db: DbOption = None,
    data: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Make a bank a participant of the RTGS (idempotent)."""
    with _rtgs(data, db) as rtgs:
        bank = rtgs.register_bank(bank_code, name, bic)
    typer.echo(json.dumps({"bank_code": bank.bank_code, "bic": bank.bic,
                           "settlement_account_id": str(bank.settlement_account_id)}))
