"""`digisom usdkg bars import | coverage | audit import | audit sign | mint | redeem`: the
gold-backed dollar's issuer from the command line, on the same database as `digisom serve
--data DIR` (or `--db URL`).

    digisom usdkg bars import weight-list.csv --vault bishkek-1 --custodian vault_bank \\
        --at 2026-12-01T09:00:00Z --key-file custodian.pem     # or --signature HEX
    digisom usdkg coverage                     # the figure as JSON; --format csv, --publish
    digisom usdkg audit import count.csv --date 2026-11-30 --auditor kreston_like
    digisom usdkg audit sign 1 --key-file auditor.pem          # or --signature HEX
    digisom usdkg mint --chain 1,https://eth.example,0xTOKEN --chain 56,https://bsc.example,0xTOKEN \\
        --on 56 --to 0xHOLDER --amount-units 1000000 --operation-id mint-2026-12-07-1 --minter-key-file minter.key
    digisom usdkg redeem --chain ... --on 56 --amount-units 1000000 --operation-id redeem-1 \\
        --minter-key-file minter.key

A signature is made here from the signer's key file (Ed25519, PEM) or given as hex, made
elsewhere over the same body (docs/usdkg.md). A refused file prints every refused row
(row, serial, rule, detail) and exits 2; any other refusal prints one line and exits 1.

`mint` and `redeem` name every chain USDKG lives on (`--chain ID,RPC,TOKEN`, repeated):
coverage reads the supply of each, and a mint passes only within coverage, under the
issuer's mint lock, recorded under `--operation-id` before the chain is asked (the
issuer's one path, `UsdkgIssuer`): the same id again is answered from the record.
Elsewhere no chain is configured: the supply reads 0 and the figure says `chains: []`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from digisom.api.runtime import database_url, domain_engine
from digisom.api.usdkg_chains import SPEC_FORM, InvalidChainSpec, connect_tokens, parse_chain_specs
from digisom.api.usdkg_wiring import build_issuer
from digisom.errors import DigisomError
from digisom.kernel.clock import utc_now
from digisom.usdkg import reports, signing
from digisom.usdkg.audits import signed_body
from digisom.usdkg.errors import RowsRefused
from digisom.usdkg.issuer import Issuer
from digisom.usdkg.operations import Operation
from digisom.usdkg.register import arrival_body
from digisom.usdkg.weight_list import FILE_BYTES_MAX

usdkg_app = typer.Typer(help="USDKG, the gold-backed dollar: bars, coverage, audits.", no_args_is_help=True)
bars_app = typer.Typer(help="The gold bar register.", no_args_is_help=True)
audit_app = typer.Typer(help="Audits: import the auditor's count, sign the result.", no_args_is_help=True)
usdkg_app.add_typer(bars_app, name="bars")
usdkg_app.add_typer(audit_app, name="audit")

EXIT_REFUSED: Final = 2
EXIT_ERROR: Final = 1
KEY_FILE_BYTES_MAX: Final = 4096

DataOption = Annotated[Path, typer.Option("--data", help="The data folder (its digisom.db).")]
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL instead of DIR/digisom.db.")]
KeyFileOption = Annotated[Path | None, typer.Option("--key-file", help="The signer's Ed25519 key (PEM): sign here.",
                                                    exists=True, dir_okay=False)]
SignatureOption = Annotated[str | None, typer.Option("--signature", help="A signature made elsewhere (hex).")]
DEFAULT_DATA: Final = Path(".data")


class FigureFormat(StrEnum):
    """How `coverage` prints."""

    JSON = "json"
    CSV = "csv"


@contextmanager
def _issuer(data: Path, db: str | None, tokens: Mapping[int, Any] | None = None) -> Iterator[Issuer]:
    """The issuer's services on the data folder's database (on `tokens`, the USDKG token
    per chain id, if given); typed errors become exit codes."""
    try:
        engine = domain_engine(database_url(data, db))
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    try:
        yield build_issuer(engine, utc_now, tokens)
    except RowsRefused as refused:
        _print_rows(refused)
        raise typer.Exit(EXIT_REFUSED) from None
    except DigisomError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        engine.dispose()


def _print_rows(refused: RowsRefused) -> None:
    count = int(refused.extensions.get("count", len(refused.problems)))
    typer.echo(f"refused: {count} rows; nothing was imported", err=True)
    for p in refused.problems:
        typer.echo(f"row {p['row']}: serial {p['serial']}: {p['rule']}: {p['detail']}", err=True)
    if count > len(refused.problems):
        typer.echo(f"... and {count - len(refused.problems)} more", err=True)


def _signature(key_file: Path | None, signature: str | None, tag: str, body: Mapping[str, Any]) -> bytes:
    """The signature given, or one made with the key file; exactly one of them."""
    if (key_file is None) == (signature is None):
        typer.echo("error: give --key-file or --signature (one of them)", err=True)
        raise typer.Exit(EXIT_ERROR)
    if signature is not None:
        try:
            return bytes.fromhex(signature)
        except ValueError:
            typer.echo("error: --signature is not hex", err=True)
            raise typer.Exit(EXIT_ERROR) from None
    assert key_file is not None  # checked above
    try:
        key = load_pem_private_key(key_file.read_bytes()[:KEY_FILE_BYTES_MAX], password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        typer.echo(f"error: {key_file} is not an unencrypted Ed25519 private key (PEM)", err=True)
        raise typer.Exit(EXIT_ERROR)
    return signing.sign(key, tag, body)


def _read(file: Path) -> bytes:
    if file.stat().st_size > FILE_BYTES_MAX:
        typer.echo(f"error: {file} is over {FILE_BYTES_MAX} bytes; split it", err=True)
        raise typer.Exit(EXIT_REFUSED)
    return file.read_bytes()


@bars_app.command("import")
def import_bars(
    file: Annotated[Path, typer.Argument(help="An LBMA weight list (CSV).", exists=True, dir_okay=False)],
    vault: Annotated[str, typer.Option("--vault", help="The vault the bars arrived in.")],
    custodian: Annotated[str, typer.Option("--custodian", help="The registered custodian who signs.")],
    at: Annotated[datetime, typer.Option("--at", help="When they arrived (ISO 8601 with a zone).",
                                         formats=["%Y-%m-%dT%H:%M:%S%z"])],
    key_file: KeyFileOption = None,
    signature: SignatureOption = None,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Import a weight list signed by its custodian: every row checked, all or nothing."""
    content = _read(file)
    signed = _signature(key_file, signature, signing.MOVEMENT_TAG, arrival_body(custodian, vault, at, content))
    with _issuer(data, db) as issuer:
        result = issuer.register.import_weight_list(content, vault=vault, custodian=custodian, at=at,
                                                    signature=signed, recorded_at=issuer.clock())
    typer.echo(f"movement {result.movement_id}: {result.bars} bars, {result.fine_moz / 1000:.3f} fine oz "
               f"into {vault}")


