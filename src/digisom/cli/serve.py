"""The API's command-line entry point, registered by `digisom.cli.main`: `digisom serve`
(`digisom token` is `digisom.cli.tokens`)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Final

import typer
import uvicorn
from fastapi import FastAPI

from digisom.api.log_config import serve_log_config
from digisom.api.merchant_rail import CONFIRMATIONS_DEFAULT, EMBEDDED, RailSettings, RailUnusable
from digisom.api.runtime import Runtime
from digisom.api.tracing import ENDPOINT_ENV
from digisom.api.usdkg_chains import SPEC_FORM, InvalidChainSpec, parse_chain_specs
from digisom.api.workers import (
    LOG_CHECKPOINT_EVERY_S_DEFAULT,
    ServeSettings,
    WorkersUnsupported,
    serve_workers,
    worker_count,
    worker_runtime,
)
from digisom.chain.errors import KeyMissing
from digisom.chain.keys import KEY_ENV_VAR
from digisom.chain.keys import load_key as load_chain_key
from digisom.console import app as console
from digisom.interbank.lsm import NAMED_RULES

DEFAULT_DATA_DIR: Final = Path(".data")

DataOption = Annotated[Path, typer.Option("--data", help="Data directory: the SQLite database and the signing key.")]
KeyOption = Annotated[Path | None, typer.Option("--key", help="Ed25519 signing key (PEM) instead of the data dir's.")]

def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port; 0 picks a free one.")] = 8000,
    data: DataOption = DEFAULT_DATA_DIR,
    db: Annotated[str | None, typer.Option("--db", help="postgresql://... instead of the data dir's SQLite.")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="KYC tier policy file (TOML or JSON).")] = None,
    key: KeyOption = None,
    tax_revenue_wallet: Annotated[str | None, typer.Option(
        "--tax-revenue-wallet", help="The treasury wallet that takes taxes and fees (POST /v1/taxes).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=64,
        help="API processes: default one per core on PostgreSQL; SQLite serves one.")] = None,
    lsm_rules: Annotated[str, typer.Option(
        "--lsm-rules", help=f"The RTGS's settlement rules: {', '.join(NAMED_RULES)} (lsm-reorder: partial netting "
                            "with re-ordering, shorter delays; docs/interbank.md).")] = "lsm",
    rtgs_clock: Annotated[str | None, typer.Option(
        "--rtgs-clock", hidden=True,
        help="Pin the RTGS's business clock at this ISO moment with offset (load tests outside its hours).")] = None,
    usdkg_chains: Annotated[list[str] | None, typer.Option(
        "--usdkg-chain", help=f"A chain USDKG is on, {SPEC_FORM}; repeat for each: the supply is read from "
                              "all of them, mints go to one, the lookup reads their Transfer logs.")] = None,
    usdkg_key_file: Annotated[Path | None, typer.Option(
        "--usdkg-key-file", help=f"File with the USDKG minter's hex key (else ${KEY_ENV_VAR}).")] = None,
    rates_file: Annotated[Path | None, typer.Option(
        "--rates-file", help="Reference rates (CSV date,currency,rate or JSON) for remittance quotes.")] = None,
    sanctions_list: Annotated[list[Path] | None, typer.Option(
        "--sanctions-list", help="A sanctions list file (FollowTheMoney JSON lines, or OFAC sdn.csv); repeat "
        "for more. Without one, every screening is recorded as clear under rule no_list_loaded.")] = None,
    otlp_endpoint: Annotated[str | None, typer.Option(
        "--otlp-endpoint", envvar=ENDPOINT_ENV,
        help="Export OpenTelemetry traces by OTLP/HTTP to this URL (e.g. http://127.0.0.1:4318/v1/traces); "
             "without it nothing is traced.")] = None,
    reserve_config: Annotated[Path | None, typer.Option(
        "--reserve-config", help="The national crypto reserve (TOML: policy, rpc, prices, bitcoin, "
                                 "observe_every_s for the observer worker; docs/reserve.md).")] = None,
    merchant_chain: Annotated[str | None, typer.Option(
        "--merchant-chain", help=f"Run the merchant rail in this process: '{EMBEDDED}' (KGST on an in-process "
        f"EVM, new each start) or the KGST chain as {SPEC_FORM}; the invoice worker and the KGST bridge run "
        "here (one process).")] = None,
    kgst_key_file: Annotated[Path | None, typer.Option(
        "--kgst-key-file", help=f"File with the KGST minter's hex key (the bridge burns with it; else ${KEY_ENV_VAR}).")
    ] = None,
    merchant_relayer_key_file: Annotated[Path | None, typer.Option(
        "--merchant-relayer-key-file", help="File with the hex key that pays the gas of EIP-3009 submissions.")] = None,
    invoice_secret_file: Annotated[Path | None, typer.Option(
        "--invoice-secret-file", help="The merchant service's secret (32+ bytes): derives every invoice's address.")
    ] = None,
    merchant_confirmations: Annotated[int, typer.Option(
        "--merchant-confirmations", min=1, help="Depth at which a payment counts.")] = CONFIRMATIONS_DEFAULT,
    usdkg_issuer_wallet: Annotated[str | None, typer.Option(
        "--usdkg-issuer-wallet", help="The USDKG issuer's digital som wallet: with a --usdkg-chain on the merchant "
        "chain, USDKG invoices are redeemed at the quote and paid from it.")] = None,
    log_checkpoint_every_s: Annotated[float, typer.Option(
        "--log-checkpoint-every-s", min=0,
        help="Checkpoint the public transparency log (sign a tree head, anchor it with --log-anchor-rpc-url) "
             "every so many seconds; 0: never (run `digisom log checkpoint` instead).")]
    = LOG_CHECKPOINT_EVERY_S_DEFAULT,
    log_anchor_rpc_url: Annotated[str | None, typer.Option(
        "--log-anchor-rpc-url", help="JSON-RPC URL of the chain the log's tree heads are anchored on; "
                                     "without it heads are signed, not anchored.")] = None,
    log_anchor_key_file: Annotated[Path | None, typer.Option(
        "--log-anchor-key-file", help=f"File with the anchoring account's hex key (else ${KEY_ENV_VAR}).")] = None,
    project_transfers_behind: Annotated[bool, typer.Option(
        "--project-transfers-behind", help="PostgreSQL: commit without the transfer rows and let a projector write "
        "them behind (faster large batches; the database checks each transfer at projection, not commit: "
        "docs/adr/0012-transfer-projection.md).")] = False,
) -> None:
    """Start the digital som API (uvicorn) and print its URL."""
    rail = None if merchant_chain is None else RailSettings(
        merchant_chain, str(kgst_key_file) if kgst_key_file else None,
        str(merchant_relayer_key_file) if merchant_relayer_key_file else None,
        str(invoice_secret_file) if invoice_secret_file else None, merchant_confirmations,
        usdkg_issuer_wallet=usdkg_issuer_wallet)
    if lsm_rules not in NAMED_RULES:
        typer.echo(f"error: --lsm-rules must be one of {', '.join(NAMED_RULES)}, not {lsm_rules!r}", err=True)
        raise typer.Exit(2)
    if project_transfers_behind and not (db or "").startswith(("postgresql:", "postgres:")):
        typer.echo("error: --project-transfers-behind needs --db postgresql://...", err=True)
        raise typer.Exit(2)
    try:
        count = worker_count(workers, db)
        specs = tuple(usdkg_chains or ())
        parse_chain_specs(specs)
        if specs:
            load_chain_key(usdkg_key_file)  # refuse to start without the minter's key, as `chain deploy` does
        if log_anchor_rpc_url is not None:
            load_chain_key(log_anchor_key_file)  # nor without the anchoring key
        if rail is not None:
            rail.check()
            if count > 1:
                raise RailUnusable("the merchant rail runs in one process: give --workers 1")
    except (WorkersUnsupported, InvalidChainSpec, KeyMissing, RailUnusable) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    settings = ServeSettings(str(data), db, str(policy) if policy else None, str(key) if key else None,
                             tax_revenue_wallet, rtgs_clock, specs, str(usdkg_key_file) if usdkg_key_file else None,
                             str(rates_file) if rates_file else None, tuple(str(p) for p in sanctions_list or ()),
                             otlp_endpoint, str(reserve_config) if reserve_config else None, rail, lsm_rules,
                             log_checkpoint_every_s, log_anchor_rpc_url,
                             str(log_anchor_key_file) if log_anchor_key_file else None,
                             project_transfers_behind=project_transfers_behind)
    # Bind first, so the printed URL is right even for --port 0.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    url = f"http://{f'[{host}]' if ':' in host else host}:{bound_port}"
    try:
        if count > 1:
            typer.echo(f"digisom API listening on {url} with {count} processes (OpenAPI: {url}/openapi.json)")
            serve_workers(settings, sock, count, f"{__name__}:{worker_app.__name__}")
            return
        runtime = settings.build_runtime()
        with_console(runtime)
        typer.echo(f"digisom API listening on {url} (OpenAPI: {url}/openapi.json; public portal: {url}/)", err=False)
        try:
            uvicorn.Server(uvicorn.Config(runtime.app, log_level="info", log_config=serve_log_config(),
                                          access_log=False)).run(sockets=[sock])
        finally:
            runtime.close()
    finally:
        sock.close()


def with_console(runtime: Runtime) -> FastAPI:
    """The runtime's app with the operator console mounted at `/console` (sessions sealed
    with a key derived from the platform key, which every process of a server shares)."""
    console.mount(runtime.app, runtime.issuer.key)
    return runtime.app


def worker_app() -> FastAPI:
    """The app of one `serve --workers N` process: uvicorn calls this factory in each."""
    return with_console(worker_runtime())
