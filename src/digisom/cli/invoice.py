"""`digisom invoice`: a merchant invoice's link, QR code and address, checked offline.

    digisom invoice link --token ADDR --chain-id 56 --to ADDR --amount-units 35000
    digisom invoice qr LINK --out invoice.svg            (or .png)
    digisom invoice address INVOICE_ID --secret-file merchant-service.key
    digisom invoice check-authorization AUTH.json --token-name "KGST Kyrgyz Som" \\
        --chain-id 56 --token ADDR --to ADDR --amount-units 35000

`address` derives an invoice's receiving address (and so its key) from the merchant
service's secret, as the service does (docs/merchants.md): the operator's way to find or
recover any invoice's tokens. `check-authorization` is the service's own off-chain check
of a payer's EIP-3009 signature. Exit 0 when done or valid, 1 when a check fails, 2 for
bad input. Creating and reading invoices is the API's (`/v1/merchant-invoices`).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Final

import typer

from digisom.merchants.addresses import InvoiceKeys, parse_secret
from digisom.merchants.authorization import TokenDomain, parse, verify
from digisom.merchants.errors import AuthorizationRefused
from digisom.merchants.links import TransferLink, eip681, parse_eip681, render_png, render_svg

invoice_app = typer.Typer(help="Merchant invoices: EIP-681 links, QR codes, addresses, authorizations.",
                          no_args_is_help=True)

EXIT_FAILED: Final = 1
EXIT_REFUSED: Final = 2
FILE_BYTES_MAX: Final = 64 * 1024


def _fail(message: str, code: int = EXIT_REFUSED) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            raw = handle.read(FILE_BYTES_MAX + 1)
    except OSError as error:
        raise _fail(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > FILE_BYTES_MAX:
        raise _fail(f"{path.name} is over {FILE_BYTES_MAX} bytes")
    return raw


@invoice_app.command("link")
def link_command(token: Annotated[str, typer.Option(help="The token contract.")],
                 chain_id: Annotated[int, typer.Option(help="The chain id.")],
                 to: Annotated[str, typer.Option(help="The invoice's address.")],
                 amount_units: Annotated[int, typer.Option(help="The amount in the token's smallest unit.")]) -> None:
    """Print the EIP-681 link of a token transfer."""
    text = eip681(TransferLink(token, chain_id, to, amount_units))
    try:
        parse_eip681(text)
    except ValueError as error:
        raise _fail(str(error)) from None
    sys.stdout.write(text + "\n")


@invoice_app.command("qr")
def qr_command(link: Annotated[str, typer.Argument(help="An EIP-681 link.")],
               out: Annotated[Path, typer.Option(help="Where to write the image (.svg or .png).")]) -> None:
    """Write the link as a QR code."""
    try:
        parse_eip681(link)
    except ValueError as error:
        raise _fail(str(error)) from None
    if out.suffix not in (".svg", ".png"):
        raise _fail("the image must be .svg or .png")
    out.write_bytes(render_png(link) if out.suffix == ".png" else render_svg(link))


@invoice_app.command("address")
def address_command(invoice_id: Annotated[str, typer.Argument(help="The invoice id.")],
                    secret_file: Annotated[Path, typer.Option(help="The merchant service's secret.")]) -> None:
    """Print the invoice's receiving address, derived from the service's secret."""
    try:
        secret = parse_secret(_read(secret_file))
    except ValueError as error:
        raise _fail(str(error)) from None
    sys.stdout.write(InvoiceKeys(secret).address(invoice_id) + "\n")


@invoice_app.command("check-authorization")
def check_command(authorization: Annotated[Path, typer.Argument(help="The signed authorization (JSON).")],
                  token_name: Annotated[str, typer.Option(help="The token's EIP-712 name.")],
                  chain_id: Annotated[int, typer.Option(help="The chain id.")],
                  token: Annotated[str, typer.Option(help="The token contract.")],
                  to: Annotated[str, typer.Option(help="The invoice's address.")],
                  amount_units: Annotated[int, typer.Option(help="The amount due, in token units.")]) -> None:
    """Check a payer's EIP-3009 authorization as the service does before submitting it."""
    try:
        fields = json.loads(_read(authorization))
        auth = parse(fields if isinstance(fields, dict) else {})
    except (ValueError, AuthorizationRefused) as error:
        raise _fail(str(error)) from None
    try:
        verify(auth, TokenDomain(token_name, chain_id, token), to, amount_units, int(time.time()), 0)
    except AuthorizationRefused as error:
        sys.stdout.write(json.dumps({"valid": False, "reason": str(error)}) + "\n")
        raise typer.Exit(EXIT_FAILED) from None
    sys.stdout.write(json.dumps({"valid": True, "reason": None}) + "\n")