@usdkg_app.command("coverage")
def coverage(
    figure_format: Annotated[FigureFormat, typer.Option("--format", help="json or csv.")] = FigureFormat.JSON,
    publish: Annotated[bool, typer.Option("--publish", help="Keep it as today's report (once a day).")] = False,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """The coverage figure now: reserve, supply per chain, coverage, price, audits."""
    with _issuer(data, db) as issuer:
        now = issuer.clock()
        figure = issuer.coverage.figure(now)
        report = reports.publish_daily(issuer.engine, figure, now) if publish else None
    if report is not None:
        text = report.as_csv() if figure_format is FigureFormat.CSV else report.json_bytes.decode() + "\n"
        typer.echo(text, nl=False)
        typer.echo(f"report {report.report_date} sha256 {report.sha256}", err=True)
        return
    document = reports.report_bytes(figure)
    unpublished = reports.DailyReport(now.date().isoformat(), document, "")
    typer.echo(unpublished.as_csv() if figure_format is FigureFormat.CSV else document.decode())


@audit_app.command("import")
def audit_import(
    file: Annotated[Path, typer.Argument(help="The auditor's bar count (CSV).", exists=True, dir_okay=False)],
    audit_date: Annotated[str, typer.Option("--date", help="The audit date, YYYY-MM-DD.")],
    auditor: Annotated[str, typer.Option("--auditor", help="The registered auditor.")],
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Import a count for a date and reconcile it with the register as of that day."""
    try:
        day = date.fromisoformat(audit_date)
    except ValueError:
        typer.echo(f"error: --date {audit_date!r} is not YYYY-MM-DD", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    content = _read(file)
    with _issuer(data, db) as issuer:
        audit = issuer.audits.import_count(day, auditor, content, issuer.clock())
    typer.echo(f"audit {audit.audit_id} of {audit.audit_date}: {audit.findings} findings, "
               f"report sha256 {audit.report_sha256}; sign it with `digisom usdkg audit sign {audit.audit_id}`")
    for finding in json.loads(audit.report)["findings"]:
        typer.echo(f"{finding['kind']}: {finding['serial']}: register {finding['register']}, "
                   f"counted {finding['counted']}")


@audit_app.command("sign")
def audit_sign(
    audit_id: Annotated[int, typer.Argument(help="The audit.", min=1)],
    key_file: KeyFileOption = None,
    signature: SignatureOption = None,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Sign and publish an audit: the auditor's signature over its date and report digest."""
    with _issuer(data, db) as issuer:
        audit = issuer.audits.audit(audit_id)
        body = signed_body(audit.audit_date.isoformat(), audit.report_sha256)
        signed = issuer.audits.sign(audit_id, _signature(key_file, signature, signing.AUDIT_TAG, body),
                                    issuer.clock())
    typer.echo(f"audit {signed.audit_id} of {signed.audit_date} signed: report sha256 {signed.report_sha256}")


ChainOption = Annotated[list[str], typer.Option("--chain", help=f"{SPEC_FORM} of every chain USDKG is on.")]
OnOption = Annotated[int, typer.Option("--on", help="The chain id to act on.", min=1)]
AmountOption = Annotated[int, typer.Option("--amount-units", help="Token units (6 decimals).", min=1)]
OperationIdOption = Annotated[str, typer.Option(
    "--operation-id", help="Your id for this operation: run again with it, it is answered from the record.")]
MinterKeyOption = Annotated[Path | None, typer.Option("--minter-key-file",
                                                      help="The minter's hex key (else $DIGISOM_CHAIN_KEY).")]


def _tokens(chains: list[str], on: int, minter_key_file: Path | None) -> dict[int, Any]:
    """The token on every named chain; `--on` must be one of them."""
    try:
        if on not in {chain.chain_id for chain in parse_chain_specs(chains)}:
            typer.echo(f"error: --on {on} is not one of the --chain ids", err=True)
            raise typer.Exit(EXIT_ERROR)
        return dict(connect_tokens(chains, minter_key_file))
    except (InvalidChainSpec, DigisomError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def _print_operation(done: Operation) -> None:
    request = done.request
    typer.echo(json.dumps({"operation_id": request.operation_id, "kind": request.kind.value,
                           "chain_id": request.chain_id, "address": request.address,
                           "amount_units": str(request.amount_units), "state": done.state.value,
                           "tx_id": done.tx_hash}))


@usdkg_app.command("mint")
def mint(
    chains: ChainOption,
    on: OnOption,
    to: Annotated[str, typer.Option("--to", help="The holder's address.")],
    amount_units: AmountOption,
    operation_id: OperationIdOption,
    minter_key_file: MinterKeyOption = None,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Mint on one chain if every coverage rule passes over the supply of all of them; once
    per operation id (a retry is answered from the record, never minted again)."""
    tokens = _tokens(chains, on, minter_key_file)
    with _issuer(data, db, tokens) as issuer:
        done = issuer.minting.mint(on, to, amount_units, operation_id)
    _print_operation(done)


@usdkg_app.command("redeem")
def redeem(
    chains: ChainOption,
    on: OnOption,
    amount_units: AmountOption,
    operation_id: OperationIdOption,
    minter_key_file: MinterKeyOption = None,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
) -> None:
    """Burn what holders sent to the redemption address on one chain; once per operation id."""
    tokens = _tokens(chains, on, minter_key_file)
    with _issuer(data, db, tokens) as issuer:
        done = issuer.minting.redeem(on, amount_units, operation_id)
    _print_operation(done)
